"""Verification: the same program, arguments and stdin, run natively and as a unikernel; compare.

What counts as the same behaviour: identical output bytes and identical exit status. The
unikernel's fds 1 and 2 both go to its console, so the native run's stdout and stderr share one
pipe too: the bytes then arrive in the same order in both (each write is one syscall).
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from unicore.errors import BadInputError


@dataclass
class Outcome:
    stdout: bytes
    exit_status: int


@dataclass
class Verdict:
    native: Outcome
    unikernel: Outcome

    @property
    def same(self) -> bool:
        return self.native == self.unikernel

    def differences(self) -> list[str]:
        out = []
        if self.native.exit_status != self.unikernel.exit_status:
            out.append(f"exit status: native {self.native.exit_status}, unikernel {self.unikernel.exit_status}")
        if self.native.stdout != self.unikernel.stdout:
            out.append("stdout differs: " + _first_difference(self.native.stdout, self.unikernel.stdout))
        return out


def _first_difference(a: bytes, b: bytes) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    line = a[:n].count(b"\n") + 1
    return f"first at byte {n} (line {line}): native {a[n:n + 40]!r}, unikernel {b[n:n + 40]!r}"


def run_native(program: Path, args: list[str], env: dict[str, str], stdin: bytes | None,
               timeout: float) -> Outcome:
    if not program.exists():
        raise BadInputError(f"{program}: native program not found")
    try:
        proc = subprocess.run([str(program), *args], input=stdin or b"", stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env={**_base_env(), **env}, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BadInputError(f"native run of {program} did not finish within {timeout:g} s") from None
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return Outcome(proc.stdout, status)


def _base_env() -> dict[str, str]:
    # The unikernel starts with only what -e gives it; give the native run the same, plus PATH.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def verify(image: Path, program: Path, args: list[str], env: dict[str, str], stdin: bytes | None,
           *, mem_mb: int = 64, accel: str = "auto", timeout: float = 60.0) -> Verdict:
    from unicore.runner import run_image
    native = run_native(program, args, env, stdin, timeout)
    result = run_image(image, args=args, env=env, mem_mb=mem_mb, accel=accel, timeout=timeout,
                       stdin_bytes=stdin, debug=False, boottime=False)
    return Verdict(native, Outcome(result.stdout, result.exit_status))
