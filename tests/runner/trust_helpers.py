"""Helpers for the runner trust tests (imported as `trust_helpers`): `unicore run` as a
process, waiting for the guest, finding its QEMU and any process left behind."""

import os
import subprocess
import sys
import time
from pathlib import Path


def unicore_run(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`unicore run --accel tcg ARGS` to completion (stdin empty)."""
    return subprocess.run([sys.executable, "-m", "unicore", "run", "--accel", "tcg", *args], input=b"",
                          capture_output=True, timeout=timeout, env=env)


def start_run(*args: str, env: dict | None = None) -> subprocess.Popen:
    """`unicore run --accel tcg ARGS` in the background (stdin empty, output piped)."""
    return subprocess.Popen([sys.executable, "-m", "unicore", "run", "--accel", "tcg", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def wait_for_line(proc: subprocess.Popen, line: bytes, timeout: float = 60) -> None:
    """Read the console until `line` (the guest is running its program)."""
    deadline = time.monotonic() + timeout
    got = b""
    while time.monotonic() < deadline:
        got += os.read(proc.stdout.fileno(), 4096)
        if line in got:
            return
    raise AssertionError(f"no {line!r} within {timeout} s: {got!r}")


def live_processes(marker: str) -> list[str]:
    """Processes (not zombies) whose command line contains `marker`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state != "Z" and int(d.name) != os.getpid():
            found.append(f"{d.name} {cmd}")
    return found


def qemu_of(runner: int, timeout: float = 30) -> int:
    """The pid of the QEMU that the `unicore run` process `runner` started (its child: setpriv
    execs QEMU in place)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for d in Path("/proc").iterdir():
            try:
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (d / "cmdline").read_bytes().split(b"\0")[0]
            except (OSError, ValueError):
                continue
            if int(stat[1]) == runner and stat[0] != "Z" and b"qemu-system" in cmd:
                return int(d.name)
        time.sleep(0.05)
    raise AssertionError(f"no QEMU started by pid {runner}")
