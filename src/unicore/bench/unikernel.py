"""The unikernel rows, plugged in through unicore's own `build` and `run` commands.

Two rows: SQLite built from source (examples/sqlite) and Debian's /usr/bin/sqlite3 binary
(`unicore build --binary`). Each builds once into the bench cache (the build is incremental) and
each launch calls the runner behind `unicore run` (unicore.runner.run_image) with the VM's
accelerator and the workload on standard input. When a command or the example is missing, or
the build fails, the row says so instead of disappearing.
"""

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import unicore
from unicore.paths import bench_cache
from unicore.bench.systems import Context, Launch, NotAvailable, RunFailed, System, last_line
from unicore.runner import run_image

SQLITE_BINARY = "/usr/bin/sqlite3"
MEMORY_MB = 64   # `unicore run`'s default


def unicore_cmd(*args: str) -> list[str]:
    """This very unicore, as a command (the same interpreter and package)."""
    return [sys.executable, "-m", "unicore", *args]


def source_checkout() -> Path | None:
    """The repository this package runs from, when it is a source checkout (examples/ lives there)."""
    root = Path(unicore.__file__).resolve().parents[2]
    return root if (root / "examples").is_dir() else None


def need_command(name: str, issue: str) -> None:
    if importlib.util.find_spec(f"unicore.commands.{name}") is None:
        raise NotAvailable(f"`unicore {name}` does not exist yet ({issue})")


class Unikernel(System):
    """A unikernel row: how to build the image is what differs between the two."""

    build_args: list[str] = []
    image_name = "sqlite.img"

    def __init__(self) -> None:
        self.image: Path | None = None

    def prepare(self, ctx: Context) -> None:
        need_command("run", "issue 3: library pool and unikernel base")
        need_command("build", "issue 3: library pool and unikernel base")
        home = (ctx.cache or bench_cache()) / self.key
        home.mkdir(parents=True, exist_ok=True)
        self.check_can_build(ctx, home)
        self.image = home / self.image_name
        self._build(home)

    def check_can_build(self, ctx: Context, home: Path) -> None:
        """Set `build_args`, or raise NotAvailable when this row's build input or option is missing."""

    def _build(self, home: Path) -> None:
        cmd = unicore_cmd("build", *self.build_args, "-o", str(self.image),
                          "--build-dir", str(home / "build"))
        with open(home / "build.log", "wb") as log:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=3600,
                                  cwd=source_checkout() or Path.cwd())
        if proc.returncode != 0 or not self.image.is_file():
            why = last_line((home / "build.log").read_bytes())
            shown = " ".join(Path(a).name if a.startswith(str(home)) else a for a in self.build_args)
            raise NotAvailable(f"`unicore build {shown}` failed: {why} (log: {home / 'build.log'})")

    def loaded_files(self) -> list[Path]:
        """The image and any file beside it that the VMM loads too (e.g. IMAGE.initrd)."""
        extras = [p for p in self.image.parent.glob(self.image.name + ".*")
                  if p.suffix not in (".json", ".log", ".map", ".txt")]
        return [self.image, *sorted(extras)]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.loaded_files())

    def launch(self, ctx: Context) -> Launch:
        """`unicore run`'s own code (run_image), timed around the call: QEMU start to teardown
        plus the runner's host-side work, without a Python interpreter's start-up."""
        start = time.perf_counter()
        result = run_image(self.image, [], mem_mb=MEMORY_MB, accel=ctx.accel, timeout=ctx.timeout,
                           stdin_bytes=ctx.workload.sql().encode())
        seconds = time.perf_counter() - start
        output = result.stdout.decode(errors="replace")
        if result.timed_out:
            raise RunFailed(f"the unikernel did not finish within {ctx.timeout:g} s; "
                            f"last console line: {last_line(output)}")
        if result.exit_status != 0:
            raise RunFailed(f"the unikernel exited with status {result.exit_status}: "
                            f"{last_line(output, result.qemu_stderr)}")
        return Launch(seconds, output)


class UnikernelSource(Unikernel):
    key = "unikernel-source"
    label = "Unikernel (SQLite from source)"
    note = "unicore build examples/sqlite; unicore run; size = image(s) QEMU loads"

    def check_can_build(self, ctx: Context, home: Path) -> None:
        root = source_checkout()
        if root is None or not (root / "examples" / "sqlite").is_dir():
            raise NotAvailable("examples/sqlite is not here (needs unicore's source checkout)")
        self.build_args = [str(root / "examples" / "sqlite")]


class UnikernelBinary(Unikernel):
    key = "unikernel-binary"
    label = "Unikernel (Debian sqlite3 binary)"
    note = "unicore build --binary /usr/bin/sqlite3; unicore run; size = image(s) QEMU loads"

    def check_can_build(self, ctx: Context, home: Path) -> None:
        help_text = subprocess.run(unicore_cmd("build", "--help"), capture_output=True,
                                   text=True, timeout=60).stdout
        if "--binary" not in help_text:
            raise NotAvailable("`unicore build --binary` does not exist yet (issue 5: existing "
                               "binaries as unikernels)")
        self.build_args = ["--binary", SQLITE_BINARY]
        if "--scenario" in help_text:  # let the dynamic analysis see the workload itself
            self.build_args += ["--scenario", str(write_scenario(ctx, home))]


def write_scenario(ctx: Context, home: Path) -> Path:
    """A scenario (docs/scenario.md) that runs sqlite3 on the bench's workload."""
    (home / "workload.sql").write_text(ctx.workload.sql())
    scenario = home / "workload.toml"
    scenario.write_text('schema = 1\nname = "bench-workload"\nstdin_file = "workload.sql"\n')
    return scenario
