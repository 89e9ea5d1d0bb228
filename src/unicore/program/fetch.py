"""External sources: Debian source packages, fetched, verified, cached and unpacked.

An external pool library (pool/external/<name>/library.toml) declares `[source] debian = "pkg"`
and a version. `fetch_source` gets that package with `apt-get source --download-only`, checks
every file the `.dsc` lists against its Checksums-Sha256 (our own check, on top of apt's), and
keeps it in `<cache root>/sources/<pkg>_<version>/` (unicore.paths). A cached entry is
re-hashed on every use, so a corrupted file is noticed and fetched again; a pinned version found
intact in the cache needs no apt call at all. `unpack_source` runs `dpkg-source -x` (orig
tarball plus Debian patches) into a build directory, once per source hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from unicore.paths import file_sha256 as sha256_file
from unicore.errors import BadInputError, ToolMissingError, UnicoreError
from unicore.paths import sources_cache

Runner = Callable[[list[str], Path | None], subprocess.CompletedProcess]
SOURCES_DIR = Path("/etc/apt/sources.list.d")
LISTS_DIR = Path("/var/lib/apt/lists")
DEB_SRC_FILE = "unicore-src.sources"
STAMP = ".unicore-dsc.sha256"  # hash of the .dsc, written once the whole entry verified
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
VERSION_RE = re.compile(r"^[0-9A-Za-z.+~:-]+$")


def run_command(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The default runner: run a host tool, capturing its output."""
    if shutil.which(cmd[0]) is None:
        raise ToolMissingError(f"{cmd[0]} not found: this needs Debian's apt and dpkg-dev")
    env = {**os.environ, "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)


# ---------------------------------------------------------------------------------------------
# .dsc files


@dataclass(frozen=True)
class DscFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Dsc:
    source: str
    version: str
    files: tuple[DscFile, ...]


def _strip_signature(text: str) -> str:
    """The signed body of a clear-signed .dsc (or the text itself when it is not signed)."""
    if not text.startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        return text
    body = text.split("\n\n", 1)[1] if "\n\n" in text else ""  # skip the armor headers
    return body.split("-----BEGIN PGP SIGNATURE-----", 1)[0]


def _fields(body: str) -> dict[str, str]:
    """Deb822 fields; continuation lines (leading space) are joined with newlines."""
    fields: dict[str, str] = {}
    key = None
    for line in body.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            fields[key] = value.strip()
    return fields


def _checksums(value: str, where: str) -> tuple[DscFile, ...]:
    files = []
    for line in filter(None, value.splitlines()):
        parts = line.split()
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{64}", parts[0]) or not parts[1].isdigit():
            raise BadInputError(f"{where}: malformed Checksums-Sha256 line {line!r}")
        if "/" in parts[2] or parts[2].startswith("."):
            raise BadInputError(f"{where}: unsafe file name {parts[2]!r}")
        files.append(DscFile(parts[2], int(parts[1]), parts[0]))
    return tuple(files)


def parse_dsc(text: str, where: str = ".dsc") -> Dsc:
    """Parse a Debian source control file: its package, version and sha256-checked files."""
    fields = _fields(_strip_signature(text))
    missing = [k for k in ("source", "version", "checksums-sha256") if not fields.get(k)]
    if missing:
        raise BadInputError(f"{where}: no {', '.join(missing)} field")
    files = _checksums(fields["checksums-sha256"], where)
    if not files:
        raise BadInputError(f"{where}: Checksums-Sha256 lists no files")
    return Dsc(fields["source"], fields["version"], files)




def verify_files(directory: Path, dsc: Dsc) -> list[str]:
    """Problems with the files `dsc` lists in `directory` (empty when all are intact)."""
    problems = []
    for f in dsc.files:
        path = directory / f.name
        if not path.is_file():
            problems.append(f"{f.name} is missing")
        elif path.stat().st_size != f.size:
            problems.append(f"{f.name} has {path.stat().st_size} bytes, the .dsc says {f.size}")
        elif sha256_file(path) != f.sha256:
            problems.append(f"{f.name} does not match its sha256 in the .dsc")
    return problems


# ---------------------------------------------------------------------------------------------
# Debian versions (ordering as dpkg defines it: epoch, upstream, revision; '~' sorts first)


def _order(c: str) -> int:
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256 if c else 0


def _compare_part(a: str, b: str) -> int:
    while a or b:
        na, nb = re.match(r"\D*", a).group(), re.match(r"\D*", b).group()
        for i in range(max(len(na), len(nb))):
            ca, cb = _order(na[i:i + 1]), _order(nb[i:i + 1])
            if ca != cb:
                return -1 if ca < cb else 1
        a, b = a[len(na):], b[len(nb):]
        da, db = re.match(r"\d*", a).group(), re.match(r"\d*", b).group()
        if int(da or 0) != int(db or 0):
            return -1 if int(da or 0) < int(db or 0) else 1
        a, b = a[len(da):], b[len(db):]
    return 0


def _split_version(v: str) -> tuple[int, str, str]:
    epoch, _, rest = v.rpartition(":") if ":" in v else ("0", "", v)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch or 0), upstream, revision


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as Debian version `a` sorts before, equal to or after `b`."""
    ea, ua, ra = _split_version(a)
    eb, ub, rb = _split_version(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def file_version(version: str) -> str:
    """The version as it appears in file names: without its epoch."""
    return version.split(":", 1)[1] if ":" in version else version


# ---------------------------------------------------------------------------------------------
# progress


@contextmanager
def step(progress, description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
    """Report one step: on a rich Progress (a task of its own), or to a callable taking the
    description (e.g. rich Status.update); yields a function that advances the task."""
    if progress is None or not hasattr(progress, "add_task"):
        if callable(progress):
            progress(description)
        yield lambda amount: None
        return
    task = progress.add_task(description, total=total)
    try:
        yield lambda amount: progress.advance(task, amount)
    finally:
        progress.update(task, total=total or 1, completed=total or 1)


# ---------------------------------------------------------------------------------------------
# deb-src


def has_deb_src(sources_dir: Path = SOURCES_DIR) -> bool:
    """True when some apt source (one-line or deb822 format) offers deb-src."""
    candidates = [sources_dir.parent / "sources.list", *sorted(sources_dir.glob("*.list"))]
    for path in candidates:
        if path.is_file() and re.search(r"^\s*deb-src\s", path.read_text(errors="replace"), re.M):
            return True
    for path in sorted(sources_dir.glob("*.sources")):
        if re.search(r"^Types:.*\bdeb-src\b", path.read_text(errors="replace"), re.M | re.I):
            return True
    return False


def deb_src_text(debian_sources: str) -> str:
    """A copy of a deb822 sources file with every stanza switched to `Types: deb-src`."""
    return re.sub(r"^Types:.*$", "Types: deb-src", debian_sources, flags=re.M | re.I)


def enable_deb_src(sources_dir: Path = SOURCES_DIR) -> Path:
    """Write unicore-src.sources next to debian.sources; needs root."""
    origin = sources_dir / "debian.sources"
    target = sources_dir / DEB_SRC_FILE
    how = (f"add a copy of {origin} with 'Types: deb-src' as {target} "
           "(as root), then run 'apt-get update'")
    if not origin.is_file():
        raise UnicoreError(f"no deb-src apt source and no {origin} to copy: {how}")
    if os.geteuid() != 0:
        raise UnicoreError(f"Debian source packages need a deb-src apt source: {how}")
    header = "# written by unicore fetch: Debian source packages for external pool libraries\n"
    target.write_text(header + deb_src_text(origin.read_text()))
    return target


# ---------------------------------------------------------------------------------------------
# the fetcher


@dataclass(frozen=True)
class Source:
    """A verified source package in the cache."""
    package: str
    version: str
    directory: Path
    dsc_path: Path
    dsc_sha256: str
    files: tuple[DscFile, ...] = field(default=())


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`PACKAGE[=VERSION]` -> (package, version or None), checked for sane characters."""
    package, _, version = spec.partition("=")
    if not NAME_RE.match(package):
        raise BadInputError(f"{package!r} is not a Debian source package name")
    if version and not VERSION_RE.match(version):
        raise BadInputError(f"{version!r} is not a Debian version")
    return package, version or None


@dataclass
class Fetcher:
    """Fetches Debian source packages into a verified cache; `runner` runs apt (injectable)."""
    cache: Path = field(default_factory=sources_cache)
    sources_dir: Path = SOURCES_DIR
    runner: Runner = run_command
    lists_dir: Path = LISTS_DIR
    progress: object = None
    _updated: bool = False

    def fetch(self, package: str, version: str | None = None, upstream: str | None = None) -> Source:
        """The verified source of `package`: exactly `version`, else the newest Debian revision
        of `upstream` (any upstream when None) that apt offers or, offline, the cache holds."""
        parse_spec(package if version is None else f"{package}={version}")
        version = version or self._resolve(package, upstream)
        cached = self.cached(package, version)
        return cached or self._download(package, version)

    def _resolve(self, package: str, upstream: str | None) -> str:
        offered = [v for v in self._apt_versions(package) if _matches(v, upstream)]
        if offered:
            return max_version(offered)
        cached = [v for v in self.cached_versions(package) if _matches(v, upstream)]
        if cached:
            return max_version(cached)  # apt knows nothing (yet): the cache still serves offline
        self._ensure_deb_src(force_update=True)
        offered = [v for v in self._apt_versions(package) if _matches(v, upstream)]
        if not offered:
            wanted = f"{package} {upstream}" if upstream else package
            raise BadInputError(f"no Debian source package {wanted!r} in the apt sources")
        return max_version(offered)

    def cached_versions(self, package: str) -> list[str]:
        """Versions of `package` with a cache entry (checked only when used)."""
        versions = []
        for stamp in self.cache.glob(f"{package}_*/{STAMP}"):
            dsc = next(stamp.parent.glob("*.dsc"), None)
            try:
                versions.append(parse_dsc(dsc.read_text(errors="replace")).version)
            except (AttributeError, OSError, BadInputError):
                continue
        return versions

    def entry_dir(self, package: str, version: str) -> Path:
        return self.cache / f"{package}_{file_version(version)}"

    def cached(self, package: str, version: str) -> Source | None:
        """The cache entry if every file still matches its hash; a broken entry is removed."""
        directory = self.entry_dir(package, version)
        if not directory.is_dir():
            return None
        source = self._check_entry(directory, package)
        if source is None:
            shutil.rmtree(directory, ignore_errors=True)  # fetch it again rather than trust it
        return source

    def _check_entry(self, directory: Path, package: str) -> Source | None:
        dsc_paths = sorted(directory.glob("*.dsc"))
        stamp = directory / STAMP
        if len(dsc_paths) != 1 or not stamp.is_file():
            return None
        dsc_hash = sha256_file(dsc_paths[0])
        if stamp.read_text().strip() != dsc_hash:
            return None
        try:
            dsc = parse_dsc(dsc_paths[0].read_text(errors="replace"), str(dsc_paths[0]))
        except BadInputError:
            return None
        total = sum(f.size for f in dsc.files)
        with step(self.progress, f"verifying {package} {dsc.version} (cached)", total):
            if verify_files(directory, dsc):
                return None
        return Source(dsc.source, dsc.version, directory, dsc_paths[0], dsc_hash, dsc.files)

    # -- apt ------------------------------------------------------------------------------

    def _apt(self, cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
        return self.runner(cmd, cwd)

    def _ensure_deb_src(self, force_update: bool = False) -> None:
        """deb-src configured and its package lists present (apt-get update when needed)."""
        if not has_deb_src(self.sources_dir):
            written = enable_deb_src(self.sources_dir)
            print(f"unicore: enabled Debian source packages in {written}", file=sys.stderr)
            force_update = True
        if force_update or not any(self.lists_dir.glob("*_source_Sources*")):
            self._update()

    def _update(self) -> None:
        if self._updated:
            return
        with step(self.progress, "apt-get update (source package lists)"):
            proc = self._apt(["apt-get", "update"])
        self._updated = True
        if proc.returncode != 0:
            raise UnicoreError(f"apt-get update failed: {_last_line(proc)}")

    def _apt_versions(self, package: str) -> list[str]:
        """Versions apt's local lists offer (no network); empty without deb-src lists."""
        if not has_deb_src(self.sources_dir) or not any(self.lists_dir.glob("*_source_Sources*")):
            return []
        proc = self._apt(["apt-cache", "showsrc", "--only-source", package])
        if proc.returncode != 0:
            return []
        return re.findall(r"^Version:\s*(\S+)", proc.stdout, re.M)

    def _download(self, package: str, version: str) -> Source:
        self._ensure_deb_src()
        self.cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{package}-", dir=self.cache) as tmp:
            staging = Path(tmp)
            self._apt_source(package, version, staging)
            dsc = self._verify_download(package, version, staging)
            return self._store(dsc, staging)

    def _apt_source(self, package: str, version: str, staging: Path) -> None:
        spec = f"{package}={version}"
        with step(self.progress, f"downloading Debian source {spec}"):
            proc = self._apt(["apt-get", "source", "--download-only", spec], staging)
        if proc.returncode != 0:
            if _not_found(proc):
                raise BadInputError(f"no Debian source package {spec!r} in the apt sources")
            raise UnicoreError(f"apt-get source {spec} failed: {_last_line(proc)}")

    def _verify_download(self, package: str, version: str, staging: Path) -> Dsc:
        dsc_paths = sorted(staging.glob(f"{package}_*.dsc"))
        if len(dsc_paths) != 1:
            raise UnicoreError(f"apt-get source {package} left {len(dsc_paths)} .dsc files, expected 1")
        dsc = parse_dsc(dsc_paths[0].read_text(errors="replace"), dsc_paths[0].name)
        if (dsc.source, dsc.version) != (package, version):
            raise UnicoreError(f"{dsc_paths[0].name} is {dsc.source} {dsc.version}, not {package} {version}")
        with step(self.progress, f"verifying {package} {dsc.version}", sum(f.size for f in dsc.files)):
            problems = verify_files(staging, dsc)
        if problems:
            raise UnicoreError(f"checksum check of {package} {dsc.version} failed: {problems[0]}; nothing was cached")
        return dsc

    def _store(self, dsc: Dsc, staging: Path) -> Source:
        """Move a verified download into its cache entry (atomically: rename of a full directory)."""
        dsc_path = next(staging.glob(f"{dsc.source}_*.dsc"))
        keep = {dsc_path.name, *(f.name for f in dsc.files)}
        for extra in staging.iterdir():
            if extra.name not in keep:
                shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
        (staging / STAMP).write_text(sha256_file(dsc_path) + "\n")
        target = self.entry_dir(dsc.source, dsc.version)
        shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:  # another unicore stored the same entry meanwhile: use it if it is intact
            pass
        else:
            staging.mkdir()  # TemporaryDirectory expects to remove something
        source = self._check_entry(target, dsc.source)
        if source is None:
            raise UnicoreError(f"cache entry {target} failed verification right after it was written")
        return source


def _matches(version: str, upstream: str | None) -> bool:
    return upstream is None or _split_version(version)[1] == upstream


def max_version(versions: list[str]) -> str:
    best = versions[0]
    for v in versions[1:]:
        if compare_versions(v, best) > 0:
            best = v
    return best


def _output(proc: subprocess.CompletedProcess) -> str:
    return (proc.stdout or "") + (proc.stderr or "")


def _last_line(proc: subprocess.CompletedProcess) -> str:
    lines = [l for l in _output(proc).splitlines() if l.strip()]
    return lines[-1].strip() if lines else f"exit status {proc.returncode}"


def _not_found(proc: subprocess.CompletedProcess) -> bool:
    text = _output(proc)
    return "You must put some 'deb-src' URIs" in text or "Unable to find a source package" in text


# ---------------------------------------------------------------------------------------------
# unpacking


def unpack_source(source: Source, dest: Path, runner: Runner = run_command, progress=None) -> Path:
    """Unpack `source` (orig tarball + Debian patches) into `dest`, once per .dsc hash."""
    stamp = dest / ".unicore-source"
    if stamp.is_file() and stamp.read_text().strip() == source.dsc_sha256:
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    work = dest.with_name(dest.name + ".unpacking")
    shutil.rmtree(work, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with step(progress, f"unpacking {source.package} {source.version}"):
        proc = runner(["dpkg-source", "--no-copy", "-x", str(source.dsc_path), str(work)], None)
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise UnicoreError(f"dpkg-source -x {source.dsc_path.name} failed: {_last_line(proc)}")
    stamp_in_work = work / ".unicore-source"
    stamp_in_work.write_text(source.dsc_sha256 + "\n")
    work.rename(dest)
    return dest


def fetch(spec: str, progress=None, runner: Runner = run_command) -> Source:
    """Fetch `PACKAGE[=VERSION]` into the cache (the `unicore fetch` entry point)."""
    package, version = parse_spec(spec)
    return Fetcher(runner=runner, progress=progress).fetch(package, version)
