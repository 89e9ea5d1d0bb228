"""`unicore bench seed [--runs N] [--out DIR] [--rows N]`: the seed's size and life-cycle comparison;
`unicore bench net`: a web server as a unikernel vs native (bench/net.py)."""

from pathlib import Path

from rich.console import Console

from unicore.errors import UnicoreError


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="benchmarks: `unicore bench seed` compares VM, container, unikernel")
    which = p.add_subparsers(dest="bench", required=True, metavar="BENCH")
    seed = which.add_parser("seed", help="size and life cycle of SQLite: Debian VM, container, "
                                         "unikernels, native process")
    seed.add_argument("--runs", type=int, default=5, help="launches per system (default 5)")
    seed.add_argument("--out", type=Path, default=Path("build/bench/seed"),
                      help="where results.csv/.md and the PNGs go (default build/bench/seed)")
    seed.add_argument("--rows", type=int, default=1000, help="rows the workload inserts (default 1000)")
    seed.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto",
                      help="accelerator for every VM (default: as `unicore run` picks)")
    seed.add_argument("--timeout", type=float, default=300, metavar="S",
                      help="seconds one launch may take before its system counts as hung (default 300)")
    seed.add_argument("--systems", help="comma-separated subset, e.g. native,container")
    seed.set_defaults(func=run)
    net = which.add_parser("net", help="a web server (python3 -m http.server) as a unikernel vs native: "
                                       "ab requests/s, p99, time to the first reply")
    net.add_argument("--runs", type=int, default=3, help="server starts per system (default 3)")
    net.add_argument("--requests", type=int, default=500, help="ab requests (default 500)")
    net.add_argument("--concurrency", type=int, default=4, help="ab concurrency (default 4)")
    net.add_argument("--accel", choices=["kvm", "tcg"], default="tcg")
    net.add_argument("--out", type=Path, default=Path("build/bench/net"), help="where net.csv/.md go")
    net.set_defaults(func=run_net_bench)


def run_net_bench(args) -> int:
    from unicore.bench.net import run_net
    rows = run_net(args.out, args.runs, args.requests, args.concurrency, args.accel)
    print((args.out / "net.md").read_text(), end="")
    return 0 if all(r.requests_per_s for r in rows[:2]) else 1


def run(args) -> int:
    from unicore.bench.seed import run_seed, show  # heavy imports (matplotlib) only when used
    keys = [k.strip() for k in args.systems.split(",")] if args.systems else None
    result = run_seed(args.out, args.runs, args.rows, args.accel, keys, timeout=args.timeout)
    out = Console()
    if not out.is_terminal:  # piped or logged: do not squeeze the table into 80 columns
        out = Console(width=160)
    show(result, out)
    Console(stderr=True).print(f"wrote {', '.join(str(f) for f in result.files)}")
    if result.mismatches:
        names = ", ".join(r.label for r in result.mismatches)
        raise UnicoreError(f"query result differs from the expected one on: {names}", exit_code=1)
    return 0
