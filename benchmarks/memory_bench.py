"""Memory benchmarks (not tests; issue 20):

    .venv/bin/python benchmarks/memory_bench.py [--mib 32] [--runs 3] [--accel tcg] [--out DIR] [--skip-min-mem]

1. First-touch page-fault cost: benchmarks/kernel/first_touch.c maps MIB MiB of anonymous
   memory and writes one byte per page twice; the first pass faults on every page (posix-mm's
   handler backs it with a zeroed page), the difference per page is the fault's cost. Natively
   and as a unikernel (the same static program; median of RUNS).
2. The smallest -m at which xz and brotli still give native output (corpus cases xz-c,
   xz-c-large, brotli-c, brotli-c-large built as `unicore compat` builds them), by bisection over
   whole MiB. Before demand paging, issue 20 measured: brotli -c failed at -m 64, 96 and 128;
   xz -c needed -m 256.
Results are printed and written to DIR/memory.json.
"""

import argparse
import dataclasses
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

from kernel_bench import build

from unicore.compat import load_corpus
from unicore.compat.runner import build as build_case, run_case
from unicore.runner import choose_accel, run_image
from unicore.runner.memory import default_mem_mb

HERE = Path(__file__).parent
SYSCALLS = ["arch_prctl", "set_tid_address", "ioctl", "writev", "write", "exit_group", "exit", "mmap", "munmap",
            "clock_gettime", "brk", "madvise"]
LINE = re.compile(rb"pages=(\d+) first_ns=(-?\d+) again_ns=(-?\d+) fault_ns=(-?\d+)")
CASES = ["xz-c", "xz-c-large", "brotli-c", "brotli-c-large"]
BEFORE = {"brotli-c": "fails at 64, 96, 128", "xz-c": "256"}


def _parse(out: bytes) -> dict:
    m = LINE.search(out)
    if not m:
        raise SystemExit(f"first_touch printed {out!r}")
    return dict(zip(("pages", "first_ns", "again_ns", "fault_ns"), map(int, m.groups())))


def first_touch(out: Path, mib: int, runs: int, accel: str) -> dict:
    program, image = build(HERE / "kernel" / "first_touch.c", SYSCALLS, out)
    native = [_parse(subprocess.run([str(program), str(mib)], capture_output=True, check=True).stdout) for _ in range(runs)]
    guest = []
    for _ in range(runs):
        r = run_image(image, [str(mib)], accel=accel, mem_mb=mib + 32, timeout=600)
        guest.append(_parse(r.stdout))
    median = lambda rows, k: statistics.median(r[k] for r in rows)
    return {"mib": mib, "pages": native[0]["pages"],
            "native": {k: median(native, k) for k in ("first_ns", "again_ns", "fault_ns")},
            "unikernel": {k: median(guest, k) for k in ("first_ns", "again_ns", "fault_ns")}}


def _passes(case, built, mem: int) -> bool:
    return run_case(dataclasses.replace(case, mem=mem), built).passed


def smallest_mem(case, cache: Path) -> dict:
    """Bisection over [1, default -m] MiB, assuming more memory never breaks a passing run."""
    built = build_case(case, cache)
    if built.image is None:
        return {"case": case.name, "error": built.error}
    default = default_mem_mb(built.image)
    if not _passes(case, built, default):
        return {"case": case.name, "default_mb": default, "smallest_mb": None}
    lo, hi = 1, default  # lo fails (or is untried below any floor), hi passes
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _passes(case, built, mid) else (mid, hi)
    return {"case": case.name, "default_mb": default, "smallest_mb": hi, "image_mb": round(built.image.stat().st_size / 2**20, 1),
            "before": BEFORE.get(case.name, "-")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--out", type=Path, default=HERE.parent / "build" / "bench")
    ap.add_argument("--skip-min-mem", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    accel, _ = choose_accel(args.accel)
    result = {"accel": accel, "first_touch": first_touch(args.out, args.mib, args.runs, accel)}
    ft = result["first_touch"]
    print(f"first touch ({ft['pages']} pages, {accel}): unikernel {ft['unikernel']['fault_ns']:.0f} ns/page "
          f"(first pass {ft['unikernel']['first_ns']:.0f}, again {ft['unikernel']['again_ns']:.0f}), "
          f"native {ft['native']['fault_ns']:.0f} ns/page")
    if not args.skip_min_mem:
        corpus = {c.name: c for c in load_corpus(HERE / "compat" / "corpus.toml")}
        result["smallest_mem"] = [smallest_mem(corpus[n], args.out / "compat") for n in CASES]
        for row in result["smallest_mem"]:
            print(f"{row['case']:16} smallest -m {row.get('smallest_mb')} MiB (default {row.get('default_mb')}, "
                  f"image {row.get('image_mb')} MiB; before demand paging: {row.get('before', '-')})")
    (args.out / "memory.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
