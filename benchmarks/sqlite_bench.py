"""SQLite benchmarks (not tests): the SQLite shell as a unikernel against the same shell natively.

    .venv/bin/python benchmarks/sqlite_bench.py [--runs N] [--quick] [--accel auto|kvm|tcg] [--out DIR]

Workload (the Unikraft paper's): one table, 60,000 INSERTs in one transaction, then a count,
piped into the shell. Three programs, run interleaved (A B C A B C ...) so that the shared
machine's load hits them alike:
  unikernel  `unicore build examples/sqlite` booted with run_image (QEMU microvm, wall clock
             from QEMU's start to its exit: boot and shutdown included)
  musl       the very shell the image embeds (cc="unicore": static musl), run natively
  glibc      the same recipe built with cc="gcc", run natively
Storage: `:memory:` in all three; a database file in the guest's ramfs against one on the host's
tmpfs (/dev/shm); a file on a 9p host volume against the same host directory natively.
Also: the image's size, and the smallest -m (MiB) with which examples/sqlite/test.sql still gives
the native output (bisection). Results: a table on stdout, DIR/sqlite.md and DIR/sqlite.csv.
"""

import argparse
import csv
import datetime
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from unicore.program.external import build_project
from unicore.runner import choose_accel, run_image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROJECT = ROOT / "examples" / "sqlite"
WORK = ROOT / "build" / "bench" / "sqlite"
INSERTS = 60_000
GUEST_MEM_MB = 64
ENV = {"HOME": "/"}  # the shell looks for ~/.sqliterc


def workload(n: int = INSERTS) -> bytes:
    """One table, n INSERTs in one transaction, then a count (expected output: n)."""
    rows = "".join(f"INSERT INTO t VALUES({i},{i * 7 % 1000},'row {i} of the benchmark');\n" for i in range(n))
    return (f"CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT);\nBEGIN;\n{rows}COMMIT;\n"
            "SELECT count(*) FROM t;\n").encode()


# The small-memory variant: the same shell linked at 2 MiB instead of musl's 4 MiB (the program's
# end is the floor of -m) and a 256 KiB stack instead of 1 MiB (it takes one contiguous run).
LOW_LINK = "0x200000"
LOW_STACK_KB = 256


@dataclass
class Programs:
    image: Path
    musl: Path
    glibc: Path
    small_image: Path


def unicore_build(project: Path, image: Path, *options: str) -> None:
    cmd = [sys.executable, "-m", "unicore", "build", str(project), "-o", str(image),
           "--build-dir", str(image.with_suffix(".build"))] + [f"--option={o}" for o in options]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-500:]}")


def small_project() -> Path:
    """A copy of examples/sqlite whose shell is linked at LOW_LINK."""
    text = (PROJECT / "unicore.toml").read_text()
    if text.count("ldflags = [") != 1:
        raise SystemExit("examples/sqlite/unicore.toml: expected one `ldflags = [` line")
    project = WORK / "small"
    project.mkdir(parents=True, exist_ok=True)
    (project / "unicore.toml").write_text(text.replace("ldflags = [", f'ldflags = ["-Wl,-Ttext-segment={LOW_LINK}", '))
    return project


def build_all(console: Console) -> Programs:
    """The images (through the CLI, as a user builds them) and both native shells (cached builds)."""
    WORK.mkdir(parents=True, exist_ok=True)
    with console.status("building the SQLite images and native shells (cached after the first time)"):
        unicore_build(PROJECT, WORK / "sqlite.img")
        unicore_build(small_project(), WORK / "sqlite-small.img", f"UK_PROCESS_STACK_KB={LOW_STACK_KB}")
        musl = build_project(PROJECT, WORK / "musl", cc="unicore")
        glibc = build_project(PROJECT, WORK / "glibc", cc="gcc")
    return Programs(WORK / "sqlite.img", musl, glibc, WORK / "sqlite-small.img")


@dataclass
class Storage:
    """Where the database lives: guest argument and volumes, native argument."""
    name: str
    guest_db: str
    native_db: str
    volumes: list[str] = field(default_factory=list)

    def clean(self) -> None:
        """A fresh database for every run: the script creates its table."""
        for db in (self.native_db, self.host_side_of_guest_db()):
            if db and db != ":memory:":
                for suffix in ("", "-journal"):
                    Path(db + suffix).unlink(missing_ok=True)

    def host_side_of_guest_db(self) -> str | None:
        if not self.volumes:
            return None
        host, guest = self.volumes[0].split(":")
        return str(Path(host) / Path(self.guest_db).relative_to(guest))


def storages(volume_dir: Path) -> list[Storage]:
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    return [Storage(":memory:", ":memory:", ":memory:"),
            Storage(f"file: ramfs vs {shm}", "/bench.db", str(shm / "unicore-sqlite-bench.db")),
            Storage("file: 9p vs host dir", "/data/bench.db", str(volume_dir / "native.db"),
                    [f"{volume_dir}:/data"])]


def native_run(program: Path, db: str, script: bytes, home: Path) -> tuple[float, bytes]:
    start = time.monotonic()
    proc = subprocess.run([str(program), db], input=script, capture_output=True, env={"HOME": str(home)}, timeout=600)
    elapsed = time.monotonic() - start
    return elapsed, proc.stdout if proc.returncode == 0 else proc.stdout + proc.stderr


def guest_run(image: Path, storage: Storage, script: bytes, accel: str) -> tuple[float, bytes]:
    start = time.monotonic()
    r = run_image(image, [storage.guest_db], ENV, GUEST_MEM_MB, accel, timeout=600, stdin_bytes=script,
                  volumes=storage.volumes)
    elapsed = time.monotonic() - start
    return elapsed, r.stdout if r.exit_status == 0 else r.stdout + f"[exit {r.exit_status}]".encode()


def cases(volume_dir: Path) -> list[tuple[str, Storage, bytes, bytes]]:
    """(label, storage, script, expected output): the workload on each storage, and the floor
    (one SELECT: starting and ending the program, for the unikernel QEMU's start and the boot)."""
    script, expected = workload(), f"{INSERTS}\n".encode()
    sts = storages(volume_dir)
    return [(st.name, st, script, expected) for st in sts] + [("floor: SELECT 1", sts[0], b"SELECT 1;\n", b"1\n")]


def measure(progs: Programs, runs: int, accel: str, home: Path, volume_dir: Path) -> dict[tuple[str, str], list[float]]:
    """Seconds per run, keyed by (case, program); one unrecorded warm-up round first."""
    samples: dict[tuple[str, str], list[float]] = {}
    for round_ in range(runs + 1):
        for label, st, script, expected in cases(volume_dir):
            for name, once in (("unikernel", lambda: guest_run(progs.image, st, script, accel)),
                               ("musl", lambda: native_run(progs.musl, st.native_db, script, home)),
                               ("glibc", lambda: native_run(progs.glibc, st.native_db, script, home))):
                st.clean()
                elapsed, out = once()
                if out != expected:
                    raise SystemExit(f"{name} on {label}: unexpected output {out[-300:]!r}")
                if round_:
                    samples.setdefault((label, name), []).append(elapsed)
        print(f"round {round_}/{runs} done", file=sys.stderr, flush=True)
    return samples


def memory_probe(image: Path, mem_mb: int, script: bytes, expected: bytes, accel: str) -> tuple[bool, str]:
    """Whether test.sql gives the native output with `mem_mb`; else what the guest said (its first
    error line, else its last line)."""
    from unicore.errors import UnicoreError
    try:
        r = run_image(image, [], ENV, mem_mb, accel, timeout=300, stdin_bytes=script)
    except UnicoreError as e:  # QEMU itself refused (RAM smaller than the image)
        return False, str(e)
    lines = r.stdout.decode(errors="replace").strip().splitlines()
    said = [ln for ln in lines if "out of memory" in ln or "panic" in ln or "rror" in ln] or lines[-1:] or [""]
    return r.stdout == expected and r.exit_status == 0, f"exit {r.exit_status}: {said[0]}"


def smallest_memory(image: Path, native: Path, home: Path, accel: str, hi: int = GUEST_MEM_MB) -> dict:
    """Bisection over -m (MiB): the smallest that passes, and what the guest said one below."""
    script = (PROJECT / "test.sql").read_bytes()
    expected = subprocess.run([str(native)], input=script, capture_output=True, env={"HOME": str(home)}, check=True).stdout
    ok, why = memory_probe(image, hi, script, expected, accel)
    if not ok:
        raise SystemExit(f"test.sql does not pass even with -m {hi}: {why}")
    lo, below = 1, ""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok, why = memory_probe(image, mid, script, expected, accel)
        if ok:
            hi = mid
        else:
            lo, below = mid, why
    if not below:
        below = memory_probe(image, lo, script, expected, accel)[1]
    return {"min_mb": hi, "below": below, "test_sql_bytes": len(script)}


def summary(samples: dict[tuple[str, str], list[float]]) -> list[dict]:
    """Median/min/max per (storage, program) and the unikernel's ratio to each native build."""
    rows = []
    for (storage, prog), xs in samples.items():
        rows.append({"storage": storage, "program": prog, "runs": len(xs), "median_s": statistics.median(xs),
                     "min_s": min(xs), "max_s": max(xs)})
    for row in rows:
        base = {r["program"]: r["median_s"] for r in rows if r["storage"] == row["storage"]}
        row["vs_musl"] = row["median_s"] / base["musl"]
        row["vs_glibc"] = row["median_s"] / base["glibc"]
    return rows


def print_table(console: Console, rows: list[dict], facts: dict) -> None:
    t = Table(title=f"SQLite: {INSERTS:,} inserts in one transaction, then a count ({facts['accel']}, "
                    f"{rows[0]['runs']} runs, seconds)")
    for col in ("case", "program", "median", "min", "max", "/ musl", "/ glibc"):
        t.add_column(col, justify="left" if col in ("case", "program") else "right")
    for r in rows:
        t.add_row(r["storage"], r["program"], f"{r['median_s']:.3f}", f"{r['min_s']:.3f}", f"{r['max_s']:.3f}",
                  f"{r['vs_musl']:.2f}", f"{r['vs_glibc']:.2f}")
    console.print(t)
    console.print(net_ratio_line(rows))
    console.print(f"image size: {facts['image_bytes']:,} bytes ({facts['image_bytes'] / 1024:.1f} KiB; target <= 800 KiB)")
    console.print(f"smallest -m for test.sql: {facts['min_mb']} MiB (target <= 4 MiB); "
                  f"at {facts['min_mb'] - 1} MiB: {facts['below']}")
    console.print(f"  same shell linked at {LOW_LINK}, {LOW_STACK_KB} KiB stack: {facts['small_min_mb']} MiB; "
                  f"at {facts['small_min_mb'] - 1} MiB: {facts['small_below']}")


def write_results(out: Path, rows: list[dict], facts: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "sqlite.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", "accel", "measure", "storage", "program", "runs", "median", "min", "max", "unit",
                    "ratio_vs_musl", "ratio_vs_glibc"])
        for r in rows:
            w.writerow([facts["date"], facts["accel"], "SELECT 1" if r["storage"].startswith("floor") else f"{INSERTS} inserts", r["storage"], r["program"], r["runs"],
                        f"{r['median_s']:.4f}", f"{r['min_s']:.4f}", f"{r['max_s']:.4f}", "s",
                        f"{r['vs_musl']:.3f}", f"{r['vs_glibc']:.3f}"])
        w.writerow([facts["date"], facts["accel"], "image size", "", "unikernel", 1, facts["image_bytes"], "", "", "bytes", "", ""])
        w.writerow([facts["date"], facts["accel"], "smallest -m for test.sql", "", "unikernel", 1, facts["min_mb"], "", "",
                    "MiB", "", ""])
        w.writerow([facts["date"], facts["accel"], "smallest -m for test.sql", f"linked at {LOW_LINK}, {LOW_STACK_KB} KiB stack",
                    "unikernel", 1, facts["small_min_mb"], "", "", "MiB", "", ""])
    (out / "sqlite.md").write_text(markdown(rows, facts))


def markdown(rows: list[dict], facts: dict) -> str:
    lines = [f"# SQLite benchmark results ({facts['date']})", "",
             f"`benchmarks/sqlite_bench.py --runs {rows[0]['runs']}` on {facts['host']}; accelerator {facts['accel']}; "
             f"load average {facts['load_before']} before, {facts['load_after']} after. Wall clock per run (unikernel: "
             f"QEMU start to exit, boot included), {INSERTS:,} INSERTs in one transaction then a count, piped into the "
             "shell; runs interleaved after one warm-up round.", "",
             "| case | program | median s | min s | max s | / musl | / glibc |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['storage']} | {r['program']} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['max_s']:.3f} | "
              f"{r['vs_musl']:.2f} | {r['vs_glibc']:.2f} |" for r in rows]
    lines += ["", net_ratio_line(rows), "", "| measure | result | target |", "|---|---|---|",
              f"| image size | {facts['image_bytes']:,} bytes ({facts['image_bytes'] / 1024:.1f} KiB) | <= 800 KiB |",
              f"| smallest -m for examples/sqlite/test.sql ({facts['test_sql_bytes']:,} bytes piped in) | "
              f"{facts['min_mb']} MiB (at {facts['min_mb'] - 1} MiB: `{facts['below']}`) | <= 4 MiB |",
              f"| the same, shell linked at {LOW_LINK} and a {LOW_STACK_KB} KiB stack (`--option "
              f"UK_PROCESS_STACK_KB={LOW_STACK_KB}`) | {facts['small_min_mb']} MiB (at {facts['small_min_mb'] - 1} MiB: "
              f"`{facts['small_below']}`) | <= 4 MiB |", ""]
    return "\n".join(lines)


def net_ratio_line(rows: list[dict]) -> str:
    """The :memory: workload less each program's floor (start and exit): the work alone."""
    med = {(r["storage"], r["program"]): r["median_s"] for r in rows}
    work = {p: med[(":memory:", p)] - med[("floor: SELECT 1", p)] for p in ("unikernel", "musl", "glibc")}
    return (f"Work alone (`:memory:` median less the floor): unikernel {work['unikernel']:.3f} s, musl "
            f"{work['musl']:.3f} s, glibc {work['glibc']:.3f} s: ratio {work['unikernel'] / work['musl']:.1f} "
            f"to musl, {work['unikernel'] / work['glibc']:.1f} to glibc.")


def host_facts(accel: str) -> dict:
    import os
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "accel": accel,
            "host": f"{os.cpu_count()} CPUs, {qemu}", "load_before": f"{os.getloadavg()[0]:.1f}"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 runs")
    ap.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="tcg")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()
    console = Console()
    accel, _ = choose_accel(args.accel)
    facts = host_facts(accel)
    progs = build_all(console)
    facts["image_bytes"] = progs.image.stat().st_size
    with tempfile.TemporaryDirectory(prefix="unicore-sqlite-bench-") as tmp:
        home, volume_dir = Path(tmp) / "home", WORK / "volume"
        home.mkdir()
        shutil.rmtree(volume_dir, ignore_errors=True)
        volume_dir.mkdir(parents=True)
        rows = summary(measure(progs, 2 if args.quick else args.runs, accel, home, volume_dir))
        facts.update(smallest_memory(progs.image, progs.musl, home, accel))
        small = smallest_memory(progs.small_image, progs.musl, home, accel)
        facts.update(small_min_mb=small["min_mb"], small_below=small["below"])
    facts["load_after"] = f"{__import__('os').getloadavg()[0]:.1f}"
    print_table(console, rows, facts)
    write_results(args.out, rows, facts)
    console.print(f"written: {args.out / 'sqlite.md'}, {args.out / 'sqlite.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
