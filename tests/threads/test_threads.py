"""Threads in the unikernel, end to end through the CLI (`unicore build` picks the sched library
because the analysis finds clone): pthreads with mutex, condvar, barrier, rwlock, semaphore, TLS,
join and preemption; a producer/consumer over a blocking pipe and poll with a timeout. Output
and exit status equal the native run of the same musl program, on QEMU and on spt (preemption
there: the SIGALRM timer interrupting the program, docs/spt.md). A deadlock is reported by the
kernel, or stopped by `unicore run --timeout` when a timer keeps it from being provable."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from unicore.runner import run_image

pytestmark = pytest.mark.slow
PROGRAMS = Path(__file__).parent / "programs"


def build(tmp_path, name, run_native=True, target="qemu/x86_64"):
    image = tmp_path / f"{name}.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(PROGRAMS / f"{name}.c"), "-o", str(image),
                           "--build-dir", str(tmp_path / name), "--explain", "--target", target],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "sched            provides clone" in proc.stdout
    if not run_native:
        return image, None
    native = tmp_path / f"{name}-native"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(native), str(PROGRAMS / f"{name}.c")], check=True)
    return image, subprocess.run([str(native)], capture_output=True, timeout=60)


@pytest.mark.parametrize("target", ["qemu/x86_64", "spt/x86_64"], ids=lambda t: t.split("/")[0])
@pytest.mark.parametrize("name, status", [("pthreads", 3), ("pipe", 0)])
def test_threaded_program_matches_native(tmp_path, name, status, target):
    image, native = build(tmp_path, name, target=target)
    r = run_image(image, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == (native.stdout, native.returncode)
    assert r.exit_status == status


def unicore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], capture_output=True, timeout=300)


def test_deadlock_is_reported_or_stopped_by_timeout(tmp_path):
    image, _ = build(tmp_path, "deadlock", run_native=False)  # natively it hangs
    r = run_image(image, accel="tcg", timeout=120)
    assert r.stdout == b"two threads, two mutexes, opposite orders\n"
    assert (r.exit_status, r.crashed) == (134, True)
    assert b"unicore: deadlock: every thread waits and nothing can wake them:\n" in r.kernel
    assert re.search(rb"thread \d+ waits for a futex\n", r.kernel)
    proc = unicore("run", "--accel", "tcg", "--timeout", "4", str(image), "--", "ticking")
    assert proc.returncode == 124
    assert proc.stdout == b"two threads, two mutexes, opposite orders\n"
    assert proc.stderr.decode().splitlines()[-1] == "unicore: guest did not finish within 4 s: stopped (exit 124)"
