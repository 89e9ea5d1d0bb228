"""The program embedded in an image: checks it is a static ELF for the target, and packs it.

Packing keeps every program header but drops the section headers, symbols and the page padding
between segments (the kernel copies each PT_LOAD to its address; nothing needs file alignment),
which saves about a quarter of a small static program. Run as a module by the build:
`python -m unicore.image.payload PROGRAM OUT`.
"""

import struct
import sys
from pathlib import Path

from unicore.errors import BadInputError

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
PT_LOAD, PT_INTERP = 1, 3
MACHINES = {"x86_64": 62, "aarch64": 183}


def _headers(data: bytes) -> tuple[tuple, list[list[int]]]:
    ehdr = EHDR.unpack_from(data)
    phoff, phnum = ehdr[5], ehdr[10]
    return ehdr, [list(PHDR.unpack_from(data, phoff + i * PHDR.size)) for i in range(phnum)]


def is_fixed_static(path: Path) -> bool:
    """True for a static, non-PIE executable (its symbols are at their run-time addresses)."""
    ehdr, phdrs = _headers(Path(path).read_bytes())
    return ehdr[1] == 2 and not any(p[0] == PT_INTERP for p in phdrs)


def check_program(path: Path, arch: str = "x86_64", any_elf: bool = False) -> None:
    """Raise BadInputError unless `path` is a static, non-PIE ELF executable for `arch`; with
    `any_elf` (the image has the exec library), PIE and dynamically linked ones are fine too."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInputError(f"program {path}: {exc.strerror}") from None
    if len(data) < EHDR.size or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise BadInputError(f"program {path} is not a 64-bit little-endian ELF file")
    ehdr, phdrs = _headers(data)
    if ehdr[2] != MACHINES[arch]:
        raise BadInputError(f"program {path} is not built for {arch}")
    if any_elf and ehdr[1] in (2, 3):
        return
    if any(p[0] == PT_INTERP for p in phdrs):
        raise BadInputError(f"program {path} is dynamically linked: add the exec library (--with exec) "
                            "or link it statically (unicore cc, -static -no-pie)")
    if ehdr[1] != 2:
        raise BadInputError(f"program {path} is position-independent: add the exec library (--with exec) "
                            "or link it with -static -no-pie")


def pack(data: bytes) -> bytes:
    """The program with its PT_LOAD data back to back after the first segment (which holds the
    ELF and program headers); the original file when its layout does not allow that."""
    ehdr, phdrs = _headers(data)
    loads = [p for p in phdrs if p[0] == PT_LOAD]
    if not loads or loads[0][2] != 0 or loads[0][5] < ehdr[5] + len(phdrs) * PHDR.size:
        return data
    out = bytearray(data[: loads[0][5]])
    moved = {0: 0}
    for p in loads[1:]:
        out += bytes(-len(out) % 16)
        moved[p[2]] = len(out)
        out += data[p[2] : p[2] + p[5]]
    offsets = [_new_offset(p, loads, moved) for p in phdrs]  # before any header changes
    for i, p in enumerate(phdrs):
        PHDR.pack_into(out, ehdr[5] + i * PHDR.size, p[0], p[1], offsets[i], *p[3:])
    struct.pack_into("<Q", out, 0x28, 0)  # no section headers: e_shoff, e_shnum, e_shstrndx
    struct.pack_into("<HH", out, 0x3C, 0, 0)
    return bytes(out)


def _new_offset(p: list[int], loads: list[list[int]], moved: dict[int, int]) -> int:
    for load in loads:
        if load[2] <= p[2] and p[2] + p[5] <= load[2] + load[5]:
            return moved[load[2]] + (p[2] - load[2])
    return 0


def main(argv: list[str]) -> int:
    src, dst = Path(argv[0]), Path(argv[1])
    dst.write_bytes(pack(src.read_bytes()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
