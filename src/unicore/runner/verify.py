"""Verification: the same program, arguments and stdin, run natively and as a unikernel; compare.

What counts as the same behaviour: identical stdout bytes, identical stderr bytes and identical
exit status, each compared on its own (the unikernel's stdout and stderr are separate streams on
the host, docs/run.md); a verdict names each that differed. The unikernel's kernel messages and
crash report are not the program's stderr: they are shown beside a verdict, not compared.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from unicore.errors import BadInputError, ToolMissingError


@dataclass
class Outcome:
    stdout: bytes
    exit_status: int
    stderr: bytes = b""
    kernel: bytes = b""  # the unikernel's kernel messages (not compared)


@dataclass
class Verdict:
    native: Outcome
    unikernel: Outcome

    @property
    def same(self) -> bool:
        return not self.differences()

    def verdicts(self) -> dict[str, bool]:
        """Whether each of stdout, stderr and exit status is the same."""
        n, u = self.native, self.unikernel
        return {"stdout": n.stdout == u.stdout, "stderr": n.stderr == u.stderr,
                "exit status": n.exit_status == u.exit_status}

    def differences(self) -> list[str]:
        out = []
        if self.native.exit_status != self.unikernel.exit_status:
            out.append(f"exit status: native {self.native.exit_status}, unikernel {self.unikernel.exit_status}")
        for name in ("stdout", "stderr"):
            native, unikernel = getattr(self.native, name), getattr(self.unikernel, name)
            if native != unikernel:
                out.append(f"{name} differs: " + _first_difference(native, unikernel))
        return out


def _first_difference(a: bytes, b: bytes) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    line = a[:n].count(b"\n") + 1
    return f"first at byte {n} (line {line}): native {a[n:n + 40]!r}, unikernel {b[n:n + 40]!r}"


USER_MODE = {183: ("aarch64", "qemu-aarch64")}  # e_machine -> (uname -m, Debian qemu-user's emulator)


def native_command(program: Path) -> list[str]:
    """How to run `program` "natively": directly when it is for this machine, else under QEMU's
    user-mode emulator (an arm64 program on an x86_64 host: qemu-aarch64, Debian's qemu-user)."""
    with open(program, "rb") as f:
        head = f.read(20)
    machine = int.from_bytes(head[18:20], "little") if head[:4] == b"\x7fELF" else 0
    arch, emulator = USER_MODE.get(machine, (os.uname().machine, ""))
    if not emulator or arch == os.uname().machine:
        return [str(program)]
    path = shutil.which(emulator)
    if not path:
        raise ToolMissingError(f"{emulator} not found: install Debian's qemu-user (make deps)")
    return [path, str(program)]


def run_native(program: Path, args: list[str], env: dict[str, str], stdin: bytes | None,
               timeout: float) -> Outcome:
    if not program.exists():
        raise BadInputError(f"{program}: native program not found")
    try:
        proc = subprocess.run([*native_command(program), *args], input=stdin or b"", capture_output=True,
                              env={**_base_env(), **env}, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BadInputError(f"native run of {program} did not finish within {timeout:g} s") from None
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return Outcome(proc.stdout, status, proc.stderr)


def _base_env() -> dict[str, str]:
    # The unikernel starts with only what -e gives it; give the native run the same, plus PATH.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def verify(image: Path, program: Path, args: list[str], env: dict[str, str], stdin: bytes | None,
           *, mem_mb: int = 64, accel: str = "auto", timeout: float = 60.0) -> Verdict:
    from unicore.runner import run_image
    native = run_native(program, args, env, stdin, timeout)
    result = run_image(image, args=args, env=env, mem_mb=mem_mb, accel=accel, timeout=timeout,
                       stdin_bytes=stdin, debug=False, boottime=False)
    return Verdict(native, Outcome(result.stdout, result.exit_status, result.stderr, result.kernel))
