"""Reading one ELF object for the static analysis: headers, dynamic tags, symbols, relocations, code.

pyelftools parses the headers, sections and dynamic tags. The bulk tables (symbols, RELA
relocations, .eh_frame entries) are decoded here with `struct.iter_unpack`, because walking
them through pyelftools' per-entry containers takes seconds on libc-sized objects.
Everything that can go wrong with a corrupt file ends up as one `BadInputError`.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from unicore.paths import file_sha256 as sha256_of
from unicore.errors import BadInputError

MACHINES = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}
# Relocation type numbers per arch: (ABS64, GLOB_DAT, JUMP_SLOT, RELATIVE, IRELATIVE).
RELOC_KINDS = {
    "x86_64": {1: "abs", 6: "got", 7: "plt", 8: "relative", 37: "irelative"},
    "aarch64": {257: "abs", 1025: "got", 1026: "plt", 1027: "relative", 1032: "irelative"},
}
STT_FUNC, STT_GNU_IFUNC = 2, 10
SHF_ALLOC, SHF_EXECINSTR = 0x2, 0x4


@dataclass
class Symbol:
    """One symbol-table entry; `version` is the GNU version name, `hidden_version` a non-default one."""

    name: str
    value: int
    size: int
    kind: int  # STT_*
    bind: int  # STB_*
    defined: bool
    version: str | None = None
    hidden_version: bool = False

    @property
    def is_func(self) -> bool:
        return self.kind in (STT_FUNC, STT_GNU_IFUNC)


@dataclass
class Reloc:
    offset: int
    kind: str  # abs | got | plt | relative | irelative | other
    symbol: Symbol | None
    addend: int


@dataclass
class Elf:
    """What the analysis needs from one ELF file."""

    path: Path
    sha256: str
    arch: str
    type: str  # EXEC | DYN
    entry: int
    interp: str | None
    needed: list[str] = field(default_factory=list)
    soname: str | None = None
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    dyn: dict[str, int] = field(default_factory=dict)
    dynsym: list[Symbol] = field(default_factory=list)
    symtab: list[Symbol] = field(default_factory=list)
    relocs: list[Reloc] = field(default_factory=list)
    code: list[tuple[int, bytes, str]] = field(default_factory=list)  # (addr, bytes, section name)
    data: list[tuple[int, bytes, str]] = field(default_factory=list)  # allocated, not executable
    fdes: list[tuple[int, int]] = field(default_factory=list)  # (start, end)
    is64: bool = True

    @property
    def pie(self) -> bool:
        """A position-independent executable (static-pie included: DF_1_PIE), not a library."""
        return self.type == "DYN" and (self.interp is not None or bool(self.dyn.get("DT_FLAGS_1", 0) & 0x08000000))

    def read(self, addr: int, size: int) -> bytes | None:
        """`size` bytes at virtual address `addr` from any allocated section, or None."""
        for start, blob, _ in self.code + self.data:
            if start <= addr and addr + size <= start + len(blob):
                return blob[addr - start:addr - start + size]
        return None




def load(path: Path) -> Elf:
    """Parse `path`; any problem with the file becomes one BadInputError line."""
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if not path.is_file():
        raise BadInputError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as f:
            return _parse(path, f)
    except BadInputError:
        raise
    except (ELFError, struct.error, ValueError, IndexError, KeyError, TypeError, AttributeError,
            UnicodeDecodeError, OverflowError, AssertionError, MemoryError, RecursionError) as exc:
        raise BadInputError(f"{path}: corrupt or unsupported ELF ({type(exc).__name__}: {exc})") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _parse(path: Path, f) -> Elf:
    if f.read(4) != b"\x7fELF":
        raise BadInputError(f"{path}: not an ELF file")
    f.seek(0)
    ef = ELFFile(f)
    arch = MACHINES.get(ef["e_machine"])
    if arch is None or ef.elfclass != 64:
        raise BadInputError(f"{path}: unsupported architecture {ef['e_machine']} "
                            f"(ELF{ef.elfclass}); supported: x86_64, aarch64")
    etype = ef["e_type"]
    if etype not in ("ET_EXEC", "ET_DYN"):
        raise BadInputError(f"{path}: not an executable or shared object ({etype})")
    elf = Elf(path=path, sha256=sha256_of(path), arch=arch, type=etype[3:],
              entry=ef["e_entry"], interp=_interp(ef))
    _read_sections(ef, elf)
    _read_dynamic(ef, elf)
    return elf


def _interp(ef: ELFFile) -> str | None:
    for seg in ef.iter_segments():
        if seg["p_type"] == "PT_INTERP":
            return seg.get_interp_name()
    return None


def _read_sections(ef: ELFFile, elf: Elf) -> None:
    """Code/data bytes, symbol tables with versions, relocations and .eh_frame ranges."""
    sections = list(ef.iter_sections())
    size = elf.path.stat().st_size
    by_type: dict[str, list] = {}
    for sec in sections:
        if sec["sh_type"] != "SHT_NOBITS" and sec["sh_offset"] + sec["sh_size"] > size:
            raise BadInputError(f"{elf.path}: corrupt ELF (section {sec.name or '?'} extends past the end of the file)")
        by_type.setdefault(sec["sh_type"], []).append(sec)
        flags = sec["sh_flags"]
        if flags & SHF_ALLOC and sec["sh_type"] != "SHT_NOBITS" and sec["sh_size"]:
            target = elf.code if flags & SHF_EXECINSTR else elf.data
            target.append((sec["sh_addr"], sec.data(), sec.name))
    elf.dynsym = _symbols(ef, by_type.get("SHT_DYNSYM", []))
    elf.symtab = _symbols(ef, by_type.get("SHT_SYMTAB", []))
    _apply_versions(ef, elf, by_type)
    for sec in by_type.get("SHT_RELA", []):
        if sec["sh_flags"] & SHF_ALLOC:
            elf.relocs.extend(_relocs(ef, sec, elf))
    for sec in sections:
        if sec.name == ".eh_frame" and sec["sh_type"] != "SHT_NOBITS":
            elf.fdes = parse_eh_frame(sec.data(), sec["sh_addr"])


def _strtab(ef: ELFFile, index: int) -> bytes:
    return ef.get_section(index).data()


def _cstr(tab: bytes, off: int) -> str:
    end = tab.find(b"\0", off)
    return tab[off:end if end >= 0 else len(tab)].decode("utf-8", "replace")


def _symbols(ef: ELFFile, secs: list) -> list[Symbol]:
    out: list[Symbol] = []
    for sec in secs[:1]:
        strtab = _strtab(ef, sec["sh_link"])
        raw = sec.data()
        raw = raw[:len(raw) - len(raw) % 24]
        for name, info, _other, shndx, value, size in struct.iter_unpack("<IBBHQQ", raw):
            out.append(Symbol(_cstr(strtab, name), value, size, info & 0xF, info >> 4, shndx != 0))
    return out


def _apply_versions(ef: ELFFile, elf: Elf, by_type: dict) -> None:
    """Attach version names from .gnu.version + .gnu.version_d/_r to the dynamic symbols."""
    versym = by_type.get("SHT_GNU_versym")
    if not versym or not elf.dynsym:
        return
    names = _version_names(by_type)
    raw = versym[0].data()
    for sym, (idx,) in zip(elf.dynsym, struct.iter_unpack("<H", raw[:len(raw) & ~1])):
        sym.version = names.get(idx & 0x7FFF)
        sym.hidden_version = bool(idx & 0x8000)


def _version_names(by_type: dict) -> dict[int, str]:
    names: dict[int, str] = {}
    for sec in by_type.get("SHT_GNU_verdef", [])[:1]:
        for verdef, aux in sec.iter_versions():
            first = next(iter(aux), None)
            if first is not None and not verdef["vd_flags"] & 1:  # VER_FLG_BASE names the file
                names[verdef["vd_ndx"]] = first.name
    for sec in by_type.get("SHT_GNU_verneed", [])[:1]:
        for _verneed, aux in sec.iter_versions():
            for vna in aux:
                names[vna["vna_other"]] = vna.name
    return names


def _relocs(ef: ELFFile, sec, elf: Elf) -> list[Reloc]:
    kinds = RELOC_KINDS[elf.arch]
    link = sec["sh_link"]
    syms = elf.dynsym if link and ef.get_section(link)["sh_type"] == "SHT_DYNSYM" else elf.symtab
    raw = sec.data()
    out = []
    for offset, info, addend in struct.iter_unpack("<QQq", raw[:len(raw) - len(raw) % 24]):
        symi = info >> 32
        sym = syms[symi] if 0 < symi < len(syms) else None
        out.append(Reloc(offset, kinds.get(info & 0xFFFFFFFF, "other"), sym, addend))
    return out


def _read_dynamic(ef: ELFFile, elf: Elf) -> None:
    for sec in ef.iter_sections():
        if sec["sh_type"] != "SHT_DYNAMIC":
            continue
        for tag in sec.iter_tags():
            _take_tag(elf, tag)
        return
    for seg in ef.iter_segments():  # no section headers: fall back to PT_DYNAMIC
        if seg["p_type"] == "PT_DYNAMIC":
            for tag in seg.iter_tags():
                _take_tag(elf, tag)


def _take_tag(elf: Elf, tag) -> None:
    t = tag.entry.d_tag
    if t == "DT_NEEDED":
        elf.needed.append(tag.needed)
    elif t == "DT_SONAME":
        elf.soname = tag.soname
    elif t == "DT_RPATH":
        elf.rpath = [p for p in tag.rpath.split(":") if p]
    elif t == "DT_RUNPATH":
        elf.runpath = [p for p in tag.runpath.split(":") if p]
    elif isinstance(t, str):
        elf.dyn[t] = tag.entry.d_val


# --- .eh_frame: function ranges of stripped objects --------------------------------------------

def _uleb(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def _encoded(buf: bytes, pos: int, enc: int, addr: int) -> tuple[int, int]:
    """Read a DW_EH_PE-encoded pointer at `pos` (section address `addr`)."""
    fmt = enc & 0x0F
    sizes = {0x0: ("<Q", 8), 0x2: ("<H", 2), 0x3: ("<I", 4), 0x4: ("<Q", 8),
             0xA: ("<h", 2), 0xB: ("<i", 4), 0xC: ("<q", 8)}
    if fmt == 0x1:
        val, new = _uleb(buf, pos)
    else:
        code, size = sizes[fmt]
        (val,) = struct.unpack_from(code, buf, pos)
        new = pos + size
    if enc & 0x70 == 0x10:  # pc-relative
        val += addr + pos
    return val & 0xFFFFFFFFFFFFFFFF, new


def _cie_encoding(buf: bytes, pos: int, end: int) -> int:
    """The FDE pointer encoding ('R' augmentation) of the CIE whose body starts at `pos`."""
    version = buf[pos]
    aug_end = buf.index(b"\0", pos + 1)
    aug = buf[pos + 1:aug_end].decode("ascii", "replace")
    pos = aug_end + 1
    if "eh" in aug:
        pos += 8
    _, pos = _uleb(buf, pos)  # code alignment
    _, pos = _uleb(buf, pos)  # data alignment (sleb, same length)
    pos = pos + 1 if version == 1 else _uleb(buf, pos)[1]
    if not aug.startswith("z"):
        return 0
    _, pos = _uleb(buf, pos)
    for ch in aug[1:]:
        if ch == "R":
            return buf[pos]
        if ch == "P":
            pos = _encoded(buf, pos + 1, buf[pos] & 0x7F, 0)[1]
        elif ch == "L":
            pos += 1
    return 0


def _entry(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(header size, body start, end) of the CIE/FDE at `pos` (32- or 64-bit length)."""
    (length,) = struct.unpack_from("<I", buf, pos)
    hdr = 4
    if length == 0xFFFFFFFF:
        (length,) = struct.unpack_from("<Q", buf, pos + 4)
        hdr = 12
    return hdr, pos + hdr, pos + hdr + length


def parse_eh_frame(buf: bytes, addr: int) -> list[tuple[int, int]]:
    """(start, end) of every FDE in an .eh_frame section loaded at `addr`."""
    out: list[tuple[int, int]] = []
    cies: dict[int, int] = {}  # CIE offset -> its FDE pointer encoding
    pos = 0
    while pos + 8 <= len(buf) and struct.unpack_from("<I", buf, pos)[0]:  # a zero length terminates
        hdr, body, end = _entry(buf, pos)
        (cie_id,) = struct.unpack_from("<I", buf, body)
        if cie_id == 0:
            cies[pos] = _cie_encoding(buf, body + 4, end)
        else:
            cie = body - cie_id
            enc = cies[cie] if cie in cies else _cie_encoding(buf, _entry(buf, cie)[1] + 4, end)
            start, p = _encoded(buf, body + 4, enc, addr)
            size, _ = _encoded(buf, p, enc & 0x0F, 0)
            if size:
                out.append((start, start + size))
        pos = end
    return out
