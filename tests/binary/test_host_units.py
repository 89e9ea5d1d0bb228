"""Host-side unit tests of futex, posix-rlimit and posix-sched with ASan and UBSan (gcc), over a
fake clock (tests/binary/host/units.c)."""

import subprocess
from pathlib import Path

import pytest

from unicore.pool.manifest import POOL_DIR, include_dirs

pytestmark = pytest.mark.slow  # the sanitizer build takes a few seconds

HOST = Path(__file__).parent / "host"
SOURCES = ["lib/futex/futex.c", "lib/posix-rlimit/rlimit.c", "lib/posix-sched/sched.c", "lib/core/print.c"]


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("binary-host") / "units"
    cmd = ["gcc", "-std=gnu11", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-fno-omit-frame-pointer", f"-I{HOST}", *(f"-I{d}" for d in include_dirs("x86_64", "qemu")),
           str(HOST / "units.c"), *(str(POOL_DIR / s) for s in SOURCES), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("name", ["wake_op", "futex", "rlimit", "sched"])
def test_unit(units, name):
    proc = subprocess.run([str(units), name], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"ok {name}\n", "")


def test_futex_wait_that_nothing_can_end_is_a_reported_deadlock(units):
    proc = subprocess.run([str(units), "deadlock"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr.startswith("crash 6: unicore: futex wait on 0x")
    assert proc.stderr.endswith("(value 1) with no timeout, and no other thread to wake it: deadlock\n"
                                "unicore: panic: deadlock in futex wait\n")
