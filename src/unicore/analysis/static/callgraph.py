"""Per-object analysis: functions, call graph edges, address-taken roots and syscall sites.

The result for one ELF object is a JSON-ready summary that does not depend on the program
using the object, so it is cached by the object's content hash (cache.py) and linked with
the other objects of a closure by reach.py. Region indices (functions) are local to the object;
edges to other objects are symbol keys ("name" or "name@version") bound at link time.
"""

from __future__ import annotations

import bisect
import struct

from unicore.analysis.static import disasm
from unicore.analysis.static.elf import Elf

SUMMARY_VERSION = 15  # 15: aarch64 FDE starts are not split one byte in (x86_64 only)
# 14: `mov al, imm` after `xor eax, eax` (musl clone) is a constant
PLT_SECTIONS = (".plt", ".plt.sec", ".plt.got", ".iplt")
NOT_POINTER_DATA = (".eh_frame", ".eh_frame_hdr", ".gcc_except_table", ".dynsym", ".dynstr", ".interp",
                    ".hash", ".gnu.hash", ".gnu.version", ".gnu.version_r", ".gnu.version_d", ".symtab",
                    ".strtab", ".dynamic", ".comment")


class Regions:
    """Function boundaries: every known start splits the code into [start, next start)."""

    def __init__(self, elf: Elf, extra: set[int] = frozenset()):
        code = [(a, a + len(b), n) for a, b, n in elf.code if n not in PLT_SECTIONS]
        starts = {a for a, _e, _n in code} | set(extra)
        names: dict[int, str] = {}
        for sym in elf.symtab + elf.dynsym:  # .symtab names win: added first
            if sym.defined and sym.is_func and sym.value:
                starts.add(sym.value)
                names.setdefault(sym.value, sym.name)
        # FDE and symbol ends do not split: code after them (glibc's clone.S ends its CFI
        # before `syscall`) still belongs to the function above, which is the sound choice.
        for s, _e in elf.fdes:
            starts.add(s)
            if elf.arch == "x86_64" and s not in names and elf.read(s, 1) in (b"\x00", b"\x90"):
                # glibc starts x86_64 __restore_rt's FDE one byte early, inside padding (nop or
                # zero); aarch64 instructions are 4 bytes and many begin with a zero byte
                # (adrp x0, mov x0, #0): split there, and the function is cut after one byte.
                starts.add(s + 1)
        starts.add(elf.entry)
        for key in ("DT_INIT", "DT_FINI"):
            if key in elf.dyn:
                starts.add(elf.dyn[key])
        self._build(code, starts, names)

    @classmethod
    def from_items(cls, items: list) -> "Regions":
        """The regions a summary recorded (link time: no need to find the starts again)."""
        self = cls.__new__(cls)
        self.items = [tuple(i) for i in items]
        self.starts = [s for s, _e, _n in self.items]
        return self

    def _build(self, code, starts, names) -> None:
        self.items: list[tuple[int, int, str]] = []
        for cs, ce, _n in sorted(code):
            inside = sorted(s for s in starts if cs <= s < ce)
            for i, s in enumerate(inside):
                end = inside[i + 1] if i + 1 < len(inside) else ce
                self.items.append((s, end, names.get(s, f"sub_{s:x}")))
        self.starts = [s for s, _e, _n in self.items]

    def find(self, addr: int) -> int | None:
        """Index of the region containing `addr`."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and addr < self.items[i][1]:
            return i
        return None


def sym_key(name: str, version: str | None) -> str:
    return f"{name}@{version}" if version else name


def _plt_slots(elf: Elf, md) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(sorted [(stub jump address, GOT slot)], PLT section ranges)."""
    ranges = [(a, a + len(b)) for a, b, n in elf.code if n in PLT_SECTIONS]
    if elf.arch == "aarch64":
        return sorted(_arm_plt(elf, md)), ranges
    jumps = []
    for addr, blob, name in elf.code:
        if name in PLT_SECTIONS:
            for a, size, m, o in disasm.sweep(md, blob, addr):
                if m.endswith("jmp") and "[rip " in o:
                    jumps.append((a, disasm._rip_target(o, a + size)))
    return sorted(jumps), ranges


def _arm_plt(elf: Elf, md) -> list[tuple[int, int]]:
    """aarch64 stubs: adrp x16, page; ldr x17, [x16, #off]; add; br x17 -> slot page+off."""
    out = []
    for addr, blob, name in elf.code:
        if name not in PLT_SECTIONS:
            continue
        for i in range(0, len(blob) - 8, 4):
            s = disasm.scan_arm(md, blob[i:i + 8], addr + i, addr + i + 8, False)
            if s.refs:
                out.append((addr + i + 8, s.refs[-1]))  # keyed on the br after adrp+ldr
    return out


class ObjectAnalysis:
    """Builds the summary of one object."""

    def __init__(self, elf: Elf, progress=None):
        self.elf = elf
        self.progress = progress
        self.md = disasm.make_cs(elf.arch)
        self.regions = Regions(elf)
        self.slots = {r.offset: r for r in elf.relocs}
        self.plt_jumps, self.plt_ranges = _plt_slots(elf, self.md)
        fdes = sorted(elf.fdes)
        self.fde_starts = [a for a, _e in fdes]
        self.fde_ends = [e for _a, e in fdes]
        self.plt_addrs = [a for a, _s in self.plt_jumps]
        self.plt_lo = min((a for a, _e in self.plt_ranges), default=0)
        self.plt_hi = max((e for _a, e in self.plt_ranges), default=0)

    # --- mapping referenced addresses to functions or symbols ---

    def _plt_symbol(self, t: int) -> str | int | None:
        i = bisect.bisect_left(self.plt_addrs, t)
        if i < len(self.plt_addrs) and self.plt_addrs[i] - t < 16:
            return self._slot_target(self.plt_jumps[i][1])
        return None

    def _slot_target(self, slot: int) -> str | int | None:
        """What a pointer slot holds: a symbol key, a local region index, or None."""
        r = self.slots.get(slot)
        if r is None:
            return None
        if r.symbol is not None and r.symbol.name:
            if r.symbol.defined and r.kind == "relative":
                return self.regions.find(r.symbol.value)
            return sym_key(r.symbol.name, r.symbol.version)
        if r.kind in ("relative", "irelative"):
            return self.regions.find(r.addend)
        return None

    def target(self, t: int) -> str | int | None:
        """A referenced address as a region index (code), symbol key (PLT stub/GOT slot) or None."""
        if self.plt_lo <= t < self.plt_hi and any(a <= t < e for a, e in self.plt_ranges):
            return self._plt_symbol(t)
        if t in self.slots:
            return self._slot_target(t)
        return self.regions.find(t)

    # --- the scan ---

    def _in_fde(self, addr: int) -> bool:
        """Inside a function .eh_frame describes: its bounds are known, a jump there (from its
        .cold part, say) is no function entry."""
        i = bisect.bisect_right(self.fde_starts, addr) - 1
        return i >= 0 and addr < self.fde_ends[i]

    def _scan_all(self, previous: dict | None = None) -> list[disasm.Scan]:
        """Scan every region; `previous` maps (start, end) to scans still valid after a split."""
        scan = disasm.scan_x86 if self.elf.arch == "x86_64" else disasm.scan_arm
        absolute = self.elf.type == "EXEC"
        previous = previous or {}
        return [previous.get((start, end)) or scan(self.md, self._bytes(self.code, start, end), start, end, absolute)
                for start, end, _name in self.regions.items]

    def _scans(self) -> list[disasm.Scan]:
        """Scan every function; call targets and jump targets in other functions that start no
        known function become starts (stripped code without .eh_frame, e.g. static musl: a tail
        call's target is a function entry), and the split regions are scanned again."""
        scans = self._scan_all()
        for _round in range(8):
            known = set(self.regions.starts)
            targets = {t for s in scans for t in s.called} | {t for s in scans for _a, t in s.calls}
            new = {t for t in targets if t not in known and self.regions.find(t) is not None
                   and not self._in_fde(t)}
            if not new:
                break
            previous = {(a, e): sc for (a, e, _n), sc in zip(self.regions.items, scans)}
            self.regions = Regions(self.elf, known | new)
            scans = self._scan_all(previous)
        return scans

    def run(self) -> dict:
        """Scan every function and return the object's summary."""
        self.code = {a: b for a, b, _n in self.elf.code}
        scans = self._scans()
        if self.progress:
            self.progress(f"{self.elf.path}: {len(scans)} functions scanned, resolving syscall sites")
        self.calls: list[tuple[int, int, int]] = []  # (caller region, insn address, target)
        self.taken: set[int] = set()
        self.plt_calls: dict[str, list] = {}
        edges = [self._edges(ri, s) for ri, s in enumerate(scans)]
        sites = [(ri, a) for ri, s in enumerate(scans) for a in s.sites]
        self.legacy = [(ri, a) for ri, s in enumerate(scans) for a in s.legacy]
        return self._summary(edges, sites, self.taken, self.plt_calls)

    def _edges(self, ri: int, s: disasm.Scan) -> set:
        """Targets (region indices, symbol keys) of function `ri`; records calls and taken addresses."""
        edges: set = set()
        for a, t in s.calls:
            tgt = self.target(t)
            if isinstance(tgt, str):
                self.plt_calls.setdefault(tgt, []).append([ri, a])
            elif tgt is not None:
                self.calls.append((ri, a, t))
            edges.add(tgt)
        for t in s.refs:
            tgt = self.target(t)
            if isinstance(tgt, str):
                self.plt_calls.setdefault(tgt, []).append([ri, None])  # address loaded, not called
            elif tgt is not None and self.regions.items[tgt][0] == t:
                self.taken.add(tgt)
            edges.add(tgt)
        end = self.regions.items[ri][1]
        if s.falls_through and ri + 1 < len(self.regions.items) and self.regions.items[ri + 1][0] == end:
            edges.add(ri + 1)
        edges.discard(None)
        return edges

    def _bytes(self, code: dict, start: int, end: int) -> bytes:
        for a, b in code.items():
            if a <= start < a + len(b):
                return b[start - a:end - a]
        return b""

    def _callers(self) -> dict[str, list]:
        """Direct calls into each function's entry: {callee: [[caller, call address]]}, for
        wrappers only discovered at link time (a function passing its parameter to syscall@plt)."""
        out: dict[str, list] = {}
        for cri, a, t in self.calls:
            ri = self.regions.find(t)
            if ri is not None and self.regions.items[ri][0] == t:
                out.setdefault(str(ri), []).append([cri, a])
        return out

    def _summary(self, edges, sites, taken, plt_calls) -> dict:
        from unicore.analysis.static import syscall_sites
        resolved = syscall_sites.resolve(self, sites)
        local = [sorted(t for t in e if isinstance(t, int)) for e in edges]
        syms = {str(i): sorted(t for t in e if isinstance(t, str)) for i, e in enumerate(edges)
                if any(isinstance(t, str) for t in e)}
        roots, root_syms = data_roots(self)
        return {
            "version": SUMMARY_VERSION, "path": str(self.elf.path), "sha256": self.elf.sha256,
            "arch": self.elf.arch, "soname": self.elf.soname,
            "regions": [list(r) for r in self.regions.items],
            "edges": local, "sym_edges": syms, "roots": sorted(roots), "root_syms": sorted(root_syms),
            "entry": self.regions.find(self.elf.entry) if self.elf.entry else None,
            "exports": exports(self), "imports": imports(self.elf),
            "taken": sorted(taken), "plt_calls": plt_calls, "callers": self._callers(),
            "sites": len(sites) + len(self.legacy), **resolved,
        }


def exports(oa: ObjectAnalysis) -> dict[str, int]:
    """Defined dynamic symbols: key -> region index (-1 for data)."""
    out: dict[str, int] = {}
    for sym in oa.elf.dynsym:
        if not sym.defined or not sym.name or sym.bind not in (1, 2, 10):  # GLOBAL, WEAK, GNU_UNIQUE
            continue
        ri = oa.regions.find(sym.value) if sym.is_func else None
        val = -1 if ri is None else ri
        if sym.version:
            out[sym_key(sym.name, sym.version)] = val
        if not sym.hidden_version:
            out.setdefault(sym.name, val)
    return out


def imports(elf: Elf) -> list[list]:
    """Undefined dynamic symbols: [name, version, weak]."""
    seen = set()
    out = []
    for sym in elf.dynsym:
        if sym.defined or not sym.name or (sym.name, sym.version) in seen:
            continue
        seen.add((sym.name, sym.version))
        out.append([sym.name, sym.version, sym.bind == 2])
    return out


def _relr(elf: Elf) -> list[int]:
    """Addresses relocated by DT_RELR (packed relative relocations)."""
    addr, size = elf.dyn.get("DT_RELR"), elf.dyn.get("DT_RELRSZ", 0)
    raw = elf.read(addr, size) if addr else None
    out: list[int] = []
    where = 0
    for (entry,) in struct.iter_unpack("<Q", raw or b""):
        if entry & 1 == 0:
            out.append(entry)
            where = entry + 8
        else:
            for bit in range(63):
                if entry >> (bit + 1) & 1:
                    out.append(where + 8 * bit)
            where += 63 * 8
    return out


def data_roots(oa: ObjectAnalysis) -> tuple[set[int], set[str]]:
    """Functions whose address is stored in data (coarse: all of them are roots), init/fini."""
    roots: set[int] = set()
    syms: set[str] = set()
    for r in oa.elf.relocs:
        if r.kind in ("relative", "irelative"):
            _add(roots, oa.regions.find(r.addend))
        elif r.kind == "abs" and r.symbol is not None and r.symbol.name:
            syms.add(sym_key(r.symbol.name, r.symbol.version))
    for where in _relr(oa.elf):
        raw = oa.elf.read(where, 8)
        if raw:
            _add(roots, oa.regions.find(struct.unpack("<Q", raw)[0]))
    if oa.elf.type == "EXEC":
        roots |= _pointer_scan(oa)
    for key in ("DT_INIT", "DT_FINI"):
        if key in oa.elf.dyn:
            _add(roots, oa.regions.find(oa.elf.dyn[key]))
    roots |= _init_arrays(oa)
    return roots, syms


def _add(roots: set[int], ri: int | None) -> None:
    if ri is not None:
        roots.add(ri)


def _pointer_scan(oa: ObjectAnalysis) -> set[int]:
    """Position-dependent objects keep function pointers unrelocated: aligned words equal to a start."""
    starts = {s: i for i, s in enumerate(oa.regions.starts)}
    out = set()
    for addr, blob, name in oa.elf.data:
        if name in NOT_POINTER_DATA or name.startswith((".rela", ".note", ".gnu")):
            continue
        skip = (-addr) % 8
        words = memoryview(blob[skip:len(blob) - (len(blob) - skip) % 8]).cast("Q")
        out.update(starts[w] for w in set(words) & starts.keys())
    return out


def _init_arrays(oa: ObjectAnalysis) -> set[int]:
    out: set[int] = set()
    for key in ("DT_INIT_ARRAY", "DT_FINI_ARRAY", "DT_PREINIT_ARRAY"):
        addr, size = oa.elf.dyn.get(key), oa.elf.dyn.get(key + "SZ", 0)
        raw = oa.elf.read(addr, size) if addr else None
        for (ptr,) in struct.iter_unpack("<Q", raw[:len(raw) & ~7] if raw else b""):
            _add(out, oa.regions.find(ptr))
    return out
