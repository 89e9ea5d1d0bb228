"""The targets the kernel, file-system and binary tests run on (imported as `targets`).

Each such test takes the `target` fixture (tests/conftest.py), parametrised over TARGETS: one
suite, every test on every target. A target whose tools are missing fails (ToolMissingError
names the package), it is never skipped silently.
"""

from unicore import syscalls

TARGETS = ("qemu/x86_64", "qemu/arm64", "spt/x86_64")
ELF_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}  # uname -m, the program's machine


def arch_of(target: str) -> str:
    return target.split("/")[1]


def syscall_number(target: str, name: str) -> int:
    return syscalls.by_name(arch_of(target))[name]


# The first line of a crash report: the CPU's cause (x86_64: vector and error code; arm64: the
# exception class, vector table slot 0 = synchronous from the program, and the ESR: EC 0x25 data
# abort, IL, DFSC translation fault at level 2 (the null page) or 3 (a guard page), WnR for writes).
NULL_CAUSE = {"x86_64": "page fault (vector 14), error code 0x0", "arm64": "data abort (vector 0), error code 0x96000006"}
GUARD_CAUSE = {"x86_64": "page fault (vector 14), error code 0x2", "arm64": "data abort (vector 0), error code 0x96000047"}
