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

from unicore.analysis import disasm

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
    dec = Decoder(oa)
    arch = oa.elf.arch
    numbers: dict[int, set[int]] = {}
    unresolved: dict[int, list] = {}
    queue: list[tuple[int, int, int]] = []
    site_numbers: dict[int, set[int]] = {}
    for ri, addr in sites:
        good, unknown = split(dec.value(ri, addr, number_register(arch)))
        numbers.setdefault(ri, set()).update(good)
        site_numbers.setdefault(addr, set()).update(good)
        if unknown:
            unresolved.setdefault(ri, []).append([addr, oa.regions.items[ri][2], "number not a constant"])
        queue += [(ri, k, addr) for k in dec.value(ri, addr, number_register(arch)).params]
    for ri, addr in getattr(oa, "legacy", []):
        unresolved.setdefault(ri, []).append([addr, oa.regions.items[ri][2], "int 0x80/sysenter: 32-bit ABI"])
    wrappers = _propagate(oa, dec, queue, numbers, unresolved, site_numbers)
    return {
        "syscalls": {str(r): sorted(n) for r, n in numbers.items() if n},
        "unresolved": {str(r): u for r, u in unresolved.items()},
        "wrappers": {str(r): w for r, w in wrappers.items()},
        "site_numbers": {str(a): sorted(n) for a, n in site_numbers.items()},
    }


def _propagate(oa, dec: Decoder, queue, numbers, unresolved, site_numbers) -> dict[int, list]:
    """Follow wrapper parameters into the direct callers inside this object."""
    calls_to: dict[int, list[tuple[int, int]]] = {}
    for cri, a, t in oa.calls:
        calls_to.setdefault(t, []).append((cri, a))
    wrappers: dict[int, list] = {}
    seen: set[tuple[int, int]] = set()
    while queue:
        w, k, origin = queue.pop()
        if (w, k) in seen:
            continue
        seen.add((w, k))
        wrappers.setdefault(w, []).append([k, origin])
        name = oa.regions.items[w][2]
        for cri, a in calls_to.get(oa.regions.items[w][0], []):
            v = dec.value(cri, a, arg_register(oa.elf.arch, k))
            good, unknown = split(v)
            numbers.setdefault(cri, set()).update(good)
            site_numbers.setdefault(origin, set()).update(good)
            if unknown:
                note = f"argument {k + 1} of {name} not a constant at 0x{a:x}"
                unresolved.setdefault(cri, []).append([origin, name, note])
            queue += [(cri, k2, origin) for k2 in v.params]
    return wrappers
