"""spt benchmarks (not tests): the unikernel as a sandboxed process against native (docs/spt.md).

    .venv/bin/python benchmarks/spt_bench.py [--runs N] [--calls N] [--out DIR]

1. Syscall cost, per call: tests/kernel/programs/syscall_cost.c (getppid through musl in a
   loop, timed inside the program) built for spt twice, with the resolved sites rewritten into
   direct calls (default) and with UK_ARCH_X86_64_LINUX_REWRITE=false (every call trapped through
   SIGSYS), against the same program natively; also how many of the program's syscall sites the
   analysis resolved and how many the load-time rewrite took.
2. SQLite, 60,000 INSERTs in one transaction then a count (sqlite_bench.py's workload), `:memory:`:
   examples/sqlite built for spt, against the very shell the image embeds run natively. Wall
   clock from launch to exit (the tender's start and teardown included), runs interleaved.
Results: a table on stdout and DIR/spt.md (default benchmarks/results).
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from elftools.elf.elffile import ELFFile

from unicore.pipeline import BuildRequest, build
from unicore.runner import run_image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "build" / "bench" / "spt"
COST = ROOT / "tests" / "kernel" / "programs" / "syscall_cost.c"
sys.path.insert(0, str(HERE))
from sqlite_bench import INSERTS, workload  # noqa: E402


def build_spt(path: Path, name: str, **options: str):
    req = BuildRequest(path=path, target="spt/x86_64", output=WORK / f"{name}.img", build_dir=WORK / name,
                       options=options)
    return build(req, warn=lambda _: None)


def rewritable(program: Path, sites: list[list[int]]) -> int:
    """Resolved sites in the form the rewrite takes (`mov $nr, %eax; syscall`), read from the ELF."""
    with open(program, "rb") as f:
        elf = ELFFile(f)
        text = elf.get_section_by_name(".text")
        base, data = text["sh_addr"], text.data()
    ok = 0
    for addr, nr in sites:
        i = addr - base - 5
        ok += 0 <= i and data[i] == 0xB8 and int.from_bytes(data[i + 1:i + 5], "little") == nr \
            and data[i + 5:i + 7] == b"\x0f\x05"
    return ok


def ns_per_call(stderr: bytes) -> float:
    return float(stderr.decode().split()[-1])


def syscall_rows(runs: int, calls: int) -> list[tuple[str, str]]:
    fast = build_spt(COST, "cost")
    slow = build_spt(COST, "cost-trapped", UK_ARCH_X86_64_LINUX_REWRITE="false")
    program = Path(fast.plan["program"]["path"])
    sites = fast.plan["program"]["syscall_sites"]
    results = {"rewritten": [], "trapped": [], "native": []}
    for _ in range(runs):
        results["rewritten"].append(ns_per_call(run_image(fast.image, [str(calls)], timeout=600).stderr))
        results["trapped"].append(ns_per_call(run_image(slow.image, [str(calls)], timeout=600).stderr))
        native = subprocess.run([str(program), str(calls)], capture_output=True, timeout=600)
        results["native"].append(ns_per_call(native.stderr))
    med = {k: statistics.median(v) for k, v in results.items()}
    rows = [(f"syscall ({k}), ns per getppid", f"{med[k]:.0f} ({med[k] / med['native']:.2f}x native)")
            for k in ("trapped", "rewritten", "native")]
    report = fast.report["static"]["stats"]
    rows.append(("syscall sites in the program / resolved / rewritten at load",
                 f"{report.get('sites', '?')} (all objects) / {len(sites)} / {rewritable(program, sites)}"))
    return rows


def sqlite_rows(runs: int) -> list[tuple[str, str]]:
    result = build_spt(ROOT / "examples" / "sqlite", "sqlite")
    program = Path(result.plan["program"]["path"])
    sql = workload()
    times = {"spt": [], "native": []}
    for _ in range(runs):
        start = time.perf_counter()
        r = run_image(result.image, [], timeout=600, stdin_bytes=sql)
        times["spt"].append(time.perf_counter() - start)
        assert r.stdout.strip().splitlines()[-1] == str(INSERTS).encode(), r.stdout[-200:]
        start = time.perf_counter()
        n = subprocess.run([str(program)], input=sql, capture_output=True, timeout=600)
        times["native"].append(time.perf_counter() - start)
        assert n.stdout.strip().splitlines()[-1] == str(INSERTS).encode()
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    return [(f"SQLite {INSERTS:,} inserts ({k}), ms", f"{med[k]:.0f} ({med[k] / med['native']:.2f}x native)")
            for k in ("spt", "native")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = syscall_rows(args.runs, args.calls) + sqlite_rows(args.runs)
    lines = ["# spt benchmarks (benchmarks/spt_bench.py)", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.runs} runs each (medians), "
             f"{args.calls:,} calls per syscall run; a shared 2-core machine (PVM-based VM).", "",
             "| measure | value |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "spt.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
