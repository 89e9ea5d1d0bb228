"""Runs one program under `strace -f` with a deadline, feeding stdin and collecting its output.

strace is started in its own session so the program and its children share one process group.
On a timeout the *tracees* are killed first (found by `TracerPid` in /proc), so strace sees them
die, writes `+++ killed by SIGKILL +++` and flushes the partial trace; then the whole group is
killed, so no stray process survives the run.
"""

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from unicore.errors import ToolMissingError

STRACE_FLAGS = ["-f", "-q", "-y", "-s", "1024"]  # -q keeps "+++ exited/killed +++" lines (-qq drops them)
_GRACE_S = 2.0  # how long strace gets to finish writing after its tracees are killed


@dataclass
class RunSpec:
    argv: list[str]  # argv[0] is the program path
    cwd: Path
    env: dict[str, str]
    stdin: bytes
    timeout: float
    stop: str = "wait"  # after `during` returns: wait | terminate | kill
    strace_args: list[str] = field(default_factory=list)  # e.g. `-e inject=...` (explore)


@dataclass
class RawRun:
    returncode: int | None  # strace's own status (mirrors the program's)
    stdout: bytes
    stderr: bytes
    timed_out: bool
    seconds: float
    commands: list[dict] = field(default_factory=list)


def strace_path() -> str:
    path = shutil.which("strace")
    if not path:
        raise ToolMissingError("strace not found: install Debian's strace (make deps)")
    return path


def trace(spec: RunSpec, trace_file: Path, during: Callable[[float], list[dict]] | None = None) -> RawRun:
    """Run spec.argv under strace writing `trace_file`; `during(deadline)` runs the commands."""
    cmd = [strace_path(), *STRACE_FLAGS, *spec.strace_args, "-o", str(trace_file), "--", *spec.argv]
    start = time.monotonic()
    deadline = start + spec.timeout
    proc = subprocess.Popen(cmd, cwd=spec.cwd, env=spec.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    pumps = _Pumps(proc, spec.stdin)
    try:
        commands = during(deadline) if during else []
        timed_out = _finish(proc, spec.stop, deadline)
    finally:
        _kill_group(proc)
    out, err = pumps.join()
    return RawRun(proc.returncode, out, err, timed_out, round(time.monotonic() - start, 3), commands)


class _Pumps:
    """Threads that write stdin and drain stdout/stderr so the program never blocks on a pipe."""

    def __init__(self, proc: subprocess.Popen, stdin: bytes):
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.threads = [threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True),
                        threading.Thread(target=_drain, args=(proc.stdout, self.out), daemon=True),
                        threading.Thread(target=_drain, args=(proc.stderr, self.err), daemon=True)]
        for t in self.threads:
            t.start()

    def join(self) -> tuple[bytes, bytes]:
        for t in self.threads:
            t.join(timeout=_GRACE_S)
        return b"".join(self.out), b"".join(self.err)


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError):
        pass  # the program exited or closed stdin without reading it all: that is its choice
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def _drain(pipe, sink: list[bytes]) -> None:
    for chunk in iter(lambda: pipe.read1(65536), b""):
        sink.append(chunk)
    pipe.close()


def _finish(proc: subprocess.Popen, stop: str, deadline: float) -> bool:
    """Stop or await the program as the scenario says; True when the deadline was hit."""
    if stop != "wait" and proc.poll() is None:
        _signal_tracees(proc.pid, signal.SIGTERM if stop == "terminate" else signal.SIGKILL, main_only=True)
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0))
        return False
    except subprocess.TimeoutExpired:
        pass
    _stop_tracees(proc)
    return True


def _stop_tracees(proc: subprocess.Popen) -> None:
    """SIGKILL every tracee (repeatedly: one may fork meanwhile) until strace exits."""
    end = time.monotonic() + _GRACE_S
    while time.monotonic() < end:
        _signal_tracees(proc.pid, signal.SIGKILL, main_only=False)
        try:
            proc.wait(timeout=0.1)
            return
        except subprocess.TimeoutExpired:
            continue


def _signal_tracees(tracer: int, sig: int, main_only: bool) -> None:
    """Send `sig` to the processes strace traces (only its direct child when `main_only`)."""
    for pid in _tracees(tracer):
        if main_only and _parent(pid) != tracer:
            continue
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _tracees(tracer: int) -> list[int]:
    """Processes whose /proc status says `TracerPid: tracer`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _status_field(int(entry), "TracerPid") == str(tracer):
            found.append(int(entry))
    return found


def _parent(pid: int) -> int | None:
    value = _status_field(pid, "PPid")
    return int(value) if value else None


def _status_field(pid: int, name: str) -> str | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _kill_group(proc: subprocess.Popen) -> None:
    """Last resort: kill strace's whole process group and reap strace."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=_GRACE_S)
    except subprocess.TimeoutExpired:
        pass
