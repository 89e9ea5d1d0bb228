"""Generate the syscall name/number tables from the Linux UAPI headers (Debian linux-libc-dev).

Numbers are never typed by hand: `python -m unicore.syscalls.gen` runs the C preprocessor over
the installed headers and writes one JSON table per architecture beside this file.
A test regenerates them and compares, so a drift from the headers is caught.
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
DEFINE = re.compile(r"#define\s+(__NR3?2?6?4?_\w+)\s+(.+)$")

# What each architecture's own uapi/asm/unistd.h says before it includes the header below.
SOURCES = {
    "x86_64": ("x86_64-linux-gnu/asm/unistd_64.h", []),
    "aarch64": (
        "asm-generic/unistd.h",
        ["__ARCH_WANT_RENAMEAT", "__ARCH_WANT_NEW_STAT",
         "__ARCH_WANT_SET_GET_RLIMIT", "__ARCH_WANT_SYS_CLONE3"],
    ),
}
NOT_SYSCALLS = {"__NR_syscalls", "__NR_arch_specific_syscall"}


def _macros(header: str, defines: list[str], include_dir: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as shim:
        # asm-generic/unistd.h includes <asm/bitsperlong.h>, which only exists per host arch.
        (Path(shim) / "asm").mkdir()
        (Path(shim) / "asm" / "bitsperlong.h").write_text("#define __BITS_PER_LONG 64\n")
        cmd = ["cpp", "-dM", "-undef", "-nostdinc", "-I", shim, "-I", include_dir]
        cmd += [f"-D{d}" for d in defines]
        cmd.append(str(Path(include_dir) / header))
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {m[1]: m[2].strip() for m in map(DEFINE.match, out.splitlines()) if m}


def _resolve(name: str, macros: dict[str, str]) -> int:
    value = macros[name]
    expr = re.sub(r"__NR\w+", lambda m: str(_resolve(m[0], macros)), value)
    if not re.fullmatch(r"[\d\s()+]+", expr):
        raise ValueError(f"cannot evaluate {name} = {value}")
    return int(eval(expr))  # only digits, spaces, parentheses and '+' reach here


def table(arch: str, include_dir: str = "/usr/include") -> dict[str, int]:
    """Return {syscall name: number} for `arch`, read from the UAPI headers."""
    header, defines = SOURCES[arch]
    macros = _macros(header, defines, include_dir)
    names = [n for n in macros if n.startswith("__NR_") and n not in NOT_SYSCALLS]
    result = {n[len("__NR_"):]: _resolve(n, macros) for n in names}
    return dict(sorted(result.items(), key=lambda kv: kv[1]))


def main() -> int:
    for arch in SOURCES:
        path = HERE / f"{arch}.json"
        path.write_text(json.dumps(table(arch), indent=1) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
