"""Linking per-object summaries: symbol binding and reachability over the whole closure.

Binding follows the global search scope (program, then libraries in load order): the first
object defining the symbol wins; a versioned import binds only to the same version (or to an
unversioned definition in an object without version definitions), an unversioned import to the
default version. Reachability is a breadth-first search over functions from the entry points:
the program's entry, the loader's entry, every object's init/fini functions and every function
whose address is stored in data (see docs/static-analysis.md for why this is sound).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from unicore.analysis.static import callgraph, disasm, syscall_sites
from unicore.analysis.static.elf import Elf

Node = tuple[int, int]  # (object index, region index)


@dataclass
class Linked:
    reachable: set[Node] = field(default_factory=set)
    syscalls: set[int] = field(default_factory=set)
    all_syscalls: set[int] = field(default_factory=set)
    unresolved: list[dict] = field(default_factory=list)


class Linker:
    def __init__(self, objects: list[Elf], summaries: list[dict], names: list[str], interp: int | None):
        self.objects = objects
        self.sums = summaries
        self.names = names
        self.interp = interp
        self.versioned = [any("@" in k for k in s["exports"]) for s in summaries]
        self._bind_cache: dict[str, tuple[int, int] | None] = {}

    def bind(self, key: str) -> tuple[int, int] | None:
        """(object, region or -1 for data) defining `key`, first in the search scope."""
        if key not in self._bind_cache:
            self._bind_cache[key] = self._lookup(key)
        return self._bind_cache[key]

    def _lookup(self, key: str) -> tuple[int, int] | None:
        name = key.split("@", 1)[0]
        for oi, s in enumerate(self.sums):
            ex = s["exports"]
            if key in ex:
                return oi, ex[key]
            if key != name and not self.versioned[oi] and name in ex:
                return oi, ex[name]
        return None

    def roots(self) -> list[Node]:
        out: list[Node] = []
        for oi, s in enumerate(self.sums):
            if (oi == 0 or oi == self.interp) and s["entry"] is not None:
                out.append((oi, s["entry"]))
            out += [(oi, r) for r in s["roots"]]
            out += [b for b in map(self.bind, s["root_syms"]) if b and b[1] >= 0]
        return out + self.loader_lookups()

    def loader_lookups(self) -> list[Node]:
        """Functions the dynamic loader finds by name at run time (glibc's rtld calls libc's
        `__libc_early_init` and its malloc/calloc/realloc/free that way): every exact C string
        in the loader's read-only data naming a function some object exports is a root."""
        if self.interp is None:
            return []
        names: set[str] = set()
        for _addr, blob, name in self.objects[self.interp].data:
            if name == ".rodata":
                names.update(w.decode("latin-1") for w in blob.split(b"\0") if 2 < len(w) < 64)
        return [b for b in map(self.bind, sorted(names)) if b and b[1] >= 0 and b[0] != self.interp]

    def reach(self) -> set[Node]:
        seen: set[Node] = set(self.roots())
        todo = deque(seen)
        while todo:
            oi, ri = todo.popleft()
            s = self.sums[oi]
            nxt = [(oi, t) for t in s["edges"][ri]]
            nxt += [b for b in map(self.bind, s["sym_edges"].get(str(ri), ())) if b and b[1] >= 0]
            for node in nxt:
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
        return seen

    def link(self) -> Linked:
        out = Linked(reachable=self.reach())
        for oi, s in enumerate(self.sums):
            for ri, nums in s["syscalls"].items():
                out.all_syscalls.update(nums)
                if (oi, int(ri)) in out.reachable:
                    out.syscalls.update(nums)
            for ri, entries in s["unresolved"].items():
                if (oi, int(ri)) in out.reachable:
                    out.unresolved += [self._unresolved(oi, e) for e in entries]
        self._wrappers(out)
        return out

    def _unresolved(self, oi: int, entry: list) -> dict:
        addr, function, note = entry
        return {"object": self.names[oi], "address": f"0x{addr:x}", "function": function, "reason": note}

    # --- wrappers called from other objects or through pointers ---

    def _wrappers(self, out: Linked) -> None:
        """Finish what per-object analysis could not: callers of wrappers through symbols in
        other objects, and the callers of functions that turn out to pass their own parameter
        on (libcap calling syscall@plt); a reachable wrapper whose address is taken (in code or
        in data) can be called with any number."""
        in_data = {b for s in self.sums for b in map(self.bind, s["root_syms"]) if b}
        # entry: the original site (object, address, function) every finding is reported against
        queue = [((oi, int(ri)), k, (oi, origin, s["regions"][int(ri)][2]), False)
                 for oi, s in enumerate(self.sums) for ri, params in s["wrappers"].items() for k, origin in params]
        seen = {(w, k) for w, k, _e, _d in queue}
        self._decoders: dict[int, syscall_sites.Decoder] = {}
        while queue:
            w, k, entry, derived = queue.pop()
            if w in out.reachable and (w in in_data or w[1] in self._pointed(w[0])):
                name = self.sums[w[0]]["regions"][w[1]][2]
                note = f"{name} in {self.names[w[0]]} passes argument {k + 1} on and its address is taken"
                out.unresolved.append(self._site(entry, note))
            for ai, cri, addr in self._callers(w, derived):
                for k2 in self._wrapper_call(w, k, entry, ai, cri, addr, out):
                    if ((ai, cri), k2) not in seen:
                        seen.add(((ai, cri), k2))
                        queue.append(((ai, cri), k2, entry, True))

    def _site(self, entry: tuple[int, int, str], note: str) -> dict:
        oi, addr, function = entry
        return self._unresolved(oi, [addr, function, note])

    def _pointed(self, oi: int) -> set[int]:
        """Functions of object `oi` whose address code loads or data holds."""
        s = self.sums[oi]
        return set(s["taken"]) | set(s["roots"])

    def _callers(self, w: Node, derived: bool) -> list[tuple[int, int, int | None]]:
        """(object, function, call address or None for a loaded address) of calls to `w`:
        through symbols from any object, plus direct ones in its own object for a wrapper found
        here (those of a wrapper found per object were followed there)."""
        out = [(w[0], c, a) for c, a in self.sums[w[0]]["callers"].get(str(w[1]), [])] if derived else []
        for ai, s in enumerate(self.sums):
            out += [(ai, c, a) for key, cs in s["plt_calls"].items() if self.bind(key) == w for c, a in cs]
        return out

    def _wrapper_call(self, w: Node, k: int, entry: tuple, ai: int, cri: int, addr: int | None,
                      out: Linked) -> set[int]:
        """Numbers one call passes as wrapper `w`'s parameter k; the caller's own parameters
        that flow into it (so the caller is a wrapper too)."""
        s = self.sums[ai]
        if ai not in self._decoders:
            self._decoders[ai] = _decoder(self.objects[ai], s)
        v = self._decoders[ai].value(cri, addr, syscall_sites.arg_register(s["arch"], k)) if addr is not None else None
        good, unknown = syscall_sites.split(v) if v else (set(), True)
        out.all_syscalls |= good
        if (ai, cri) in out.reachable:
            out.syscalls |= good
            if unknown:
                where = f"0x{addr:x}" if addr is not None else "a loaded address"
                callee = self.sums[w[0]]["regions"][w[1]][2]
                note = f"argument {k + 1} of {callee} not a constant at {where} in {self.names[ai]}"
                out.unresolved.append(self._site(entry, note))
        return set(v.params) if v else set()


def _decoder(obj: Elf, summary: dict) -> syscall_sites.Decoder:
    """A decoder for the functions of `obj` as its (possibly cached) summary delimits them."""
    oa = callgraph.ObjectAnalysis.__new__(callgraph.ObjectAnalysis)
    oa.elf = obj
    oa.md = disasm.make_cs(obj.arch)
    oa.regions = callgraph.Regions.from_items(summary["regions"])
    oa.code = {a: b for a, b, _n in obj.code}
    return syscall_sites.Decoder(oa)
