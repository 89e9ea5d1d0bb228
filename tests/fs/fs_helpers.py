"""Helpers for the file-system tests: paths of the fs libraries and a gcc driver."""

import shutil
import subprocess
from pathlib import Path

import pytest

from unicore.pool.manifest import include_dirs

ROOT = Path(__file__).resolve().parents[2]
POOL = ROOT / "src" / "unicore" / "pool" / "lib"
HERE = Path(__file__).resolve().parent
SANITIZE = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"]


def lib_sources(*libs: str) -> list[str]:
    """Sources of pool libraries that run on the host (vfs's kernel glue is left out)."""
    out = []
    for lib in libs:
        out += [str(p) for p in sorted((POOL / lib).glob("*.c")) if p.name != "glue.c"]
    return out


def includes(*libs: str) -> list[str]:
    """The libraries' own headers first, then the pool's contract headers (uk/link.h, uk/plat.h)
    and every library's header (optional dependencies take their prototypes from there)."""
    own = [POOL / lib / "include" for lib in libs]
    return [f"-I{d}" for d in dict.fromkeys(own + include_dirs("x86_64", "qemu"))] + [f"-I{HERE}"]


def gcc(out: Path, sources: list[str], *flags: str) -> Path:
    """Compile and link with warnings as errors; a failure shows the compiler's output."""
    if not shutil.which("gcc"):
        pytest.skip("gcc is not installed")
    cmd = ["gcc", "-g", "-O1", "-Wall", "-Wextra", "-Werror", *flags, "-o", str(out), *sources]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out
