"""Kernel benchmarks (not tests): image size, boot time, life cycle, syscall round trip.

    .venv/bin/python benchmarks/kernel_bench.py [--runs N] [--out DIR] [--target qemu/arm64]

Images are built with a plan of exactly the syscalls each program needs (this pool's
posix-io/posix-mm..., no file systems), so they show the kernel's own cost. Everything runs on
the same accelerator (TCG unless `--accel`). Results are printed and written to DIR/kernel.json
(DIR/kernel-arm64.json for --target qemu/arm64: QEMU virt under TCG, against an arm64 floor
kernel, kernel/trivial_arm64.S).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from unicore.controller.plan import fixed_plan
from unicore.controller.planfile import plan_of_image, write_plan
from unicore.image.facts import image_facts
from unicore.image import build_image
from unicore.runner import choose_accel, run_image
from unicore.runner.console import console_devices
from unicore.runner.qemu import kernel_cmdline, qemu_command
from unicore.runner.verify import native_command
from unicore.program.toolchain import compile_program

HERE = Path(__file__).parent
ROOT = HERE.parent
LIBS = ["arch-{arch}", "plat-qemu", "virtio", "core", "syscall", "process", "posix-process", "posix-signal", "posix-mm",
        "posix-time", "posix-io", "tty", "random"]
HELLO_SYSCALLS = ["arch_prctl", "set_tid_address", "ioctl", "writev", "write", "exit_group", "exit"]


TARGET = "qemu/x86_64"  # --target


def arch() -> str:
    return TARGET.split("/")[1]


def plan(syscalls: list[str], name: str) -> dict:
    return fixed_plan([lib.format(arch=arch()) for lib in LIBS], syscalls, TARGET, program={"name": name})


def build(source: Path, syscalls: list[str], out: Path, cflags=None) -> tuple[Path, Path]:
    """The program and its image, with the sidecar the pipeline writes (what `unicore run` reads)."""
    program = compile_program([source], out / source.stem, cflags, arch())
    chosen = plan(syscalls, source.stem)
    image = build_image(chosen, program, out / f"{source.stem}.img", out / f"build-{source.stem}")
    write_plan({**chosen, "image": image_facts(image)}, plan_of_image(image))
    return program, image


def trivial_kernel(out: Path) -> Path:
    if arch() == "arm64":
        return trivial_arm64(out)
    obj, elf = out / "trivial_pvh.o", out / "trivial_pvh.elf"
    subprocess.run(["gcc", "-c", str(HERE / "kernel" / "trivial_pvh.S"), "-o", str(obj)], check=True)
    subprocess.run(["ld", "-m", "elf_x86_64", "-n", "-T", str(HERE / "kernel" / "trivial_pvh.ld"), "-o", str(elf), str(obj)],
                   check=True)
    return elf


def trivial_arm64(out: Path) -> Path:
    """The arm64 floor as a raw Image (what QEMU virt's -kernel takes with x0 = the device tree)."""
    obj, elf, image = out / "trivial_arm64.o", out / "trivial_arm64.elf", out / "trivial_arm64.img"
    subprocess.run(["aarch64-linux-gnu-gcc", "-c", str(HERE / "kernel" / "trivial_arm64.S"), "-o", str(obj)], check=True)
    subprocess.run(["aarch64-linux-gnu-ld", "-Ttext=0x40080000", "-o", str(elf), str(obj)], check=True)
    subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", str(elf), str(image)], check=True)
    return image


def size_breakdown(image: Path, build_dir: Path) -> dict:
    from elftools.elf.elffile import ELFFile
    with open(build_dir / "kernel.elf", "rb") as f:
        elf = ELFFile(f)
        sections = {s.name: s["sh_size"] for s in elf.iter_sections() if s["sh_flags"] & 2}
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
    program = syms.get("uk_app_end", 0) - syms.get("uk_app_start", 0)  # arm64 links it into .uk_payload
    return {"image_bytes": image.stat().st_size, "text": sections.get(".text", 0),
            "rodata": sections.get(".rodata", 0), "program": program,
            "symbols": sections.get(".uk_ksyms", 0)}


def _once(cmd) -> float:
    """Milliseconds of one run: a command line (stdin from /dev/null), or a Python callable."""
    start = time.perf_counter()
    if callable(cmd):
        cmd()
    else:
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return (time.perf_counter() - start) * 1000


def interleaved(cmds: dict[str, object], runs: int) -> dict[str, list[float]]:
    """Each of `cmds` `runs` times, round-robin after one warm-up each, so that a change in the
    machine's load (shared cores) affects all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    for i in range(runs + 1):
        for name, cmd in cmds.items():
            ms = _once(cmd)
            if i:
                samples[name].append(ms)
    return samples


def stats(samples: list[float]) -> dict:
    return {"min": round(min(samples), 2), "median": round(statistics.median(samples), 2),
            "max": round(max(samples), 2), "runs": len(samples)}


def qemu_direct(image: Path, accel: str, out: Path, args: list[str]) -> list[str]:
    """The QEMU command `unicore run` would use, alone (no runner around it, not even `timeout`:
    _once's own timeout kills a hung one; the console port's host side is a null chardev,
    which takes everything)."""
    console = console_devices("null,id=ukcon")
    return qemu_command(image, kernel_cmdline(args, {}, False, False), 64, accel, out / "ctl",
                        console=console, arch=arch())


def console_script(out: Path) -> Path:
    """What pip installs as `unicore` (bin/unicore: `from unicore.cli import main`), for this
    checkout: the command as users type it, without `python -m`'s runpy."""
    script = out / "unicore-console-script"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom unicore.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return script


def launcher_alone(image: Path, accel: str, args: list[str]) -> list[str]:
    """The launcher (runner/launch.py) with the image's launch record, exec'd by hand: what
    `unicore run` becomes once Python has read the record."""
    from unicore.runner import launch
    rec = launch.load_record(str(image), accel, 64)
    assert rec is not None, "no launch record: `unicore run` of the image did not write one"
    cmdline = kernel_cmdline(args, {}, False, False)
    return [rec["launcher"], *rec["opt"], "--", *[cmdline if a == launch.CMDLINE else a for a in rec["arg"]]]


def boot_times(image: Path, accel: str, runs: int) -> dict:
    values = [run_image(image, ["world"], accel=accel, timeout=30, boottime=True).boot_us for _ in range(runs)]
    return stats([v for v in values if v is not None])


def lifecycle(program: Path, image: Path, floor: Path, accel: str, out: Path, runs: int) -> dict:
    run_args = ["run", "--accel", accel, "-m", "64", str(image), "--", "world"]
    _once([sys.executable, "-m", "unicore", *run_args])  # writes the image's launch record
    samples = interleaved({
        "native": [*native_command(program), "world"],  # arm64: under qemu-aarch64
        "vmm_floor_trivial_pvh": qemu_command(floor, "", 64, accel, out / "ctl", arch=arch()),
        "qemu_with_image": qemu_direct(image, accel, out, ["world"]),
        "launcher_alone": launcher_alone(image, accel, ["world"]),
        "run_image_in_process": lambda: run_image(image, ["world"], accel=accel, timeout=30),
        "unicore_run_cli": [sys.executable, str(console_script(out)), *run_args],
        "unicore_run_python_m": [sys.executable, "-m", "unicore", *run_args],
        "python_startup": [sys.executable, "-c", "pass"],
    }, runs)
    return {name: stats(values) for name, values in samples.items()}


def spt_lifecycle(out: Path, runs: int) -> dict:
    """hello on the sandboxed-process platform (docs/spt.md): its tender alone (kernel and
    control fds on /dev/null) against `unicore run` of the same image as a process."""
    from unicore.pipeline import BuildRequest, build as pipeline_build
    from unicore.runner.spt import tender_path
    req = BuildRequest(path=ROOT / "examples" / "hello" / "hello.c", target="spt/x86_64", cflags=["-Os"],
                       output=out / "hello-spt.img", build_dir=out / "build-hello-spt")
    image = pipeline_build(req, warn=lambda _: None).image
    tender = str(tender_path())

    def alone() -> None:
        with open("/dev/null", "wb") as kernel, open("/dev/null", "wb") as control:
            subprocess.run([tender, "--mem", "64", "--kernel-fd", str(kernel.fileno()), "--control-fd",
                            str(control.fileno()), str(image), kernel_cmdline(["world"], {}, False, False)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           pass_fds=(kernel.fileno(), control.fileno()), timeout=60)
    cli = [sys.executable, str(console_script(out)), "run", "--timeout", "30", str(image), "--", "world"]
    samples = interleaved({"spt_tender_alone": alone, "unicore_run_spt_cli": cli}, runs)
    result = {name: stats(values) for name, values in samples.items()}
    result["ratio"] = round(result["unicore_run_spt_cli"]["median"] / result["spt_tender_alone"]["median"], 2)
    return result


def run_phases(image: Path, accel: str, runs: int) -> dict:
    """`unicore run --timings` as a process: the median of each phase (runner.run.PHASES), ms."""
    cmd = [sys.executable, "-m", "unicore", "run", "--accel", accel, "--timings", str(image), "--", "world"]
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        err = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60).stderr.decode()
        for line in err.splitlines():
            if line.startswith("unicore: timings: ") and not line.split()[2] == "total":
                name, value, _ = line.removeprefix("unicore: timings: ").rsplit(None, 2)
                samples.setdefault(name.strip(), []).append(float(value))
    return {name: round(statistics.median(values), 2) for name, values in samples.items()}


def bytecode(package: Path) -> None:
    """Compile unicore's modules once, as an installed package has them: under
    PYTHONDONTWRITEBYTECODE (set on this machine) an editable checkout never gets bytecode, and
    every `unicore run` would compile its modules again, timing the compiler instead of the run."""
    import compileall
    compileall.compile_dir(str(package), quiet=1)


def syscall_cost(accel: str, out: Path) -> str:
    _, image = build(HERE / "kernel" / "syscall_loop.c", HELLO_SYSCALLS + ["getpid"], out)
    return run_image(image, [], accel=accel, timeout=120).stdout.decode().strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "kernel")
    ap.add_argument("--accel", default="tcg", choices=["auto", "kvm", "tcg"])
    ap.add_argument("--target", default=TARGET, choices=["qemu/x86_64", "qemu/arm64"])
    opts = ap.parse_args(argv)
    globals()["TARGET"] = opts.target
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    accel, why = choose_accel(opts.accel, arch())
    program, image = build(ROOT / "examples" / "hello" / "hello.c", HELLO_SYSCALLS, out, ["-Os"])
    import unicore
    bytecode(Path(unicore.__file__).parent)
    results = {"accel": f"{accel} ({why})", "size": size_breakdown(image, out / "build-hello"),
               "boot_us": boot_times(image, accel, opts.runs),
               "lifecycle_ms": lifecycle(program, image, trivial_kernel(out), accel, out, opts.runs),
               "unicore_run_phases_ms": run_phases(image, accel, opts.runs),
               "spt_lifecycle_ms": spt_lifecycle(out, opts.runs) if arch() == "x86_64" else None,  # spt: x86_64 only
               "syscall_round_trip": syscall_cost(accel, out)}
    floor = results["lifecycle_ms"]["vmm_floor_trivial_pvh"]["median"]
    for key, value in results["lifecycle_ms"].items():
        value["vs_floor"] = round(value["median"] / floor, 2)
    same_qemu = results["lifecycle_ms"]["qemu_with_image"]["median"]
    for row in ("unicore_run_cli", "launcher_alone", "unicore_run_python_m"):
        results[f"{row}_vs_same_qemu"] = round(results["lifecycle_ms"][row]["median"] / same_qemu, 2)
    results["target"] = TARGET
    name = "kernel.json" if arch() == "x86_64" else f"kernel-{arch()}.json"  # the floor key keeps its name
    (out / name).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
