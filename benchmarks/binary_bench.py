"""Existing binaries as unikernels (issue 5), side by side in one run (not a test).

    .venv/bin/python benchmarks/binary_bench.py [--runs N] [--out DIR] [--accel tcg|kvm|auto]

Each binary goes through `unicore build --binary` (analysis -> plan -> image with its rootfs);
the test programs are built here (musl static, glibc static, glibc dynamic). For each one:
life cycle (QEMU start to exit, `run_image` in this process, median of N) against the native
process, guest boot time (PVH entry to program entry, `boottime` flag), image size (kernel and
embedded root file system) and the syscalls compiled into the image against the number Linux
x86_64 has (attack surface). Results are printed and written to DIR/binary.json.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from unicore import syscalls
from unicore.runner import run_image

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "tests" / "binary" / "programs" / "hello.c"
DEMO_SQL = ROOT / "examples" / "sqlite" / "demo.sql"


def compile_hello(out: Path) -> dict[str, Path]:
    kinds = {"hello (musl static)": ["musl-gcc", "-static"], "hello (glibc static)": ["gcc", "-static"],
             "hello (glibc dynamic PIE)": ["gcc"]}
    built = {}
    for label, cc in kinds.items():
        exe = out / label.split("(")[1].rstrip(")").replace(" ", "-")
        subprocess.run([*cc, "-O2", "-o", str(exe), str(HELLO)], check=True)
        built[label] = exe
    return built


def cases(out: Path) -> list[dict]:
    """(label, binary, args, stdin, scenario) of every measured program."""
    data = out / "notes.txt"
    data.write_text("unikernels run existing binaries\n" * 100)
    rows = [{"label": k, "binary": v, "args": [], "stdin": None} for k, v in compile_hello(out).items()]
    rows += [{"label": "/bin/true", "binary": Path("/bin/true"), "args": [], "stdin": None},
             {"label": "/bin/cat FILE", "binary": Path("/bin/cat"), "args": [str(data)], "stdin": None},
             {"label": "sha256sum FILE", "binary": Path("/usr/bin/sha256sum"), "args": [str(data)], "stdin": None},
             {"label": "sqlite3 demo.sql", "binary": Path("/usr/bin/sqlite3"), "args": [],
              "stdin": DEMO_SQL.read_bytes()}]
    return rows


def scenario(row: dict, out: Path) -> list[str]:
    """A scenario file so that the dynamic analysis sees the same work as the measured run."""
    path = out / f"scenario-{abs(hash(row['label']))}.json"
    spec = {"schema": 1, "args": row["args"], "env": {"HOME": "/root"}}
    if row["stdin"] is not None:
        spec["stdin"] = row["stdin"].decode()
    path.write_text(json.dumps(spec))
    return ["--scenario", str(path)]


def build(row: dict, out: Path) -> tuple[Path, dict, Path]:
    image = out / f"img-{abs(hash(row['label']))}.img"
    build_dir = out / f"build-{abs(hash(row['label']))}"
    files = [f"{a}:{a}" for a in row["args"] if Path(a).is_file()]  # data outside the default prefixes
    cmd = [sys.executable, "-m", "unicore", "build", "--binary", str(row["binary"]),
           "--build-dir", str(build_dir), "-o", str(image), *scenario(row, out),
           *[x for f in files for x in ("--file", f)]]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"building {row['label']} failed:\n{proc.stdout}{proc.stderr}")
    plan = json.loads(Path(str(image) + ".plan.json").read_text())
    return image, plan, build_dir / "rootfs.cpio"


def native(row: dict, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run([str(row["binary"]), *row["args"]], input=row["stdin"] or b"", capture_output=True,
                       env={"HOME": "/root"})
        times.append(time.monotonic() - start)
    return statistics.median(times)


def unikernel(row: dict, image: Path, runs: int, accel: str) -> tuple[float, float | None, int]:
    """Median life cycle of `runs` plain runs, and median boot time of `runs` runs with the
    boottime flag (kept apart: printing the line costs a little)."""
    times, boots, status = [], [], 0
    for boottime in (False, True):
        for _ in range(runs):
            r = run_image(image, row["args"], env={"HOME": "/root"}, accel=accel, timeout=120,
                          stdin_bytes=row["stdin"], boottime=boottime, argv0=str(row["binary"]))
            status = r.exit_status
            if boottime and r.boot_us is not None:
                boots.append(r.boot_us)
            elif not boottime:
                times.append(r.wall_s)
    return statistics.median(times), statistics.median(boots) if boots else None, status


def measure(row: dict, out: Path, runs: int, accel: str) -> dict:
    image, plan, rootfs = build(row, out)
    uni, boot, status = unikernel(row, image, runs, accel)
    return {"program": row["label"], "unikernel_s": uni, "native_s": native(row, runs), "boot_us": boot,
            "exit": status, "image_bytes": image.stat().st_size,
            "rootfs_bytes": rootfs.stat().st_size if rootfs.exists() else 0,
            "syscalls_in_image": len(plan["syscalls"]), "syscalls_linux": len(syscalls.by_name("x86_64"))}


def table(results: list[dict]) -> str:
    lines = ["| program | unikernel life cycle | native | ratio | guest boot | image (rootfs in it) | syscalls in image / Linux | exit |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        boot = f"{r['boot_us'] / 1000:.1f} ms" if r["boot_us"] is not None else "-"
        lines.append(f"| {r['program']} | {r['unikernel_s'] * 1000:.0f} ms | {r['native_s'] * 1000:.1f} ms | "
                     f"{r['unikernel_s'] / r['native_s']:.1f}x | {boot} | {r['image_bytes'] / 1024:.0f} KiB "
                     f"({r['rootfs_bytes'] / 1024:.0f} KiB) | "
                     f"{r['syscalls_in_image']} / {r['syscalls_linux']} | {r['exit']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--accel", default="tcg")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="unicore-binary-bench-") as tmp:
        results = [measure(row, Path(tmp), args.runs, args.accel) for row in cases(Path(tmp))]
    (args.out / "binary.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"accelerator: {args.accel}; median of {args.runs} runs; life cycle = QEMU start to exit")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
