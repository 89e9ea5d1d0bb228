"""Syscall names and numbers per architecture, generated from the Linux UAPI headers (see gen.py)."""

import json
from functools import cache
from pathlib import Path

from unicore.errors import BadInputError

ARCHES = ("x86_64", "aarch64")
ALIASES = {"arm64": "aarch64"}  # the target's name (Debian's, qemu/arm64) for the ELF/uname name


@cache
def by_name(arch: str) -> dict[str, int]:
    """{name: number} for `arch` (x86_64, aarch64 or its alias arm64)."""
    arch = ALIASES.get(arch, arch)
    if arch not in ARCHES:
        raise BadInputError(f"unsupported architecture {arch!r} (supported: {', '.join(ARCHES)})")
    return json.loads((Path(__file__).parent / f"{arch}.json").read_text())


@cache
def by_number(arch: str) -> dict[int, str]:
    """{number: name} for `arch`."""
    return {nr: name for name, nr in by_name(arch).items()}


def name_of(arch: str, number: int) -> str:
    """The syscall's name, or `unknown_<n>` for a number the headers do not define."""
    return by_number(arch).get(number, f"unknown_{number}")
