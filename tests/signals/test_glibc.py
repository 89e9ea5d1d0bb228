"""The same threads, signals and event-file programs built with the host's gcc against glibc
(dynamic and static) and run unmodified through `unicore build --binary`: glibc's own
sigaction/sa_restorer, its pthread cancellation and set*id signals, its timer_create and
sigwaitinfo; output and exit status equal to the native run."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
PROGRAMS = {"signals": HERE / "programs" / "signals.c", "events": HERE / "programs" / "events.c",
            "pthreads": HERE.parent / "threads" / "programs" / "pthreads.c"}


def unicore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], capture_output=True, timeout=600)


def shell_status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


@pytest.mark.parametrize("link", ["dynamic", "static"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_glibc_program_equals_native(tmp_path, name, link):
    exe = tmp_path / name
    flags = ["-static"] if link == "static" else []
    subprocess.run(["gcc", "-O2", *flags, "-o", str(exe), str(PROGRAMS[name]), "-lpthread", "-lrt"], check=True)
    image = tmp_path / f"{name}.img"
    built = unicore("build", "--binary", str(exe), "-o", str(image), "--build-dir", str(tmp_path / "build"))
    assert built.returncode == 0, built.stderr.decode()
    guest = unicore("run", "--accel", "tcg", "--timeout", "120", str(image))
    native = subprocess.run([str(exe)], capture_output=True, timeout=120)
    assert (guest.stdout, guest.returncode) == (native.stdout, shell_status(native.returncode)), guest.stderr.decode()
