"""Shared objects a run may never have loaded: the DT_NEEDED closure of every ELF object the
rootfs brings (a Python, Perl or Ruby extension module needs its C library: _sqlite3 needs
libsqlite3.so.0), and the libraries an object names in a string it can pass to dlopen.

dlopen detection is static and conservative: only objects whose dynamic symbols name `dlopen`
are read, and only NUL-terminated strings of their
read-only data that are a library file name (`libNAME.so[.N...]`) or an absolute `.so` path,
found where ld.so would find it on this host.
"""

import os
import re
from functools import cache
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from unicore.analysis.static.closure import HOST_ARCH, _cache_lookup, default_dirs

# a dynamic symbol of one of these names: the object calls dlopen, or is libc (which defines it
# and dlopens libgcc_s.so.1 for unwinding and libidn2.so.0 for getaddrinfo's AI_IDN)
DLOPEN_NAMES = ("dlopen", "dlmopen", "__libc_dlopen_mode")
LIB_NAME = re.compile(rb"(?<![\w./+-])(lib[\w+-]+(?:\.[\w+-]+)*\.so(?:\.\d+)*|/[\w./+-]+\.so(?:\.\d+)*)\x00")
RODATA = (".rodata", ".rodata.str1.1", ".rodata.str1.8", ".data.rel.ro")


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


@cache
def _read(path: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(DT_NEEDED names, library names in read-only strings, imports dlopen) of one ELF object."""
    try:
        with open(path, "rb") as f:
            ef = ELFFile(f)
            needed, dynstr = [], ef.get_section_by_name(".dynstr")
            for sec in ef.iter_sections():
                if isinstance(sec, DynamicSection):
                    needed += [t.needed for t in sec.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
            names = dynstr.data() if dynstr is not None else b""
            calls_dlopen = any(b"\0%s\0" % n.encode() in names for n in DLOPEN_NAMES)
            strings = []
            if calls_dlopen:
                for name in RODATA:
                    sec = ef.get_section_by_name(name)
                    if sec is not None and sec["sh_type"] != "SHT_NOBITS":
                        strings += [m.group(1).decode() for m in LIB_NAME.finditer(sec.data())]
            return tuple(needed), tuple(dict.fromkeys(strings)), calls_dlopen
    except (OSError, ELFError, ValueError, KeyError, AttributeError):
        return (), (), False


def find_library(name: str) -> str | None:
    """Where ld.so would find `name` on this host (ld.so.cache, then the default directories)."""
    if "/" in name:
        return name if os.path.isfile(name) else None
    arch = HOST_ARCH or "x86_64"
    for path in [*_cache_lookup(name, arch), *(os.path.join(d, name) for d in default_dirs(arch))]:
        if os.path.isfile(path):
            return path
    return None


def needed(path: str) -> list[str]:
    return list(_read(path)[0])


def dlopen_names(path: str) -> list[str]:
    """Library names `path` may dlopen (empty unless it imports dlopen)."""
    return list(_read(path)[1])


def closure(paths: list[str], have: set[str]) -> dict[str, str]:
    """Libraries (path -> the object that needs it) the ELF objects `paths` need, transitively,
    that are not in `have` (canonical paths)."""
    from unicore.rootfs.dpkg import canonical
    out: dict[str, str] = {}
    todo = [p for p in paths if is_elf(Path(p))]
    while todo:
        obj = todo.pop()
        for name in needed(obj):
            lib = find_library(name)
            if lib and canonical(lib) not in have and lib not in out:
                out[lib] = obj
                todo.append(lib)
    return out
