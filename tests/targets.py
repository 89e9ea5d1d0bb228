"""The targets the kernel, file-system and binary tests run on (imported as `targets`).

Each such test takes the `target` fixture (tests/conftest.py), parametrised over TARGETS: one
suite, every test on every target. A target whose tools are missing fails (ToolMissingError
names the package), it is never skipped silently.
"""

from unicore import syscalls

TARGETS = ("qemu/x86_64", "qemu/arm64")
ELF_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}  # uname -m, the program's machine


def arch_of(target: str) -> str:
    return target.split("/")[1]


def syscall_number(target: str, name: str) -> int:
    return syscalls.by_name(arch_of(target))[name]
