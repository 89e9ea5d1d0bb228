"""Syscall numbers of the sites of one object, by backtracking the number register.

x86_64: the number is in rax at `syscall`; aarch64: in x8 at `svc #0`. When the number arrives
as parameter k of the function (a wrapper such as `syscall(long nr, ...)`, musl's
`__syscall_cp_asm` or glibc's internal helpers), every direct caller in the object is searched
for the value of its k-th argument register at the call, recursively (a caller that passes its
own parameter on is a wrapper too). The numbers then belong to the caller, so they count only
when the caller is reachable. Wrappers also called from other objects are finished at link time
(reach.py) from the callers' `plt_calls`.
"""

from __future__ import annotations

from unicore.analysis.static import disasm

MAX_NR = 1024  # larger constants are not syscall numbers: treat them as unknown


def number_register(arch: str) -> str:
    return "rax" if arch == "x86_64" else "x8"


def arg_register(arch: str, k: int) -> str:
    return (disasm.X86_ARGS if arch == "x86_64" else disasm.ARM_ARGS)[k]


class Decoder:
    """Decodes regions on demand, once each."""

    def __init__(self, oa):
        self.oa = oa
        self.cache: dict[int, disasm.Function] = {}

    def function(self, ri: int) -> disasm.Function:
        if ri not in self.cache:
            start, end, _name = self.oa.regions.items[ri]
            blob = self.oa._bytes(self.oa.code, start, end)
            self.cache[ri] = disasm.Function(self.oa.elf.arch, self.oa.md, blob, start, end)
        return self.cache[ri]

    def value(self, ri: int, addr: int, reg: str) -> disasm.Value:
        f = self.function(ri)
        i = f.index.get(addr)
        if i is None:
            return disasm.Value(unknown=True)
        return f.value_at(i, reg)


def split(v: disasm.Value) -> tuple[set[int], bool]:
    """Plausible syscall numbers and whether something stays unknown."""
    good = {x for x in v.values if x < MAX_NR}
    nothing = not v.values and not v.params  # no path found at all: never drop a site silently
    return good, v.unknown or nothing or len(good) < len(v.values)


def resolve(oa, sites: list[tuple[int, int]]) -> dict:
    """{"syscalls": {region: [numbers]}, "unresolved": {region: [[site, function, note]]},
    "wrappers": {region: [[k, site]]}, "site_numbers": {site: [numbers]}}."""
    res = _Resolution(oa)
    for ri, addr in sites:
        v = res.dec.value(ri, addr, number_register(oa.elf.arch))
        res.record(ri, addr, v, "number not a constant")
    for ri, addr in getattr(oa, "legacy", []):
        res.unresolved.setdefault(ri, []).append([addr, oa.regions.items[ri][2], "int 0x80/sysenter: 32-bit ABI"])
    res.propagate()
    return {
        "syscalls": {str(r): sorted(n) for r, n in res.numbers.items() if n},
        "unresolved": {str(r): u for r, u in res.unresolved.items()},
        "wrappers": {str(r): w for r, w in res.wrappers.items()},
        "site_numbers": {str(a): sorted(n) for a, n in res.site_numbers.items()},
    }


class _Resolution:
    """Numbers found per function (the site's, or a wrapper caller's), unresolved sites, wrappers."""

    def __init__(self, oa):
        self.oa = oa
        self.dec = Decoder(oa)
        self.numbers: dict[int, set[int]] = {}
        self.site_numbers: dict[int, set[int]] = {}
        self.unresolved: dict[int, list] = {}
        self.wrappers: dict[int, list] = {}
        self.queue: list[tuple[int, int, int]] = []  # (wrapper region, parameter, original site)

    def record(self, ri: int, origin: int, v: disasm.Value, note: str, name: str | None = None) -> None:
        """Value `v` of the number at a site (or a wrapper call) in function `ri`."""
        good, unknown = split(v)
        self.numbers.setdefault(ri, set()).update(good)
        self.site_numbers.setdefault(origin, set()).update(good)
        if unknown:
            self.unresolved.setdefault(ri, []).append([origin, name or self.oa.regions.items[ri][2], note])
        self.queue += [(ri, k, origin) for k in v.params]

    def propagate(self) -> None:
        """Follow wrapper parameters into the direct callers inside this object."""
        calls_to: dict[int, list[tuple[int, int]]] = {}
        for cri, a, t in self.oa.calls if self.queue else ():  # only an object with wrappers needs it
            calls_to.setdefault(t, []).append((cri, a))
        seen: set[tuple[int, int]] = set()
        while self.queue:
            w, k, origin = self.queue.pop()
            if (w, k) in seen:
                continue
            seen.add((w, k))
            self.wrappers.setdefault(w, []).append([k, origin])
            start, _end, name = self.oa.regions.items[w]
            for cri, a in calls_to.get(start, []):
                v = self.dec.value(cri, a, arg_register(self.oa.elf.arch, k))
                self.record(cri, origin, v, f"argument {k + 1} of {name} not a constant at 0x{a:x}", name)
