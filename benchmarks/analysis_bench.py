"""Benchmark of the static analysis (not a test): whole closure, cold and warm cache.

Times `analyze_static` on /usr/bin/python3.11 and /usr/bin/sqlite3 with an empty cache
directory (cold: every object is disassembled) and again with the filled cache (warm), and
prints the syscall counts (reachable vs whole objects) next to the times.
Targets on a 2-core machine: python3.11 cold < 15 s, warm < 2 s.

    .venv/bin/python benchmarks/analysis_bench.py [PROGRAM...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from unicore.analysis.static.analyze import analyze_static

PROGRAMS = ["/usr/bin/python3.11", "/usr/bin/sqlite3"]
TARGETS = {"/usr/bin/python3.11": (15.0, 2.0)}


def timed(program: Path, cache: Path) -> tuple[float, dict]:
    t0 = time.perf_counter()
    result = analyze_static(program, cache_dir=cache)
    return time.perf_counter() - t0, result


def bench(program: str) -> tuple[str, ...]:
    with tempfile.TemporaryDirectory(prefix="unicore-bench-") as tmp:
        cold, r = timed(Path(program), Path(tmp))
        warm, _ = timed(Path(program), Path(tmp))
    cold_target, warm_target = TARGETS.get(program, (None, None))
    verdict = ""
    if cold_target is not None:
        ok = cold < cold_target and warm < warm_target
        verdict = "ok" if ok else f"MISSED (targets {cold_target:.0f} s / {warm_target:.0f} s)"
    s = r["stats"]
    return (program, str(s["objects"]), f"{cold:.2f}", f"{warm:.2f}", str(len(r["syscalls"])),
            str(len(r["all_syscalls"])), f"{s['reachable_functions']}/{s['functions']}",
            str(len(r["unresolved_sites"])), verdict)


def main(argv: list[str]) -> int:
    header = ("program", "objects", "cold s", "warm s", "reachable", "all", "functions reached",
              "unresolved", "target")
    rows = [header] + [bench(p) for p in (argv or PROGRAMS) if Path(p).exists()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 1 if any(row[-1].startswith("MISSED") for row in rows[1:]) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
