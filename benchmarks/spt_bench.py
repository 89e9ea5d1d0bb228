"""spt benchmarks (not tests): the unikernel as a sandboxed process against native (docs/spt.md).

    .venv/bin/python benchmarks/spt_bench.py [--runs N] [--calls N] [--out DIR]

1. Syscall cost, per call: tests/kernel/programs/syscall_cost.c (getppid through musl in a
   loop, timed inside the program) built for spt twice, with the resolved sites rewritten into
   direct calls (default) and with UK_ARCH_X86_64_LINUX_REWRITE=false (every call trapped through
   SIGSYS), against the same program natively; also how many of the program's syscall sites the
   analysis resolved and how many the load-time rewrite took.
2. SQLite, 60,000 INSERTs in one transaction then a count (sqlite_bench.py's workload), `:memory:`:
   examples/sqlite built for spt, against the very shell the image embeds run natively. Wall
   clock from launch to exit (the tender's start and teardown included), runs interleaved; also
   the CPU time (user + sys) of each, and where spt's extra time goes: the host calls of one
   run counted by `strace -c -f` (trapped program calls = SIGSYS deliveries, each ending in an
   rt_sigreturn; page mirroring = mmap; faults and timer ticks = the other rt_sigreturns).
3. Syscall sites of Debian's binary (`build --binary /usr/bin/sqlite3`: every call trapped, its
   libraries are loaded at run time) and of the static shell: how many are in the exact form the
   load-time rewrite takes (`mov $nr, %eax; syscall`), i.e. what rewriting at load would reach.
Results: a table on stdout and DIR/spt.md (default benchmarks/results).
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from elftools.elf.elffile import ELFFile

from unicore.pipeline import BuildRequest, build
from unicore.program.sites import form
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
    """Sites of the table in a form the load-time rewrite takes (program/sites.py: the table holds
    only those no branch enters), read from the ELF."""
    with open(program, "rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        base, data = text["sh_addr"], text.data()
    return sum(bool(form(data, addr - base, nr)[0]) for addr, nr in sites if base <= addr < base + len(data))


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
                 f"{report.get('sites', '?')} (all objects) / {sum(n >= 0 for _, n in sites)} / "
                 f"{rewritable(program, sites)}"))
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
    rows = [(f"SQLite {INSERTS:,} inserts ({k}), ms", f"{med[k]:.0f} ({med[k] / med['native']:.2f}x native)")
            for k in ("spt", "native")]
    sites = result.plan["program"]["syscall_sites"]
    rows.append(("SQLite shell: syscall sites resolved / others given to the loader / rewritten at load",
                 f"{sum(n >= 0 for _, n in sites)} / {sum(n < 0 for _, n in sites)} / {rewritable(program, sites)}"))
    cpu = {k: statistics.median(v) * 1000 for k, v in cpu_times(result.image, program, sql, runs).items()}
    rows += [(f"SQLite {INSERTS:,} inserts ({k}), CPU ms (user+sys)", f"{cpu[k]:.0f} ({cpu[k] / cpu['native']:.2f}x native)")
             for k in ("spt", "native")]
    return rows + host_call_rows(result.image, sql)


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_times(image: Path, program: Path, sql: bytes, runs: int) -> dict[str, list[float]]:
    """User + sys seconds of the tender (and its set-up) and of the native shell, interleaved."""
    out = {"spt": [], "native": []}
    for _ in range(runs):
        before = _child_cpu()
        run_image(image, [], timeout=600, stdin_bytes=sql)
        out["spt"].append(_child_cpu() - before)
        before = _child_cpu()
        subprocess.run([str(program)], input=sql, capture_output=True, timeout=600)
        out["native"].append(_child_cpu() - before)
    return out


def host_call_rows(image: Path, sql: bytes) -> list[tuple[str, str]]:
    """The host calls of one spt run of the workload, counted by strace (absent: no row)."""
    from unicore.runner.spt import tender_path
    if not shutil.which("strace"):
        return []
    log = WORK / "strace.txt"
    subprocess.run(["strace", "-c", "-f", "-o", str(log), str(tender_path()), str(image), "--"], input=sql,
                   capture_output=True, timeout=600)
    calls = {m.group(2): int(m.group(1)) for m in re.finditer(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$",
                                                               log.read_text(), re.M)}
    return [("SQLite on spt: host calls of one run (strace -c)",
             ", ".join(f"{n} {calls.get(n, 0)}" for n in ("rt_sigreturn", "read", "mmap", "write", "setitimer", "ppoll")))]


def exact_form_sites(path: Path) -> tuple[int, int]:
    """(syscall instructions, those right after `mov $nr, %eax`) in an ELF's code, by objdump."""
    dis = subprocess.run(["objdump", "-d", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    total = exact = 0
    for prev, line in zip(dis, dis[1:]):
        if line.endswith("\tsyscall") or "\tsyscall " in line:
            total += 1
            fields = prev.split("\t")
            exact += len(fields) >= 3 and fields[1].split()[:1] == ["b8"] and len(fields[1].split()) == 5
    return total, exact


def debian_site_rows(static_shell: Path) -> list[tuple[str, str]]:
    """Syscall sites of /usr/bin/sqlite3 and the shared libraries it loads, and of the static shell."""
    if not shutil.which("sqlite3") or not shutil.which("ldd"):
        return []
    ldd = subprocess.run(["ldd", shutil.which("sqlite3")], capture_output=True, text=True).stdout
    objects = [Path(os.path.realpath(shutil.which("sqlite3")))]
    objects += [Path(m.group(1)) for m in re.finditer(r"=> (/\S+)", ldd)]
    rows = []
    for obj in objects + [static_shell]:
        total, exact = exact_form_sites(obj)
        where = "the static shell" if obj == static_shell else f"Debian's {obj}"
        rows.append((f"syscall sites in {where}: all / `mov $nr, %eax; syscall` form", f"{total} / {exact}"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = syscall_rows(args.runs, args.calls) + sqlite_rows(args.runs)
    rows += debian_site_rows(Path(build_spt(ROOT / "examples" / "sqlite", "sqlite").plan["program"]["path"]))
    lines = ["# spt benchmarks (benchmarks/spt_bench.py)", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.runs} runs each (medians), "
             f"{args.calls:,} calls per syscall run; a shared 2-core machine (PVM-based VM).", "",
             "| measure | value |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "spt.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
