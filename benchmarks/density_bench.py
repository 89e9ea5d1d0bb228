"""Memory and density benchmarks (issue 19; not tests): the smallest -m, QEMU's memory per guest,
how many idle SQLite instances fit in 2 GiB.

    .venv/bin/python benchmarks/density_bench.py [--instances N] [--out DIR]

1. Smallest guest RAM, by bisection over KiB (QEMU takes fractional -m, e.g. 1.25M): hello
   (examples/hello) must print its line, examples/sqlite must answer a query on stdin.
2. QEMU's host memory for one idle SQLite guest (booted, blocked reading stdin): PSS and RSS
   (/proc/PID/smaps_rollup) with TCG's translation buffer at QEMU's default and smaller sizes
   (`-accel tcg,tb-size=MiB`: the runner's, QEMU's own 1 GiB, smaller), and the life cycle of the
   SQLite query at each size.
3. Density: N idle instances each of the unikernel (smallest -m + 1 MiB headroom, the QEMU
   command the runner builds: its tb-size, RAM as a memfd), runc containers of
   Debian's sqlite3 and native sqlite3 processes, all blocked reading stdin; the mean PSS per
   instance gives how many fit in 2 GiB. Plotted to DIR/density.png.

Every process started is in a process group of its own, killed on the way out (SIGTERM and SIGINT
raise KeyboardInterrupt here) and by the kernel if the bench itself is killed (parent-death
signal); runc containers are also deleted by name in a `finally`.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from unicore.bench.container import RUNTIME
from unicore.bench.debian import ensure_debian_root
from unicore.errors import UnicoreError
from unicore.paths import bench_cache
from unicore.pipeline import BuildRequest, build
from unicore.runner import run_image
from unicore.runner.console import Channel
from unicore.runner.lifetime import setpriv_prefix
from unicore.runner.qemu import TCG_TB_SIZE_MB, kernel_cmdline, qemu_command

ROOT = Path(__file__).resolve().parent.parent
GIB2 = 2 << 30
QUERY = b"CREATE TABLE t(a); INSERT INTO t VALUES (1),(2),(39); SELECT sum(a) FROM t;\n"
TB_SIZES = [None, 1024, 16, 4]   # MiB; None: the runner's (runner/qemu.py TCG_TB_SIZE_MB), 1024: QEMU's own


def image(source: Path, name: str) -> Path:
    home = bench_cache() / "density" / name
    req = BuildRequest(path=source, output=home / f"{name}.img", build_dir=home / "build")
    return build(req, warn=lambda _: None).image


def runs_with(img: Path, kib: int, args: list[str], stdin: bytes | None, expect: bytes) -> bool:
    try:
        result = run_image(img, args, mem_mb=kib / 1024, accel="tcg", timeout=60, stdin_bytes=stdin)
    except UnicoreError:  # QEMU refused the size (segments beyond RAM)
        return False
    return result.exit_status == 0 and result.stdout == expect


def smallest_kib(img: Path, args: list[str], stdin: bytes | None, expect: bytes) -> int:
    """The smallest KiB (to 64 KiB) that runs: bisection between a failing and a working size."""
    lo, hi = 256, 64 * 1024
    assert runs_with(img, hi, args, stdin, expect), f"{img} does not run in {hi} KiB"
    while hi - lo > 64:
        mid = (lo + hi) // 2 // 64 * 64
        lo, hi = (lo, mid) if runs_with(img, mid, args, stdin, expect) else (mid, hi)
    return hi


class Fleet:
    """Processes started for a measurement; all killed (by process group) on exit, however it ends."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []
        self.keep: list = []   # the host ends of the guests' channels (closing them would be EOF)

    def start(self, cmd: list[str], **kw) -> subprocess.Popen:
        """`cmd` in a process group of its own, killed by the kernel too if this process dies
        (setpriv's parent-death signal, as the runner does: runner/lifetime.py)."""
        proc = subprocess.Popen(setpriv_prefix(None) + cmd, stdin=kw.pop("stdin", subprocess.PIPE),
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def __enter__(self) -> "Fleet":
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.procs:
            proc.wait()
        for item in self.keep:
            item.close()


def memory_kib(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of a process tree's root, KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0])
    return fields["Pss"], fields["Rss"]


def guest(fleet: Fleet, img: Path, kib: int, tb_mib: int | None) -> subprocess.Popen:
    """An idle SQLite guest: booted, its program blocked reading stdin (the channel stays open)."""
    channel = Channel()
    cmd = qemu_command(img, kernel_cmdline([], {}, False, False), kib / 1024, "tcg", Path("/dev/null"),
                       console=channel.qemu_args())
    if tb_mib is not None:
        cmd[cmd.index("-accel") + 1] = f"tcg,tb-size={tb_mib}"
    proc = fleet.start(cmd, stdin=subprocess.DEVNULL, pass_fds=channel.pass_fds)
    channel.started()
    fleet.keep.append(channel.host)
    channel.host.settimeout(60)
    got = b""
    while b"\x00\x00\x00\x00\x00\x00\x00\x00" not in got:  # the empty fd-0 frame: "the program reads stdin"
        chunk = channel.host.recv(4096)
        if not chunk:
            raise RuntimeError(f"the guest ended before reading stdin (-m {kib}K)")
        got += chunk
    return proc


def tb_sizes(img: Path, kib: int) -> dict:
    rows = {}
    for tb in TB_SIZES:
        with Fleet() as fleet:
            proc = guest(fleet, img, kib, tb)
            time.sleep(0.2)
            pss, rss = memory_kib(proc.pid)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert _query_with_tb(img, kib, tb), f"the query failed with tb-size {tb}"
            times.append((time.perf_counter() - start) * 1000)
        rows["default" if tb is None else f"{tb} MiB"] = {"pss_kib": pss, "rss_kib": rss,
                                                           "query_ms": round(statistics.median(times), 1)}
    return rows


def _query_with_tb(img: Path, kib: int, tb: int | None) -> bool:
    """The SQLite query through a guest started with this tb-size (the runner's own path, via QEMU)."""
    channel = Channel()
    cmd = qemu_command(img, kernel_cmdline([], {}, False, False), kib / 1024, "tcg", Path("/dev/null"),
                       console=channel.qemu_args())
    if tb is not None:
        cmd[cmd.index("-accel") + 1] = f"tcg,tb-size={tb}"
    with Fleet() as fleet:
        fleet.start(cmd, stdin=subprocess.DEVNULL, pass_fds=channel.pass_fds)
        channel.started()
        fleet.keep.append(channel.host)
        from unicore.runner.console import EOF_FRAME, frames
        channel.host.sendall(frames(QUERY) + EOF_FRAME)
        out = b""
        channel.host.settimeout(60)
        while chunk := channel.host.recv(65536):
            out += chunk
    return b"42" in out


def density(img: Path, kib: int, tb: int | None, n: int) -> dict:
    result = {}
    with Fleet() as fleet:
        pids = [guest(fleet, img, kib, tb).pid for _ in range(n)]
        time.sleep(0.5)
        result["unikernel"] = [memory_kib(p)[0] for p in pids]
    with Fleet() as fleet:
        pids = [fleet.start(["sqlite3"]).pid for _ in range(n)]
        time.sleep(0.5)
        result["native"] = [memory_kib(p)[0] for p in pids]
    result["runc"] = runc_pss(n)
    return {k: {"pss_kib_mean": round(statistics.mean(v)), "fit_in_2gib": int(GIB2 / 1024 // statistics.mean(v)),
                "instances_measured": len(v)} if v else {"not_available": "runc needs root"} for k, v in result.items()}


def runc_pss(n: int) -> list[int]:
    """PSS of each container's sqlite3 plus its runc shim-less parent (`runc run` stays in the foreground)."""
    if os.geteuid() != 0:
        return []
    root = ensure_debian_root(Console(stderr=True))
    bundle = bench_cache() / "density" / "bundle"
    bundle.mkdir(parents=True, exist_ok=True)
    subprocess.run([RUNTIME, "spec"], cwd=bundle, check=True, capture_output=True) \
        if not (bundle / "config.json").exists() else None
    spec = json.loads((bundle / "config.json").read_text())
    spec["process"].update(terminal=False, args=["/usr/bin/sqlite3"])
    spec["root"] = {"path": str(root.rootfs), "readonly": True}
    (bundle / "config.json").write_text(json.dumps(spec))
    names = [f"unicore-density-{os.getpid()}-{i}" for i in range(n)]
    pss = []
    try:
        with Fleet() as fleet:
            runners = [fleet.start([RUNTIME, "run", "--bundle", str(bundle), name]) for name in names]
            time.sleep(2)
            for runner, name in zip(runners, names):
                state = json.loads(subprocess.run([RUNTIME, "state", name], capture_output=True, check=True).stdout)
                pss.append(memory_kib(state["pid"])[0] + memory_kib(runner.pid)[0])
    finally:
        for name in names:
            subprocess.run([RUNTIME, "delete", "--force", name], capture_output=True)
    return pss


def plot(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [(k, v["fit_in_2gib"], v["pss_kib_mean"]) for k, v in result.items()
            if isinstance(v, dict) and "fit_in_2gib" in v]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar([r[0] for r in rows], [r[1] for r in rows], color=["tab:green", "tab:blue", "tab:gray"][:len(rows)])
    for x, (_, fit, pss) in enumerate(rows):
        ax.annotate(f"{fit:,}\n({pss / 1024:.1f} MiB each)", (x, fit), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("idle SQLite instances in 2 GiB (by PSS)")
    ax.set_title("Density: idle SQLite waiting on stdin")
    ax.set_ylim(top=max(r[1] for r in rows) * 1.25)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=8)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "density")
    opts = ap.parse_args(argv)
    opts.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM cleans up like Ctrl-C
    hello, sqlite = image(ROOT / "examples" / "hello" / "hello.c", "hello"), image(ROOT / "examples" / "sqlite", "sqlite")
    results = {"smallest_kib": {"hello": smallest_kib(hello, ["world"], None, b"Hello, world!\n"),
                                "sqlite": smallest_kib(sqlite, [], QUERY, b"42\n")}}
    kib = results["smallest_kib"]["sqlite"] + 1024
    results["tb_size"] = tb_sizes(sqlite, kib)
    results["density"] = {"guest_kib": kib, "tb_size_mib": TCG_TB_SIZE_MB, **density(sqlite, kib, None, opts.instances)}
    (opts.out / "density.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results["density"], opts.out / "density.png")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
