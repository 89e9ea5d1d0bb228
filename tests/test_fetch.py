"""The Debian source fetcher: .dsc parsing, sha256 checks, the cache, deb-src setup, unpacking.

apt itself is replaced by FakeApt, a runner serving a real source package built here with
`dpkg-source -b`; it records every command, so the tests can see that a warm cache runs no apt.
The slow test fetches the real sqlite3 source package from Debian.
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from unicore.cli import main
from unicore.errors import BadInputError, UnicoreError
from unicore.program.fetch import (STAMP, Fetcher, compare_versions, deb_src_text, enable_deb_src, has_deb_src,
                           parse_dsc, run_command, unpack_source, verify_files)

DEBIAN_SOURCES = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def make_source_package(where: Path, name: str = "hello", version: str = "1.0",
                        files: dict[str, str] | None = None) -> Path:
    """A real Debian source package (format 3.0 native) built by dpkg-source; returns its .dsc."""
    upstream, _, revision = version.partition("-")
    tree = where / f"{name}-{upstream}"
    (tree / "debian" / "source").mkdir(parents=True)
    (tree / "debian" / "source" / "format").write_text("3.0 (quilt)\n" if revision else "3.0 (native)\n")
    (tree / "debian" / "control").write_text(
        f"Source: {name}\nMaintainer: Nobody <nobody@example.org>\n\n"
        f"Package: {name}\nArchitecture: any\nDescription: test\n test\n")
    (tree / "debian" / "changelog").write_text(
        f"{name} ({version}) unstable; urgency=low\n\n  * test\n\n"
        " -- Nobody <nobody@example.org>  Thu, 01 Jan 2026 00:00:00 +0000\n")
    for rel, text in (files or {"README": "hello from the source package\n"}).items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
        if rel == "configure":
            (tree / rel).chmod(0o755)
    orig = where / f"{name}_{upstream}.orig.tar.gz"
    if revision and not orig.exists():  # revisions of one upstream version share its tarball
        subprocess.run(["tar", "czf", orig.name, "--exclude=debian", tree.name], cwd=where, check=True)
    subprocess.run(["dpkg-source", "-b", tree.name], cwd=where, check=True, capture_output=True)
    shutil.rmtree(tree)
    return where / f"{name}_{version}.dsc"


class FakeApt:
    """Stands in for apt: serves the files of `repo` (a dir of source packages), records calls."""

    def __init__(self, repo: Path, corrupt: bool = False):
        self.repo, self.corrupt, self.calls = repo, corrupt, []

    def __call__(self, cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
        self.calls.append(cmd)
        if cmd[:2] == ["apt-cache", "showsrc"]:
            versions = [parse_dsc(p.read_text()).version for p in self.repo.glob(f"{cmd[-1]}_*.dsc")]
            return subprocess.CompletedProcess(cmd, 0, "".join(f"Version: {v}\n\n" for v in versions), "")
        if cmd[:2] == ["apt-get", "source"]:
            return self._source(cmd, cwd)
        if cmd[:2] == ["dpkg-source", "--no-copy"]:
            return run_command(cmd, cwd)
        return subprocess.CompletedProcess(cmd, 0, "", "")  # apt-get update

    def _source(self, cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
        name, _, version = cmd[-1].partition("=")
        dsc = self.repo / f"{name}_{version}.dsc"
        if not dsc.is_file():
            return subprocess.CompletedProcess(cmd, 100, "", f"E: Unable to find a source package for {cmd[-1]}\n")
        for f in [dsc, *(self.repo / x.name for x in parse_dsc(dsc.read_text()).files)]:
            shutil.copy(f, cwd / f.name)
            if self.corrupt and f.suffix in (".xz", ".gz"):
                (cwd / f.name).write_bytes(b"not what the .dsc promised")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    def apt_get_calls(self) -> list[list[str]]:
        return [c for c in self.calls if c[0] == "apt-get"]


@pytest.fixture
def apt_env(tmp_path: Path):
    """A source repository, apt config dirs with deb-src and lists, and an empty cache."""
    repo, sources, lists = tmp_path / "repo", tmp_path / "sources.list.d", tmp_path / "lists"
    for d in (repo, sources, lists):
        d.mkdir()
    (sources / "debian.sources").write_text(DEBIAN_SOURCES.replace("Types: deb", "Types: deb deb-src"))
    (lists / "deb.debian.org_debian_dists_bookworm_main_source_Sources.lz4").write_text("")
    make_source_package(repo, "hello", "1.0")
    make_source_package(repo, "hello", "1.2-3")
    return tmp_path


def fetcher(env: Path, apt: FakeApt) -> Fetcher:
    return Fetcher(cache=env / "cache", sources_dir=env / "sources.list.d", lists_dir=env / "lists", runner=apt)


SIGNED_DSC = """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Format: 3.0 (quilt)
Source: demo
Version: 1:2.0-1+deb12u1
Checksums-Sha256:
 {h} 11 demo_2.0.orig.tar.xz
 {h} 11 demo_2.0-1+deb12u1.debian.tar.xz
Files:
 0123 11 demo_2.0.orig.tar.xz

-----BEGIN PGP SIGNATURE-----

iQIzBAEBCgAdFiEE
-----END PGP SIGNATURE-----
"""


def test_parse_signed_dsc():
    dsc = parse_dsc(SIGNED_DSC.format(h="ab" * 32))
    assert (dsc.source, dsc.version) == ("demo", "1:2.0-1+deb12u1")
    assert [(f.name, f.size, f.sha256) for f in dsc.files] == [
        ("demo_2.0.orig.tar.xz", 11, "ab" * 32), ("demo_2.0-1+deb12u1.debian.tar.xz", 11, "ab" * 32)]


@pytest.mark.parametrize("text, message", [
    ("Source: x\nVersion: 1\n", "no checksums-sha256 field"),
    ("Source: x\nVersion: 1\nChecksums-Sha256:\n zz 1 a.tar\n", "malformed Checksums-Sha256 line"),
    (f"Source: x\nVersion: 1\nChecksums-Sha256:\n {'0' * 64} 1 ../evil\n", "unsafe file name '../evil'"),
])
def test_parse_dsc_rejects_bad_input(text, message):
    with pytest.raises(BadInputError, match=message):
        parse_dsc(text)


@pytest.mark.parametrize("a, b, order", [
    ("3.40.1-2", "3.40.1-2+deb12u1", -1), ("3.40.1-2+deb12u2", "3.40.1-2+deb12u1", 1),
    ("1.0~rc1", "1.0", -1), ("1:0.1", "2.0", 1), ("1.0a", "1.0", 1), ("1.0-1", "1.0-1.1", -1),
    ("2.10", "2.9", 1), ("1.0", "1.0", 0), ("1.0+b1", "1.0", 1), ("1.0~~", "1.0~", -1)])
def test_debian_version_order(a, b, order):
    assert compare_versions(a, b) == order
    assert compare_versions(b, a) == -order


def test_verify_files_names_each_problem(tmp_path: Path):
    good = b"hello world"
    (tmp_path / "a.tar").write_bytes(good)
    (tmp_path / "b.tar").write_bytes(b"hello WORLD")
    h = hashlib.sha256(good).hexdigest()
    dsc = parse_dsc(f"Source: x\nVersion: 1\nChecksums-Sha256:\n {h} 11 a.tar\n {h} 11 b.tar\n {h} 11 c.tar\n"
                    f" {h} 12 a.tar\n")
    assert verify_files(tmp_path, dsc) == [
        "b.tar does not match its sha256 in the .dsc", "c.tar is missing", "a.tar has 11 bytes, the .dsc says 12"]


def test_fetch_verifies_and_caches(apt_env: Path):
    apt = FakeApt(apt_env / "repo")
    source = fetcher(apt_env, apt).fetch("hello", "1.0")
    assert (source.package, source.version) == ("hello", "1.0")
    assert source.directory == apt_env / "cache" / "hello_1.0"
    assert sorted(p.name for p in source.directory.iterdir()) == [STAMP, "hello_1.0.dsc", "hello_1.0.tar.xz"]
    assert (source.directory / "hello_1.0.tar.xz").read_bytes() == (apt_env / "repo" / "hello_1.0.tar.xz").read_bytes()
    assert apt.apt_get_calls() == [["apt-get", "source", "--download-only", "hello=1.0"]]


def test_warm_cache_runs_no_apt_get(apt_env: Path):
    fetcher(apt_env, FakeApt(apt_env / "repo")).fetch("hello", "1.0")
    again = FakeApt(apt_env / "repo")
    source = fetcher(apt_env, again).fetch("hello", "1.0")
    assert source.version == "1.0" and again.calls == []  # pinned: not even apt-cache
    newest = FakeApt(apt_env / "repo")
    fetcher(apt_env, newest).fetch("hello")
    fetcher(apt_env, newest).fetch("hello")
    assert [c[:2] for c in newest.calls] == [["apt-cache", "showsrc"], ["apt-get", "source"], ["apt-cache", "showsrc"]]


def test_newest_revision_of_an_upstream_version(apt_env: Path):
    make_source_package(apt_env / "repo", "hello", "1.2-10")
    make_source_package(apt_env / "repo", "hello", "1.3-1")
    assert fetcher(apt_env, FakeApt(apt_env / "repo")).fetch("hello", upstream="1.2").version == "1.2-10"


def test_checksum_mismatch_is_not_cached(apt_env: Path):
    with pytest.raises(UnicoreError, match=r"checksum check of hello 1.0 failed: hello_1.0.tar.xz has 26 bytes, "
                                           r"the .dsc says \d+; nothing was cached"):
        fetcher(apt_env, FakeApt(apt_env / "repo", corrupt=True)).fetch("hello", "1.0")
    assert list((apt_env / "cache").iterdir()) == []  # no entry, no staging leftovers
    good = FakeApt(apt_env / "repo")
    assert fetcher(apt_env, good).fetch("hello", "1.0").version == "1.0"
    assert len(good.apt_get_calls()) == 1


def test_corrupted_cache_entry_is_fetched_again(apt_env: Path):
    source = fetcher(apt_env, FakeApt(apt_env / "repo")).fetch("hello", "1.0")
    tarball = source.directory / "hello_1.0.tar.xz"
    tarball.write_bytes(tarball.read_bytes()[:-1] + b"\0")  # one byte flipped at the end
    apt = FakeApt(apt_env / "repo")
    again = fetcher(apt_env, apt).fetch("hello", "1.0")
    assert len(apt.apt_get_calls()) == 1
    assert verify_files(again.directory, parse_dsc(again.dsc_path.read_text())) == []


def test_unknown_package_and_version(apt_env: Path):
    apt = FakeApt(apt_env / "repo")
    with pytest.raises(BadInputError, match=r"^no Debian source package 'nosuch' in the apt sources$"):
        fetcher(apt_env, apt).fetch("nosuch")
    with pytest.raises(BadInputError, match=r"^no Debian source package 'hello=9.9' in the apt sources$"):
        fetcher(apt_env, apt).fetch("hello", "9.9")
    with pytest.raises(BadInputError, match="is not a Debian source package name"):
        fetcher(apt_env, apt).fetch("Bad;name")


def test_deb_src_detection_and_copy(tmp_path: Path):
    (tmp_path / "debian.sources").write_text(DEBIAN_SOURCES)
    assert not has_deb_src(tmp_path)
    assert deb_src_text(DEBIAN_SOURCES).splitlines()[0] == "Types: deb-src"
    (tmp_path / "old.list").write_text("# deb-src http://x bookworm main\ndeb-src http://x bookworm main\n")
    assert has_deb_src(tmp_path)


def test_enable_deb_src_writes_a_copy(tmp_path: Path):
    (tmp_path / "debian.sources").write_text(DEBIAN_SOURCES)
    import os
    if os.geteuid() != 0:
        with pytest.raises(UnicoreError, match="need a deb-src apt source: add a copy of"):
            enable_deb_src(tmp_path)
        return
    written = enable_deb_src(tmp_path)
    assert written == tmp_path / "unicore-src.sources"
    assert "Types: deb-src\nURIs: http://deb.debian.org/debian\n" in written.read_text()
    assert has_deb_src(tmp_path)


def test_unpack_once_per_source(apt_env: Path):
    (apt_env / "repo2").mkdir()
    make_source_package(apt_env / "repo2", "tool", "2.0", {"src/main.c": "int main(void){return 0;}\n"})
    apt = FakeApt(apt_env / "repo2")
    source = fetcher(apt_env, apt).fetch("tool", "2.0")
    dest = unpack_source(source, apt_env / "build" / "tool", runner=apt)
    assert (dest / "src" / "main.c").read_text() == "int main(void){return 0;}\n"
    assert (dest / "debian" / "changelog").is_file()
    calls = len(apt.calls)
    assert unpack_source(source, dest, runner=apt) == dest and len(apt.calls) == calls


def test_cli_bad_name_is_one_line(capsys):
    assert main(["fetch", "Bad Name"]) == 2
    assert capsys.readouterr().err == "unicore: 'Bad Name' is not a Debian source package name\n"


@pytest.mark.slow
def test_real_sqlite3_source_from_debian():
    """The registry itself: Debian 12's sqlite3 3.40.1, fetched (or found intact in the cache)."""
    source = Fetcher().fetch("sqlite3", upstream="3.40.1")
    assert source.version.startswith("3.40.1-")
    names = {f.name for f in source.files}
    assert "sqlite3_3.40.1.orig.tar.xz" in names
    assert verify_files(source.directory, parse_dsc(source.dsc_path.read_text())) == []
    calls = []
    recording = lambda cmd, cwd=None: calls.append(cmd) or run_command(cmd, cwd)  # noqa: E731
    assert Fetcher(runner=recording).fetch("sqlite3", source.version) == source
    assert calls == []


@pytest.mark.slow
def test_cli_fetch_and_unpack_sqlite3(tmp_path: Path, capsys):
    source = Fetcher().fetch("sqlite3", upstream="3.40.1")
    assert main(["fetch", f"sqlite3={source.version}", "--unpack", str(tmp_path / "src")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"sqlite3 {source.version}: {source.directory}"
    assert f"  sqlite3_3.40.1.orig.tar.xz  8019048 bytes  sha256 {'aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655'}" in out
    assert out[-1] == f"unpacked into {tmp_path / 'src'}"
    assert (tmp_path / "src" / "VERSION").read_text() == "3.40.1\n"
    assert (tmp_path / "src" / "debian" / "patches" / "series").is_file()


def test_first_fetch_enables_deb_src_and_updates(apt_env: Path, capsys):
    import os
    if os.geteuid() != 0:
        pytest.skip("writing the deb-src source needs root (the project's CI runs as root)")
    sources = apt_env / "sources.list.d"
    (sources / "debian.sources").write_text(DEBIAN_SOURCES)  # deb only
    for f in (apt_env / "lists").iterdir():
        f.unlink()
    apt = FakeApt(apt_env / "repo")
    assert fetcher(apt_env, apt).fetch("hello", "1.0").version == "1.0"
    assert apt.apt_get_calls() == [["apt-get", "update"], ["apt-get", "source", "--download-only", "hello=1.0"]]
    assert (sources / "unicore-src.sources").read_text().count("Types: deb-src\n") == 1
    assert capsys.readouterr().err == f"unicore: enabled Debian source packages in {sources / 'unicore-src.sources'}\n"
