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
from unicore.formats import elf
from unicore.formats.elf import PHDR, PT_LOAD, Segment


def is_fixed_static(path: Path) -> bool:
    """True for a static, non-PIE executable (its symbols are at their run-time addresses)."""
    header = elf.parse(Path(path).read_bytes(), f"program {path}")
    return header.type == elf.ET_EXEC and not header.interp


def check_program(path: Path, arch: str = "x86_64", any_elf: bool = False) -> None:
    """Raise BadInputError unless `path` is a static, non-PIE ELF executable for `arch`; with
    `any_elf` (the image has the exec library), PIE and dynamically linked ones are fine too."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInputError(f"program {path}: {exc.strerror}") from None
    header = elf.parse(data, f"program {path}")
    if header.machine != elf.MACHINES[arch]:
        raise BadInputError(f"program {path} is not built for {arch}")
    if any_elf and header.type in (elf.ET_EXEC, elf.ET_DYN):
        return
    if header.interp:
        raise BadInputError(f"program {path} is dynamically linked: add the exec library (--with exec) "
                            "or link it statically (unicore cc, -static -no-pie)")
    if header.type != elf.ET_EXEC:
        raise BadInputError(f"program {path} is position-independent: add the exec library (--with exec) "
                            "or link it with -static -no-pie")


def pack(data: bytes) -> bytes:
    """The program with its PT_LOAD data back to back after the first segment (which holds the
    ELF and program headers); the original file when its layout does not allow that."""
    header = elf.parse(data)
    phdrs = header.segments
    loads = [p for p in phdrs if p.type == PT_LOAD]
    if not loads or loads[0].offset != 0 or loads[0].filesz < header.phoff + len(phdrs) * PHDR.size:
        return data
    out = bytearray(data[: loads[0].filesz])
    moved = {0: 0}
    for p in loads[1:]:
        out += bytes(-len(out) % 16)
        moved[p.offset] = len(out)
        out += data[p.offset : p.offset + p.filesz]
    offsets = [_new_offset(p, loads, moved) for p in phdrs]  # before any header changes
    for i, p in enumerate(phdrs):
        PHDR.pack_into(out, header.phoff + i * PHDR.size, *p._replace(offset=offsets[i]))
    struct.pack_into("<Q", out, 0x28, 0)  # no section headers: e_shoff, e_shnum, e_shstrndx
    struct.pack_into("<HH", out, 0x3C, 0, 0)
    return bytes(out)


def _new_offset(p: Segment, loads: list[Segment], moved: dict[int, int]) -> int:
    for load in loads:
        if load.offset <= p.offset and p.offset + p.filesz <= load.offset + load.filesz:
            return moved[load.offset] + (p.offset - load.offset)
    return 0


def main(argv: list[str]) -> int:
    src, dst = Path(argv[0]), Path(argv[1])
    dst.write_bytes(pack(src.read_bytes()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
