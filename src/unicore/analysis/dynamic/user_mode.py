"""The dynamic half for a foreign-architecture binary in a sysroot: its runs under QEMU user mode
(`qemu-aarch64 -L SYSROOT -strace`, Debian qemu-user), since strace on the host sees QEMU's own
syscalls, not the guest's. Only the syscall names and counts are taken (QEMU's -strace lines,
"PID name(args) = result", on stderr); file facts are not (the rootfs of a sysroot build is its
library closure, docs/arm64.md). One run per scenario (its args, env, stdin), or one with no
arguments and empty stdin, each in a fresh empty directory."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from unicore.errors import ToolMissingError

QEMU_USER = {"aarch64": "qemu-aarch64"}
LINE = re.compile(rb"^\d+ ([a-z_][a-z0-9_]*)\(", re.M)


def user_mode_half(program: Path, sysroot: Path, arch: str, scenarios: list, timeout: float) -> dict:
    """The `dynamic` section of the report: syscalls (name -> count) over the runs, and the runs."""
    qemu = shutil.which(QEMU_USER.get(arch, f"qemu-{arch}"))
    if not qemu:
        raise ToolMissingError(f"qemu-{arch} not found: install Debian's qemu-user (make deps)")
    counts: dict[str, int] = {}
    runs = [_run(qemu, program, sysroot, s, timeout, counts) for s in scenarios or [None]]
    return {"tracer": f"{Path(qemu).name} -strace -L {sysroot}", "syscalls": dict(sorted(counts.items())),
            "runs": runs}


def _run(qemu: str, program: Path, sysroot: Path, scenario, timeout: float, counts: dict[str, int]) -> dict:
    guest = "/" + str(program.absolute().relative_to(sysroot.absolute()))
    args = list(scenario.args or []) if scenario else []
    with tempfile.TemporaryDirectory(prefix="unicore-user-") as cwd:
        env = {"PATH": "/usr/bin:/bin", "HOME": cwd, **(scenario.env if scenario else {})}
        try:
            proc = subprocess.run([qemu, "-strace", "-L", str(sysroot), str(program), *args],
                                  input=scenario.stdin if scenario else b"", capture_output=True, cwd=cwd,
                                  env=env, timeout=(scenario.timeout if scenario and scenario.timeout else timeout))
            status, timed_out = proc.returncode, False
            trace = proc.stderr
        except subprocess.TimeoutExpired as exc:
            status, timed_out, trace = None, True, exc.stderr or b""
    for m in LINE.finditer(trace):
        name = m.group(1).decode()
        counts[name] = counts.get(name, 0) + 1
    return {"scenario": scenario.name if scenario else "default", "argv": [guest, *args], "exit_status": status, "timed_out": timed_out, "crashed": status is not None and status < 0,
            "signal": f"signal {-status}" if status is not None and status < 0 else None}
