"""The application toolchain: static musl programs that the unikernel can load.

The kernel loads a static, non-PIE ELF at its link address (Debian's musl-gcc turns
`-static-pie` into a dynamic PIE, see HOST-NOTES), so every program is linked with
`-static -no-pie`, at the architecture's LINK_BASE. x86_64 uses Debian's musl-gcc; arm64 the
cross gcc with a musl built from Debian's source package (program/cross.py). `unicore cc` is this
wrapper on the command line, usable as CC=; `unicore cc --unicore-arch=arm64 ...` for arm64.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from unicore.errors import BadInputError, ToolMissingError, UnicoreError

# x86_64: at 2 MiB rather than ld's 4 MiB, right above the kernel, so small guests (-m 4) fit.
# arm64: QEMU virt's RAM starts at 1 GiB and the kernel at 1 GiB + 512 KiB: 2 MiB into RAM.
LINK_BASES = {"x86_64": 0x200000, "arm64": 0x40200000}
LINK_BASE = LINK_BASES["x86_64"]
LINK_FLAGS = ["-static", "-no-pie", f"-Wl,-Ttext-segment={LINK_BASE:#x}"]
COMPILE_FLAGS = ["-fno-pie"]
ARCH_FLAG = "--unicore-arch="


def link_flags(arch: str = "x86_64") -> list[str]:
    return ["-static", "-no-pie", f"-Wl,-Ttext-segment={LINK_BASES[arch]:#x}"]


def musl_gcc() -> str:
    path = shutil.which("musl-gcc")
    if not path:
        raise ToolMissingError("musl-gcc not found: install Debian's musl-tools (make deps)")
    return path


def is_link_step(args: list[str]) -> bool:
    """True when gcc would link (no -c, -S, -E, -M that stops before linking)."""
    return not any(a in ("-c", "-S", "-E", "-M", "-MM") for a in args)


def compiler(arch: str = "x86_64") -> list[str]:
    """The musl compiler command for `arch`."""
    if arch == "x86_64":
        return [musl_gcc()]
    from unicore.program.cross import musl_cc
    return musl_cc(arch)


def cc_command(args: list[str]) -> list[str]:
    """The compiler command line for a wrapper invocation with `args` (a leading
    --unicore-arch=ARCH picks the architecture, x86_64 by default)."""
    arch = "x86_64"
    if args and args[0].startswith(ARCH_FLAG):
        arch, args = args[0][len(ARCH_FLAG):], args[1:]
    if arch not in LINK_BASES:
        raise BadInputError(f"unicore cc: unknown architecture {arch!r} (known: {', '.join(LINK_BASES)})")
    extra = COMPILE_FLAGS + (link_flags(arch) if is_link_step(args) else [])
    return [*compiler(arch), *extra, *args]


def compile_program(sources: list[Path], output: Path, cflags: list[str] | None = None,
                    arch: str = "x86_64") -> Path:
    """Compile and link C `sources` into a static program for `arch`; compiler errors are shown in full."""
    missing = [str(s) for s in sources if not Path(s).is_file()]
    if missing:
        raise BadInputError(f"source not found: {', '.join(missing)}")
    output.parent.mkdir(parents=True, exist_ok=True)
    cmd = cc_command([f"{ARCH_FLAG}{arch}", *(cflags or ["-O2"]), "-o", str(output), *map(str, sources)])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UnicoreError(f"compiling {', '.join(map(str, sources))} failed:\n{proc.stderr.rstrip()}")
    return output


def wrapper_cc(arch: str = "x86_64") -> str:
    """The `unicore cc` command as a CC= value, from the same installation as this process."""
    exe = Path(sys.prefix) / "bin" / "unicore"
    cmd = f"{exe} cc" if exe.exists() else f"{sys.executable} -m unicore cc"
    return cmd if arch == "x86_64" else f"{cmd} {ARCH_FLAG}{arch}"
