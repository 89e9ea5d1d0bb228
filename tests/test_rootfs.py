"""The root file system by policy: dpkg ownership, package runtime files, interpreter families,
the base files, libraries needed or named in dlopen strings (host only, Debian's own database)."""

import os
import shutil
from pathlib import Path

import pytest

from unicore.errors import BadInputError
from unicore.image.rootfs import Entry
from unicore.rootfs import assemble, dpkg, libraries, parse_policy

PY = Path(os.path.realpath("/usr/bin/python3"))
pytestmark = pytest.mark.skipif(not Path("/var/lib/dpkg/status").exists(), reason="needs a Debian host")


@pytest.mark.parametrize("text,expected", [
    ("static+dynamic,package", ("static+dynamic", "package")),
    ("dynamic", ("dynamic", "package")),
    ("trace", ("static+dynamic", "trace")),
    ("package+depends,static", ("static", "package+depends")),
])
def test_policy_names_syscall_and_file_halves(text, expected):
    assert parse_policy(text) == expected


def test_unknown_policy_is_one_clear_error():
    with pytest.raises(BadInputError, match="unknown policy 'packages'; syscalls: static\\+dynamic, static, "
                                            "dynamic; files: trace, package, package\\+depends"):
        parse_policy("dynamic,packages")


def test_owner_through_merged_usr_and_symlinks():
    db = dpkg.load()
    assert db.owner("/usr/bin/tac") == "coreutils"
    assert db.owner("/usr/lib/x86_64-linux-gnu/libc.so.6") == "libc6"  # dpkg lists /lib/...
    assert db.owner("/etc/localtime") == "tzdata"                      # a symlink into zoneinfo
    assert db.owner("/nonexistent/file") is None
    assert "libc6" in db.depends_closure({"coreutils"})


def _program(path: Path) -> list[Entry]:
    return [Entry(str(path), path, "the program")]


def _paths(rootfs) -> dict[str, Entry]:
    return {e.guest: e for e in rootfs.entries()}


@pytest.fixture(scope="module")
def python_rootfs(tmp_path_factory):
    if not PY.exists():
        pytest.skip("no python3")
    traced = [f"/usr/lib/{PY.name}/encodings/__init__.py", "/etc/localtime"]
    return assemble(_program(PY), traced, "package", tmp_path_factory.mktemp("b"))


def test_interpreter_family_comes_whole(python_rootfs):
    paths = _paths(python_rootfs)
    stdlib = f"/usr/lib/{PY.name}"
    assert f"{stdlib}/email/__init__.py" in paths and f"{stdlib}/threading.py" in paths
    assert any(p.startswith(f"{stdlib}/lib-dynload/_sqlite3.") for p in paths)
    assert not any(p.startswith(("/usr/share/doc/", "/usr/share/man/", "/usr/include/")) for p in paths)
    assert not any(p.startswith("/usr/bin/") and p != str(PY) for p in paths if paths[p].symlink is None)


def test_extension_modules_bring_their_libraries(python_rootfs):
    needed = next(g for g in python_rootfs.groups if g.name == "needed libraries")
    names = {Path(e.guest).name: e.reason for e in needed.entries}
    assert "libsqlite3.so.0" in names and "_sqlite3" in names["libsqlite3.so.0"]


def test_base_files_and_zoneinfo(python_rootfs, tmp_path):
    paths = _paths(python_rootfs)
    assert paths["/tmp"].host is None and "/root" in paths
    assert paths["/etc/passwd"].host.read_text().startswith("root:x:0:0:")
    assert paths["/etc/group"].host.read_text().startswith("root:x:0:")
    assert "passwd: files" in paths["/etc/nsswitch.conf"].host.read_text()
    assert "/usr/share/zoneinfo/Asia/Tokyo" in paths  # the run read /etc/localtime: TZ=... works
    tz = next(g for g in python_rootfs.groups if g.name == "package tzdata")
    assert tz.reason == "owns /etc/localtime" and tz.size > 100_000


def test_merged_usr_is_one_copy_with_directory_links(python_rootfs):
    paths = _paths(python_rootfs)
    assert paths["/lib"].symlink == "usr/lib"
    assert "/usr/lib/x86_64-linux-gnu/libc.so.6" in paths and "/lib/x86_64-linux-gnu/libc.so.6" not in paths


def test_trace_policy_is_only_the_trace(tmp_path):
    traced = [f"/usr/lib/{PY.name}/encodings/__init__.py"]
    rootfs = assemble(_program(PY), traced, "trace", tmp_path)
    assert [g.name for g in rootfs.groups] == ["program", "traced"]
    assert f"/usr/lib/{PY.name}/email/__init__.py" not in _paths(rootfs)


def test_package_depends_adds_dependencies(tmp_path):
    tac = Path("/usr/bin/tac")
    plain = {g.name for g in assemble(_program(tac), [], "package", tmp_path).groups}
    deep = {g.name: g.reason for g in assemble(_program(tac), [], "package+depends", tmp_path).groups}
    assert "package coreutils" in plain and "package libselinux1" not in plain
    assert deep["package libselinux1"] == "a dependency of the packages above"


def test_dlopen_strings_of_libc():
    libc = libraries.find_library("libc.so.6")
    assert "libgcc_s.so.1" in libraries.dlopen_names(libc)
    assert libraries.dlopen_names(shutil.which("true") or "/bin/true") == []  # does not call dlopen
