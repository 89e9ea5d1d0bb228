"""Thread benchmarks (not tests): thread create+join and a futex ping-pong between two threads,
unikernel vs native as ratios from one run; the cost of a context switch in TSC cycles (two
threads yielding to each other) on both; the host CPU time an idle guest costs while it sleeps.

    .venv/bin/python benchmarks/threads_bench.py [--runs N] [--out DIR]

The program (benchmarks/threads/threadbench.c) is built once from source by `unicore build`
(static musl) and once natively with musl-gcc -static, and measures itself inside each run
(CLOCK_MONOTONIC, RDTSC). The idle figure is QEMU's own CPU time (this process's waited-for
children) for a guest sleeping 5 s, minus that of a guest sleeping 0 s (boot and exit), over
5 s. The unikernel runs under TCG on this machine kind. Results go to DIR/threads.json (default
build/bench/threads/) and stdout; docs/threads.md records them.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from unicore.pipeline import BuildRequest, build
from unicore.runner import run_image

HERE = Path(__file__).parent
ROOT = HERE.parent
SOURCE = HERE / "threads" / "threadbench.c"
MODES = {"create": ("create_join_ns", 300), "pingpong": ("pingpong_ns", 3000), "switch": ("switch_cycles", 3000)}


def value(stdout: bytes, key: str) -> float:
    fields = stdout.split()
    if len(fields) != 2 or fields[0].decode() != key:
        raise SystemExit(f"unexpected benchmark output: {stdout!r}")
    return float(fields[1])


def guest(image: Path, args: list[str]) -> bytes:
    r = run_image(image, args, accel="tcg", timeout=600)
    if r.exit_status:
        raise SystemExit(f"guest run failed ({r.exit_status}): {r.kernel.decode(errors='replace')}")
    return r.stdout


def children_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def guest_cpu(image: Path, seconds: int) -> float:
    before = children_cpu()
    guest(image, ["sleep", str(seconds)])
    return children_cpu() - before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "threads")
    opts = ap.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="threads-bench-"))
    image = build(BuildRequest(path=SOURCE, output=work / "threadbench.img", build_dir=work / "build")).image
    native = work / "threadbench-native"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(native), str(SOURCE)], check=True)
    rows = {}
    for mode, (key, n) in MODES.items():
        args = [mode, str(n)]
        uk, nat = [], []
        for _ in range(opts.runs):  # interleaved: load from other work hits both alike
            uk.append(value(guest(image, args), key))
            nat.append(value(subprocess.run([str(native), *args], capture_output=True, check=True).stdout, key))
        rows[key] = (statistics.median(uk), statistics.median(nat))
    idle = [(guest_cpu(image, 5) - guest_cpu(image, 0)) / 5 for _ in range(max(1, opts.runs // 2))]
    print(f"{'measure':<24} {'unikernel':>12} {'native':>12} {'uk/native':>10}")
    for key, (uk, nat) in rows.items():
        print(f"{key:<24} {uk:>12.0f} {nat:>12.0f} {uk / nat:>10.2f}")
    print(f"idle guest sleeping 5 s: {100 * statistics.median(idle):.2f}% of a host core (QEMU CPU time)")
    (opts.out / "threads.json").write_text(json.dumps({"runs": opts.runs, "accel": "tcg", "rows": rows,
                                                       "idle_core_fraction": statistics.median(idle)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
