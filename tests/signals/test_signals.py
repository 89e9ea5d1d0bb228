"""Signals in the unikernel, end to end through the CLI (`unicore build` picks posix-signal
because the analysis finds the signal syscalls): handlers, rt_sigreturn, EINTR and SA_RESTART,
alarm/setitimer, sigsuspend, sigtimedwait, sigaltstack, fault handlers, SIGPIPE, POSIX timers,
tgkill; default actions; a crash report naming the thread; epoll, eventfd, timerfd and signalfd
(posix-event). Output and exit status equal the native run of the same musl program."""

import subprocess
import sys
from pathlib import Path

import pytest

from unicore.runner import run_image

pytestmark = pytest.mark.slow
PROGRAMS = Path(__file__).parent / "programs"


def build(tmp_path, name):
    image = tmp_path / f"{name}.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(PROGRAMS / f"{name}.c"), "-o", str(image),
                           "--build-dir", str(tmp_path / name), "--explain"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "posix-signal     " in proc.stdout
    native = tmp_path / f"{name}-native"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(native), str(PROGRAMS / f"{name}.c"), "-lpthread"],
                   check=True)
    return image, subprocess.run([str(native)], capture_output=True, timeout=60)


def shell_status(returncode: int) -> int:
    """A native run's status as a shell shows it (killed by signal N: 128+N), as unicore run exits."""
    return 128 - returncode if returncode < 0 else returncode


def test_signals_match_native(tmp_path):
    image, native = build(tmp_path, "signals")
    r = run_image(image, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == (native.stdout, shell_status(native.returncode))
    assert r.exit_status == 128 + 15
    assert r.kernel.endswith(b"unicore: program killed by signal 15\n")


@pytest.mark.parametrize("name, status", [("sigpipe", 128 + 13), ("handler_loop", 0)])
def test_default_action_and_async_delivery_match_native(tmp_path, name, status):
    image, native = build(tmp_path, name)
    r = run_image(image, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == (native.stdout, shell_status(native.returncode))
    assert r.exit_status == status


def test_crash_in_a_thread_names_it(tmp_path):
    image, native = build(tmp_path, "crash_thread")
    r = run_image(image, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status, r.crashed) == (native.stdout, shell_status(native.returncode), True)
    assert r.exit_status == 128 + 11
    assert b"unicore:   unmapped write to address 0x8\n" in r.kernel
    assert b"unicore:   in thread 2\n" in r.kernel


def test_event_files_match_native(tmp_path):
    image, native = build(tmp_path, "events")
    r = run_image(image, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == (native.stdout, native.returncode)
    assert r.exit_status == 0 and b"epoll on a timerfd: 1 is it 1\n" in r.stdout
