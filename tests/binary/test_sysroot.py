"""program/sysroot.py: Debian's arm64 sqlite3 with its Depends closure unpacked into a cached
sysroot, runnable under qemu-aarch64 -L (needs the Debian archive, reachable here)."""

import shutil
import subprocess

import pytest

from unicore.analysis.static import elf
from unicore.errors import UnicoreError
from unicore.program.sysroot import debian_sysroot


@pytest.fixture(scope="module")
def root():
    if not shutil.which("qemu-aarch64"):
        pytest.fail("qemu-aarch64 is missing (Debian package qemu-user)")
    return debian_sysroot(["sqlite3"], "arm64")


def test_closure_unpacked(root) -> None:
    assert elf.load(root / "usr/bin/sqlite3").arch == "aarch64"
    for lib in ("libsqlite3.so.0", "libreadline.so.8", "libtinfo.so.6", "libz.so.1", "libc.so.6"):
        assert (root / "lib/aarch64-linux-gnu" / lib).exists() or (root / "usr/lib/aarch64-linux-gnu" / lib).exists(), lib
    assert (root / "lib/ld-linux-aarch64.so.1").exists()
    listed = (root.parent / "packages.txt").read_text()
    assert "sqlite3 " in listed and "libc6 " in listed and "dpkg " not in listed


def test_package_database_written(root) -> None:
    """Each unpacked package's status stanza and file list, as dpkg keeps them (rootfs/dpkg.py)."""
    from unicore.rootfs import dpkg
    db = dpkg.load(root / "var/lib/dpkg")
    assert set(db.packages) == {line.split()[0] for line in (root.parent / "packages.txt").read_text().splitlines()}
    assert db.owner("/usr/bin/sqlite3") == "sqlite3" and "/usr/bin/sqlite3" in db.packages["sqlite3"].files
    assert db.owner("/lib/aarch64-linux-gnu/libc.so.6") == "libc6"
    assert {"libc6", "libsqlite3-0", "libreadline8", "zlib1g"} <= set(db.packages["sqlite3"].depends)


def test_same_packages_same_directory(root) -> None:
    assert debian_sysroot(["sqlite3"], "arm64") == root


def test_runs_under_user_mode(root) -> None:
    run = subprocess.run(["qemu-aarch64", "-L", str(root), str(root / "usr/bin/sqlite3")],
                         input=b"select 6*7;\n", capture_output=True, timeout=60)
    assert (run.returncode, run.stdout) == (0, b"42\n")


def test_unknown_package_is_one_clear_error() -> None:
    with pytest.raises(UnicoreError, match="no-such-package-unicore"):
        debian_sysroot(["no-such-package-unicore"], "arm64")
