"""`unicore bench seed [--runs N] [--out DIR] [--rows N]`: the seed's size and life-cycle comparison;
`unicore bench net`: nginx and redis-server as unikernels vs native, runc, the Debian VM (bench/net.py)."""

import sys
from pathlib import Path

from rich.console import Console

from unicore.errors import BadInputError, UnicoreError


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
    net = which.add_parser("net", help="nginx (wrk) and redis-server (redis-benchmark) as unikernels vs native, "
                                       "runc and the Debian VM: requests/s, p99, time to the first answer")
    net.add_argument("--runs", type=int, default=3, help="server starts per setting (default 3; the last is loaded)")
    net.add_argument("--seconds", type=float, default=10, help="wrk duration against nginx (default 10)")
    net.add_argument("--connections", type=int, default=8, help="wrk and redis-benchmark connections (default 8)")
    net.add_argument("--requests", type=int, default=20000, help="redis-benchmark -n per test (default 20000)")
    net.add_argument("--settings", help="comma-separated subset of unikernel,native,runc,debian-vm")
    net.add_argument("--servers", help="comma-separated subset of nginx,redis")
    net.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="tcg",
                     help="accelerator for the unikernel and the Debian VM (default tcg)")
    net.add_argument("--start-timeout", type=float, default=300, metavar="S",
                     help="seconds a server may take to answer its first request (default 300)")
    net.add_argument("--out", type=Path, default=Path("build/bench/net"), help="where net.csv/.md and the PNGs go")
    net.set_defaults(func=run_net_bench)


def _keys(text: str | None) -> list[str] | None:
    return [k.strip() for k in text.split(",") if k.strip()] if text else None


def run_net_bench(args) -> int:
    from unicore.bench.net import run_net
    from unicore.bench.netservers import Load
    for name in ("seconds", "connections", "requests"):
        if getattr(args, name) <= 0:
            raise BadInputError(f"--{name} must be positive (got {getattr(args, name):g})")
    from unicore.runner.lifetime import Interrupted
    load = Load(args.seconds, args.connections, args.requests)
    try:
        result = run_net(args.out, args.runs, load, args.accel, _keys(args.settings), _keys(args.servers),
                         start_timeout=args.start_timeout)
    except Interrupted as exc:  # every server it started is stopped by then
        print(f"unicore: {exc}: bench stopped, its servers stopped (exit {128 + exc.signum})", file=sys.stderr)
        return 128 + exc.signum
    print((args.out / "net.md").read_text(), end="")
    Console(stderr=True).print(f"wrote {', '.join(str(f) for f in result.files)}")
    if result.failed:
        raise UnicoreError(f"failed: {', '.join(r.key for r in result.failed)}", exit_code=1)
    return 0


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
