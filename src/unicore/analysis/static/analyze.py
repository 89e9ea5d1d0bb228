"""Static analysis of a program and its shared-library closure (nothing is run).

    analyze_static(path, cache_dir=None, progress=None) -> dict (JSON-ready)

Steps: read the ELF (elf.py), resolve the library closure like ld.so (closure.py), analyse or
fetch from the cache each object (callgraph.py, syscall_sites.py, cache.py), then bind symbols
and propagate reachability (reach.py). Bad input raises BadInputError with one line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from unicore.analysis.static import callgraph, closure, elf as elfmod, programs, reach
from unicore.analysis.static.cache import Cache
from unicore.errors import BadInputError, UnicoreError
from unicore.syscalls import name_of


def analyze_static(path: Path, *, cache_dir: Path | None = None,
                   progress: Callable[[str], None] | None = None, sysroot: Path | None = None) -> dict:
    """The static half of the report for the program at `path` (its libraries from `sysroot`
    when given: a foreign architecture's Debian system, program/sysroot.py)."""
    path = Path(path)
    try:
        return _analyze(path, Cache(cache_dir), progress or (lambda _m: None), str(sysroot) if sysroot else None)
    except UnicoreError:
        raise
    except Exception as exc:  # a corrupt input we did not foresee must still give one line
        raise BadInputError(f"{path}: cannot analyse ({type(exc).__name__}: {exc})") from None


def _analyze(path: Path, cache: Cache, progress, sysroot: str | None = None) -> dict:
    t0 = time.monotonic()
    progress(f"reading {path}")
    prog = elfmod.load(path)
    clo = closure.resolve(prog, progress, sysroot)
    names = [str(path)] + [_name_of(o, clo) for o in clo.objects[1:]]
    summaries = [summary_of(o, cache, progress, n) for o, n in zip(clo.objects, names)]
    interp = next((i for i, o in enumerate(clo.objects) if o is clo.interp), None)
    progress("linking the call graph")
    linker = reach.Linker(clo.objects, summaries, names, interp)
    linked = linker.link()
    return {
        "program": program_info(prog),
        "libraries": [{"soname": s, "path": str(p)} for s, p in clo.libraries],
        "missing_libraries": list(clo.missing),
        "symbols": symbols(linker, names),
        "syscalls": _names(prog.arch, linked.syscalls),
        "all_syscalls": _names(prog.arch, linked.all_syscalls),
        "unresolved_sites": linked.unresolved,
        "program_sites": program_sites(prog, summaries[0]),
        "program_other_sites": program_other_sites(prog, summaries[0]),
        "named_programs": [] if sysroot else programs.named(str(path)),
        "stats": _stats(summaries, linked, cache, t0),
    }


def _name_of(obj: elfmod.Elf, clo: closure.Closure) -> str:
    for _soname, p in clo.libraries:
        if Path(p) == obj.path:
            return str(p)
    return str(obj.path)


def summary_of(obj: elfmod.Elf, cache: Cache, progress, name: str) -> dict:
    """The object's summary from the cache, or computed (and cached) now."""
    cached = cache.get(obj.sha256)
    if cached is not None:
        return cached
    progress(f"disassembling {name}")
    summary = callgraph.ObjectAnalysis(obj, progress).run()
    cache.put(summary)
    return summary


def program_sites(prog: elfmod.Elf, summary: dict) -> dict[str, int]:
    """The program's own syscall sites whose number the analysis resolved to exactly one value,
    {address (hex): number}; only for a fixed-address program (a PIE's addresses move). The spt
    platform rewrites them into direct calls at load (docs/spt.md)."""
    if prog.pie:
        return {}
    return {hex(int(a)): n[0] for a, n in summary.get("site_numbers", {}).items() if len(n) == 1}


def program_other_sites(prog: elfmod.Elf, summary: dict) -> list[str]:
    """The program's other syscall sites (hex addresses): a wrapper's, whose number is its
    argument, or one not resolved; spt rewrites those of one form too (program/sites.py)."""
    if prog.pie:
        return []
    return sorted(hex(int(a)) for a, n in summary.get("site_numbers", {}).items() if len(n) != 1)


def program_info(prog: elfmod.Elf) -> dict:
    return {
        "path": str(prog.path), "arch": prog.arch, "sha256": prog.sha256, "type": prog.type,
        "pie": prog.pie, "static": prog.interp is None and not prog.needed, "interp": prog.interp,
    }


def symbols(linker: reach.Linker, names: list[str]) -> dict:
    imports, unbound = [], []
    for oi, s in enumerate(linker.sums):
        for name, version, weak in s["imports"]:
            b = linker.bind(callgraph.sym_key(name, version))
            entry = {"name": name, "version": version, "object": names[oi],
                     "bound_to": names[b[0]] if b else None}
            imports.append(entry)
            if b is None:
                unbound.append({**entry, "weak": weak})
    return {"imports": imports, "unbound": unbound}


def _names(arch: str, numbers: set[int]) -> list[str]:
    return sorted({name_of(arch, n) for n in numbers})


def _stats(summaries: list[dict], linked: reach.Linked, cache: Cache, t0: float) -> dict:
    return {
        "functions": sum(len(s["regions"]) for s in summaries),
        "reachable_functions": len(linked.reachable),
        "sites": sum(s["sites"] for s in summaries),
        "objects": len(summaries),
        "cache_hits": cache.hits, "cache_misses": cache.misses,
        "seconds": round(time.monotonic() - t0, 3),
    }
