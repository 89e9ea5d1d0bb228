"""Console benchmark (not a test): throughput of the program's stdout and stdin through
`unicore run`'s console channel (docs/design.md, "Console channel").

    .venv/bin/python benchmarks/console_bench.py [--mb 50] [--runs 3] [--accel tcg] [--out DIR]

stdout: a program writes MB MiB in 64 KiB writes; the runner collects them. stdin: the runner
streams MB MiB to a program that reads them in 64 KiB reads and prints their adler-32, checked
against the host's. Each is timed as run_image's wall clock (QEMU start to exit) minus the same
program's run with 0 MiB (boot and teardown), best of RUNS. Results are printed and written to
DIR/console.json. Goal (issue 11): at least 20 MB/s each way under TCG.
"""

import argparse
import json
import sys
import zlib
from pathlib import Path

from kernel_bench import build

from unicore.runner import choose_accel, run_image

HERE = Path(__file__).parent
ROOT = HERE.parent
WRITE_SYSCALLS = ["arch_prctl", "set_tid_address", "write", "writev", "ioctl", "exit_group", "exit"]
READ_SYSCALLS = WRITE_SYSCALLS + ["read", "readv", "lseek"]
PATTERN = bytes(range(256)) * 4096  # 1 MiB with every byte value, 0xff included


def _write_run(image: Path, mb: int, accel: str) -> float:
    r = run_image(image, [str(mb)], accel=accel, timeout=600)
    expected = (bytes(ord("a") + i % 26 for i in range(65536)) * (16 * mb))
    if r.exit_status != 0 or r.stdout != expected:
        raise SystemExit(f"stdout run of {mb} MiB failed: exit {r.exit_status}, {len(r.stdout)} bytes")
    return r.wall_s


def _read_run(image: Path, mb: int, accel: str) -> float:
    data = PATTERN * mb
    r = run_image(image, [], accel=accel, timeout=600, mem_mb=16, stdin_bytes=data)
    expected = f"bytes={len(data)} adler32={zlib.adler32(data):08x}\n".encode()
    if r.exit_status != 0 or r.stdout != expected:
        raise SystemExit(f"stdin run of {mb} MiB failed: exit {r.exit_status}, {r.stdout!r}")
    return r.wall_s


def throughput(run, image: Path, mb: int, runs: int, accel: str) -> dict:
    base = min(run(image, 0, accel) for _ in range(runs))
    full = min(run(image, mb, accel) for _ in range(runs))
    return {"mib": mb, "wall_s": round(full, 3), "empty_run_s": round(base, 3),
            "mb_per_s": round(mb * 1.048576 / max(full - base, 1e-6), 1),
            "mb_per_s_incl_boot": round(mb * 1.048576 / full, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50, help="MiB each way (default 50)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--accel", default="tcg", choices=["auto", "kvm", "tcg"])
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "console")
    opts = ap.parse_args(argv)
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    accel, why = choose_accel(opts.accel)
    _, writer = build(HERE / "kernel" / "console_write.c", WRITE_SYSCALLS, out, ["-O2"])
    _, reader = build(HERE / "kernel" / "console_read.c", READ_SYSCALLS, out, ["-O2"])
    results = {"accel": f"{accel} ({why})",
               "stdout": throughput(_write_run, writer, opts.mb, opts.runs, accel),
               "stdin": throughput(_read_run, reader, opts.mb, opts.runs, accel)}
    (out / "console.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
