"""vfs + ramfs + devfs on the host: fsprog.c run natively on Linux and against the pool's
handlers (compiled with AddressSanitizer/UBSan, leaks checked) must print the same transcript;
the harness-only checks (console, quota, mounts, mmap hook, locks, limits) must print exactly
the expected lines."""

import subprocess
from pathlib import Path

import pytest

from fs_helpers import HERE, SANITIZE, gcc, includes, lib_sources

FS_LIBS = ("vfs", "ramfs", "devfs")

HARNESS_EXPECTED = """\
--- harness ---
console ok
console write = 11
console read 1 = 9
console read 2 = 9
last line: line two
console read eof = 0
console lseek = -29
console fstat = 0
console mode 20620
mkdir /small = 0
mount ramfs quota 10000 = 0
write 0 = 4096
write 1 = 4096
write 2 = 1808
write 3 = -28
write 4 = -28
used when full = 10000
statfs = 0
statfs type=858458f6 blocks=2 free=0
create empty when full = 0
symlink when full = -28
ftruncate shrink = 0
used after shrink = 100
ftruncate grow past quota = -28
pwrite far past quota = -28
rename across mounts = -18
rmdir mount point = -16
unlink open file = 0
used while still open = 100
close = 0
used after close = 0
unlink empty = 0
used at end = 0
mmap fill = 0
mapped: 456789 tail zero 1
mmap fill write-only fd = -13
mmap fill bad fd = -9
mmap fill console = -19
setlk = 0
unlock middle = 0
lock ranges = 2
relock whole file = 0
lock ranges = 1
close other fd = 0
lock ranges after close = 0
O_TMPFILE = -95
opened 1018 then -24
chain of 40 = 0
chain of 41 = -40
dotdot above root = 0
dotdot out of mount = 0
done
"""


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fsbin")
    native = gcc(out / "native", [str(HERE / "fsprog.c")])
    sources = [str(HERE / f) for f in ("fsprog.c", "harness.c", "shim.c")] + lib_sources(*FS_LIBS)
    harness = gcc(out / "harness", sources, *SANITIZE, "-DUK_HOST_HARNESS", *includes(*FS_LIBS))
    return {"native": native, "harness": harness}


def run(binary: Path, *args: str) -> str:
    proc = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "Sanitizer" not in proc.stderr and "runtime error" not in proc.stderr, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_same_transcript_as_linux(binaries: dict[str, Path], tmp_path: Path) -> None:
    native = run(binaries["native"], str(tmp_path))
    harness = run(binaries["harness"], "/work")
    common = harness.split("--- harness ---")[0]
    assert native.endswith("done\n") and common.count("\n") > 200
    assert common + "done\n" == native


@pytest.mark.slow
def test_harness_only_checks(binaries: dict[str, Path]) -> None:
    harness = run(binaries["harness"], "/work")
    assert harness[harness.index("--- harness ---"):] == HARNESS_EXPECTED
