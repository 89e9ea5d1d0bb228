"""Process benchmarks (not tests): fork+exit+wait and fork+exec+wait latency, unikernel vs native,
and a shell script of 100 pipelines, unikernel vs native vs a runc container.

    .venv/bin/python benchmarks/proc_bench.py [--runs N] [--out DIR]

The latencies are measured inside each run (benchmarks/proc/forkbench.c, glibc, CLOCK_MONOTONIC),
the script's time from outside (start to exit: the unikernel's boot and the container's set-up
included). The unikernel runs under TCG on this machine kind (docs/processes.md has the figures).
Results go to DIR/proc.json (default build/bench/proc/) and stdout.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from unicore.pipeline import BuildRequest, build
from unicore.runner import run_image
from unicore.runner.memory import default_mem_mb

HERE = Path(__file__).parent
ROOT = HERE.parent
PATH = {"PATH": "/usr/bin:/bin"}
SCRIPT = "i=0; while [ $i -lt 100 ]; do echo $i | tr 0-9 a-j | cat >/dev/null; i=$((i+1)); done; echo done"


def image_for(binary: Path, args: list[str], out: Path):
    """`unicore build --binary` with one scenario running `args`: the build's result."""
    scenario = out / f"{binary.name}.json"
    scenario.write_text(json.dumps({"schema": 1, "args": args, "env": PATH}))
    req = BuildRequest(binary=binary, scenarios=[scenario], output=out / f"{binary.name}.img",
                       build_dir=out / f"build-{binary.name}")
    return build(req)


def guest_us(image: Path, args: list[str]) -> float:
    r = run_image(image, args, env=PATH, mem_mb=default_mem_mb(image), accel="tcg", timeout=600)
    if r.exit_status:
        raise SystemExit(f"guest run failed ({r.exit_status}): {r.stderr.decode()}")
    return float(r.stdout.split()[1])


def native_us(binary: Path, args: list[str]) -> float:
    return float(subprocess.run([str(binary), *args], capture_output=True, check=True, env=PATH).stdout.split()[1])


def timed(fn) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def runc_bundle(rootfs_cpio: Path, work: Path) -> Path:
    """An OCI bundle whose root file system is the image's (the same files, unpacked)."""
    bundle = work / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    with open(rootfs_cpio, "rb") as f:
        subprocess.run(["cpio", "-idm", "--quiet"], stdin=f, cwd=bundle / "rootfs", check=True)
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    spec = json.loads((bundle / "config.json").read_text())
    spec["process"].update(terminal=False, args=["/bin/dash", "-c", SCRIPT], env=["PATH=/usr/bin:/bin"])
    spec["root"]["readonly"] = False
    (bundle / "config.json").write_text(json.dumps(spec))
    return bundle


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ops", type=int, default=200, help="forks per latency run")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "proc")
    opts = ap.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="proc-bench-"))
    try:
        return run(opts, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(opts, work: Path) -> int:
    exe = work / "forkbench"
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(HERE / "proc" / "forkbench.c")], check=True)
    bench_img = image_for(exe, ["exec", "3", "/usr/bin/true"], work).image
    dash = image_for(Path("/bin/dash"), ["-c", SCRIPT], work)
    dash_img = dash.image
    bundle = runc_bundle(dash.rootfs_cpio or dash.build_dir / "rootfs.cpio", work)
    rows = {}
    for mode, extra in (("fork", []), ("exec", ["/usr/bin/true"])):
        args = [mode, str(opts.ops), *extra]
        guest = [guest_us(bench_img, args) for _ in range(opts.runs)]
        native = [native_us(exe, args) for _ in range(opts.runs)]
        rows[f"fork+{mode if mode == 'exec' else 'exit'}+wait (us)"] = (statistics.median(guest),
                                                                        statistics.median(native), None)
    script = {"unikernel": [], "native": [], "runc": []}
    for i in range(opts.runs):  # interleaved, so that load from other work hits all alike
        script["unikernel"].append(timed(lambda: run_image(dash_img, ["-c", SCRIPT], env=PATH, accel="tcg",
                                                           mem_mb=default_mem_mb(dash_img), timeout=600)))
        script["native"].append(timed(lambda: subprocess.run(["/bin/dash", "-c", SCRIPT], env=PATH,
                                                             capture_output=True, check=True)))
        script["runc"].append(timed(lambda: subprocess.run(["runc", "run", f"proc-bench-{i}"], cwd=bundle,
                                                           capture_output=True, check=True)))
    rows["100 pipelines in dash (s)"] = tuple(statistics.median(script[k]) for k in ("unikernel", "native", "runc"))
    print(f"{'measure':<32} {'unikernel':>10} {'native':>10} {'runc':>10} {'uk/native':>10}")
    for name, (uk, nat, runc) in rows.items():
        print(f"{name:<32} {uk:>10.4g} {nat:>10.4g} {runc if runc is not None else '':>10.4} {uk / nat:>10.1f}")
    (opts.out / "proc.json").write_text(json.dumps({"runs": opts.runs, "ops": opts.ops, "accel": "tcg",
                                                    "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
