"""The application toolchain: static musl programs that the unikernel can load.

The kernel loads a static, non-PIE ELF at its link address (Debian's musl-gcc turns
`-static-pie` into a dynamic PIE, see HOST-NOTES), so every program is linked with
`-static -no-pie`, at LINK_BASE. `unicore cc` is this wrapper on the command line, usable as CC=.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from unicore.errors import BadInputError, ToolMissingError, UnicoreError

# Linked at 2 MiB rather than ld's 4 MiB: right above the kernel, so small guests (-m 4) fit.
LINK_BASE = 0x200000
LINK_FLAGS = ["-static", "-no-pie", f"-Wl,-Ttext-segment={LINK_BASE:#x}"]
COMPILE_FLAGS = ["-fno-pie"]


def musl_gcc() -> str:
    path = shutil.which("musl-gcc")
    if not path:
        raise ToolMissingError("musl-gcc not found: install Debian's musl-tools (make deps)")
    return path


def is_link_step(args: list[str]) -> bool:
    """True when gcc would link (no -c, -S, -E, -M that stops before linking)."""
    return not any(a in ("-c", "-S", "-E", "-M", "-MM") for a in args)


def cc_command(args: list[str]) -> list[str]:
    """The musl-gcc command line for a wrapper invocation with `args`."""
    extra = COMPILE_FLAGS + (LINK_FLAGS if is_link_step(args) else [])
    return [musl_gcc(), *extra, *args]


def compile_program(sources: list[Path], output: Path, cflags: list[str] | None = None) -> Path:
    """Compile and link C `sources` into a static program; compiler errors are shown in full."""
    missing = [str(s) for s in sources if not Path(s).is_file()]
    if missing:
        raise BadInputError(f"source not found: {', '.join(missing)}")
    output.parent.mkdir(parents=True, exist_ok=True)
    cmd = cc_command([*(cflags or ["-O2"]), "-o", str(output), *map(str, sources)])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UnicoreError(f"compiling {', '.join(map(str, sources))} failed:\n{proc.stderr.rstrip()}")
    return output


def wrapper_cc() -> str:
    """The `unicore cc` command as a CC= value, from the same installation as this process."""
    exe = Path(sys.prefix) / "bin" / "unicore"
    return f"{exe} cc" if exe.exists() else f"{sys.executable} -m unicore cc"
