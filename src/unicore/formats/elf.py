"""ELF64 little-endian headers: the file header, program headers (segments) and section headers.

The one header reader of the package: checking and packing the embedded program (image/payload.py),
finding the newest executable a Makefile built (program/build.py), where an image ends in RAM
(commands/run.py). Symbols, dynamic tags and code are the static analysis's (analysis/static/elf.py,
through pyelftools); nothing here needs more than struct.
"""

import struct
from pathlib import Path
from typing import NamedTuple

from unicore.errors import BadInputError

MAGIC = b"\x7fELF"
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
SHDR = struct.Struct("<IIQQQQIIQQ")
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP = 1, 3
SHT_NOBITS = 8
MACHINES = {"x86_64": 62, "aarch64": 183, "arm64": 183}  # arm64: the target's name for aarch64


class Segment(NamedTuple):
    type: int
    flags: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int
    align: int


class Section(NamedTuple):
    name: str
    type: int
    offset: int
    addr: int
    size: int


class Header(NamedTuple):
    type: int       # ET_EXEC (fixed address) or ET_DYN (PIE, shared object)
    machine: int    # e_machine (MACHINES)
    entry: int
    phoff: int
    shoff: int
    shnum: int
    shstrndx: int
    segments: tuple[Segment, ...]

    @property
    def interp(self) -> bool:
        return any(s.type == PT_INTERP for s in self.segments)

    def load_end(self) -> int:
        """Where the highest PT_LOAD segment ends in physical memory (0 without one)."""
        return max((s.paddr + s.memsz for s in self.segments if s.type == PT_LOAD), default=0)


def is_elf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == MAGIC


def parse(data: bytes, where: object = "file") -> Header:
    """The headers of an ELF64 little-endian file; BadInputError naming `where` otherwise."""
    if len(data) < EHDR.size or data[:4] != MAGIC or data[4] != 2 or data[5] != 1:
        raise BadInputError(f"{where} is not a 64-bit little-endian ELF file")
    e = EHDR.unpack_from(data)
    phoff, phnum, shoff, shnum, shstrndx = e[5], e[10], e[6], e[12], e[13]
    if phoff + phnum * PHDR.size > len(data):
        raise BadInputError(f"{where}: program headers extend past the end of the file")
    segments = tuple(Segment(*PHDR.unpack_from(data, phoff + i * PHDR.size)) for i in range(phnum))
    return Header(e[1], e[2], e[4], phoff, shoff, shnum, shstrndx, segments)


def sections(data: bytes, header: Header) -> list[Section]:
    """The named sections (none when the section headers are missing or cut off)."""
    if not header.shoff or header.shoff + header.shnum * SHDR.size > len(data) or header.shstrndx >= header.shnum:
        return []
    raw = [SHDR.unpack_from(data, header.shoff + i * SHDR.size) for i in range(header.shnum)]
    strtab = raw[header.shstrndx]
    names = data[strtab[4]:strtab[4] + strtab[5]]
    return [Section(_name(names, s[0]), s[1], s[4], s[3], s[5]) for s in raw]


def _name(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset:end if end >= 0 else len(table)].decode(errors="replace")


def section_data(data: bytes, header: Header, name: str) -> bytes | None:
    """The bytes of section `name`, None when there is no such section."""
    for s in sections(data, header):
        if s.name == name:
            return b"" if s.type == SHT_NOBITS else data[s.offset:s.offset + s.size]
    return None
