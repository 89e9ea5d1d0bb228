"""The shared-library closure of a program, resolved the way glibc's ld.so does it (and ldd prints).

Order of search for a DT_NEEDED name without a slash (glibc elf/dl-load.c, _dl_map_object):
DT_RPATH of the needing object and of its loaders (only when the needing object has no
DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH of the needing object, /etc/ld.so.cache, then the
default directories. Objects are loaded breadth-first and a name matching an already loaded
object's soname is not loaded again; the PT_INTERP loader is loaded first and listed where it is
first needed (or last), as ldd prints it.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from unicore.analysis.static import elf as elfmod

LD_CACHE = Path("/etc/ld.so.cache")
CACHE_MAGIC = b"glibc-ld.so.cache1.1"
# ld.so.cache flag words (glibc sysdeps/generic/ldconfig.h): ELF libc6 plus the per-arch bits.
CACHE_FLAGS = {"x86_64": 0x0303, "aarch64": 0x0A03}
MULTIARCH = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}
HOST_ARCH = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(os.uname().machine)


@dataclass
class Closure:
    libraries: list[tuple[str, Path]] = field(default_factory=list)  # (soname or needed, path)
    objects: list[elfmod.Elf] = field(default_factory=list)  # in load (search-scope) order
    missing: list[str] = field(default_factory=list)
    interp: elfmod.Elf | None = None


def default_dirs(arch: str, sysroot: str | None = None) -> list[str]:
    """ld.so's trusted directories (under `sysroot` when given: a foreign Debian system unpacked
    by program/sysroot.py), else, for a foreign architecture, also the Debian cross sysroot
    /usr/<triplet>/lib that gcc-<triplet> installs, so an aarch64 program built on this x86_64
    host finds its libraries (a native loader would not look there)."""
    m = MULTIARCH[arch]
    dirs = [f"/lib/{m}", f"/usr/lib/{m}", "/lib", "/usr/lib"]
    if sysroot:
        return [in_sysroot(d, sysroot) for d in dirs]
    return dirs if arch == HOST_ARCH else dirs + [f"/usr/{m}/lib"]


def in_sysroot(path: str, sysroot: str | None) -> str:
    """The host path of the guest's absolute `path` (itself without a sysroot)."""
    return os.path.join(sysroot, path.lstrip("/")) if sysroot else path


def _interp_path(interp: str, arch: str, sysroot: str | None = None) -> str:
    """The PT_INTERP path (in the sysroot), or its copy in the cross sysroot for a foreign architecture."""
    if sysroot:
        return in_sysroot(interp, sysroot)
    if arch == HOST_ARCH or os.path.exists(interp):
        return interp
    return os.path.join(f"/usr/{MULTIARCH[arch]}/lib", os.path.basename(interp))


@cache
def ld_cache(path: Path = LD_CACHE) -> tuple[tuple[str, str, int], ...]:
    """(name, path, flags) of every base entry of an ld.so.cache in the new (1.1) format."""
    try:
        buf = path.read_bytes()
    except OSError:
        return ()
    start = buf.find(CACHE_MAGIC)
    if start < 0:
        return ()
    try:
        nlibs, _strlen = struct.unpack_from("<II", buf, start + 20)
        out = []
        for i in range(nlibs):
            flags, key, value, _osv, hwcap = struct.unpack_from("<iIIIQ", buf, start + 48 + 24 * i)
            if hwcap == 0:  # glibc-hwcaps subdirectory entries are not what ldd picks by default
                out.append((_cstr(buf, start + key), _cstr(buf, start + value), flags))
        return tuple(out)
    except struct.error:
        return ()


def _cstr(buf: bytes, off: int) -> str:
    return buf[off:buf.index(b"\0", off)].decode("utf-8", "replace")


def _cache_lookup(name: str, arch: str, sysroot: str | None = None) -> list[str]:
    want, cache_file = CACHE_FLAGS[arch], Path(in_sysroot(str(LD_CACHE), sysroot))
    return [in_sysroot(p, sysroot) for n, p, flags in ld_cache(cache_file) if n == name and flags & 0xFFFF == want]


def _expand(entry: str, origin: str, arch: str) -> str:
    """Dynamic string tokens: $ORIGIN, $LIB, $PLATFORM (with or without braces)."""
    for token, value in (("ORIGIN", origin), ("LIB", f"lib/{MULTIARCH[arch]}"), ("PLATFORM", arch)):
        entry = entry.replace("${%s}" % token, value).replace("$" + token, value)
    return entry


def _origin(obj: elfmod.Elf) -> str:
    return os.path.dirname(os.path.realpath(obj.path))


def _candidates(name: str, needer: elfmod.Elf, loaders: list[elfmod.Elf], arch: str,
                sysroot: str | None = None) -> list[str]:
    dirs: list[str] = []
    if not needer.runpath:
        for obj in [needer, *loaders]:
            dirs += [_expand(d, _origin(obj), arch) for d in obj.rpath]
    if not sysroot:  # the host's LD_LIBRARY_PATH names host directories
        dirs += [d for d in os.environ.get("LD_LIBRARY_PATH", "").replace(";", ":").split(":") if d]
    dirs += [_expand(d, _origin(needer), arch) for d in needer.runpath]
    paths = [os.path.join(d, name) for d in dirs]
    paths += _cache_lookup(name, arch, sysroot)
    paths += [os.path.join(d, name) for d in default_dirs(arch, sysroot)]
    return paths


def _try_load(path: str, arch: str) -> elfmod.Elf | None:
    """The object at `path` when it exists and is a loadable object of `arch` (else ld.so moves on)."""
    if not os.path.isfile(path):
        return None
    try:
        obj = elfmod.load(Path(path))
    except Exception:  # a wrong or broken candidate is skipped, as ld.so does
        return None
    return obj if obj.arch == arch and obj.type == "DYN" else None


def resolve(program: elfmod.Elf, progress=None, sysroot: str | None = None) -> Closure:
    """Breadth-first closure of `program`'s DT_NEEDED, like ld.so's _dl_map_object_deps; with
    `sysroot`, the loader's paths are inside that directory (the paths returned are host paths)."""
    return _Resolver(program, progress, sysroot).run()


class _Resolver:
    def __init__(self, program: elfmod.Elf, progress, sysroot: str | None = None):
        self.program, self.sysroot = program, sysroot
        self.progress = progress or (lambda _m: None)
        self.out = Closure(objects=[program])
        self.loaded: dict[str, elfmod.Elf] = {}  # soname / needed name / realpath -> object
        self.parents: dict[int, list[elfmod.Elf]] = {id(program): []}  # loader chains (DT_RPATH)

    def run(self) -> Closure:
        out, program = self.out, self.program
        if program.interp:  # the kernel maps the loader before anything else
            out.interp = _try_load(_interp_path(program.interp, program.arch, self.sysroot), program.arch)
            if out.interp is None:
                out.missing.append(program.interp)
            else:
                self._remember(out.interp, program.interp)
        queue = [program]
        while queue:
            needer = queue.pop(0)
            queue += [o for o in (self._needed(name, needer) for name in needer.needed) if o is not None]
        if out.interp is not None:
            self._join_scope(out.interp)  # needed by nobody: last, as ldd prints it
        return out

    def _remember(self, obj: elfmod.Elf, name: str) -> None:
        self.loaded[name] = obj
        if obj.soname:
            self.loaded[obj.soname] = obj
        self.loaded[os.path.realpath(obj.path)] = obj

    def _join_scope(self, obj: elfmod.Elf) -> None:
        """The loader takes its place in the search list (and in ldd's output, rtld.c moves it
        there) where it is first needed, breadth-first."""
        if all(o is not obj for o in self.out.objects):
            self.out.objects.append(obj)
            self.out.libraries.append((obj.soname or self.program.interp, obj.path))

    def _needed(self, name: str, needer: elfmod.Elf) -> elfmod.Elf | None:
        """Load one DT_NEEDED entry; the new object (to visit), or None."""
        if name in self.loaded:
            if self.loaded[name] is self.out.interp:
                self._join_scope(self.out.interp)
            return None
        loaders = self.parents[id(needer)]
        cands = ([in_sysroot(name, self.sysroot)] if "/" in name
                 else _candidates(name, needer, loaders, needer.arch, self.sysroot))
        for path in cands:
            real = os.path.realpath(path)
            if real in self.loaded:  # the same file under another name
                self._remember(self.loaded[real], name)
                return None
            obj = _try_load(path, needer.arch)
            if obj is not None:
                self.progress(f"loading {path}")
                self.out.libraries.append((name, Path(path)))
                self.out.objects.append(obj)
                self.parents[id(obj)] = [needer, *loaders]
                self._remember(obj, name)
                return obj
        if name not in self.out.missing:
            self.out.missing.append(name)
        return None
