"""The unikernel rows, plugged in through the code behind `unicore build` and `unicore run`.

Three rows (and two more on plat spt, the same builds with --target spt/x86_64): SQLite built from source (examples/sqlite) and Debian's /usr/bin/sqlite3 binary
(`unicore build --binary`), each launched by the runner behind `unicore run`
(unicore.runner.run_image) in this process; and the source build launched by `unicore run` as a
process, as a user types it (interpreter start-up and imports included: like for like with the
container row, which is timed as a process too). Each image builds once into the bench cache
through the build pipeline (unicore.pipeline.build; the build is incremental), with the VM's
accelerator and the workload on standard input. When the example is missing or the build fails,
the row says so instead of disappearing.
"""

import sys
import time
from pathlib import Path

import unicore
from unicore.bench.systems import Context, Launch, NotAvailable, RunFailed, System, last_line, timed_run
from unicore.errors import UnicoreError
from unicore.paths import bench_cache
from unicore.pipeline import BuildRequest, build
from unicore.runner import run_image

SQLITE_BINARY = "/usr/bin/sqlite3"
MEMORY_MB = 64   # `unicore run`'s default


def source_checkout() -> Path | None:
    """The repository this package runs from, when it is a source checkout (examples/ lives there)."""
    root = Path(unicore.__file__).resolve().parents[2]
    return root if (root / "examples").is_dir() else None


class Unikernel(System):
    """A unikernel row: how to build the image is what differs between the two."""

    image_name = "sqlite.img"
    shown = ""   # the build, as the `unicore build` arguments a person would type
    build_key = ""  # the cache folder of the build, when another row's ("": this row's key)

    def __init__(self) -> None:
        self.image: Path | None = None

    def prepare(self, ctx: Context) -> None:
        home = (ctx.cache or bench_cache()) / (self.build_key or self.key)
        home.mkdir(parents=True, exist_ok=True)
        self.image = home / self.image_name
        req = self.request(ctx, home)
        req.output, req.build_dir = self.image, home / "build"
        with open(home / "build.log", "w") as log:
            try:
                build(req, progress=lambda m: print(m, file=log, flush=True), warn=lambda m: print(m, file=log))
            except UnicoreError as exc:
                print(exc, file=log)
                raise NotAvailable(f"`unicore build {self.shown}` failed: {last_line(str(exc))} "
                                   f"(log: {home / 'build.log'})") from None

    def request(self, ctx: Context, home: Path) -> BuildRequest:
        """This row's build, or NotAvailable when its build input is missing."""
        raise NotImplementedError

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

    def request(self, ctx: Context, home: Path) -> BuildRequest:
        root = source_checkout()
        if root is None or not (root / "examples" / "sqlite").is_dir():
            raise NotAvailable("examples/sqlite is not here (needs unicore's source checkout)")
        self.shown = "examples/sqlite"
        return BuildRequest(path=root / "examples" / "sqlite")


CONSOLE_SCRIPT = "import sys; from unicore.cli import main; sys.exit(main())"  # what pip's bin/unicore runs


class UnikernelSourceCLI(UnikernelSource):
    key = "unikernel-source-cli"
    label = "Unikernel (`unicore run` process)"
    note = ("the same image, launched as `unicore run -m 64 IMAGE` (a process, as users run it: the console "
            "script's `from unicore.cli import main`; after the first run, the C launcher from the launch record)")
    build_key = UnikernelSource.key

    def launch(self, ctx: Context) -> Launch:
        cmd = [sys.executable, "-c", CONSOLE_SCRIPT, "run", "--accel", ctx.accel, "-m", str(MEMORY_MB),
               "--timeout", f"{ctx.timeout:g}", str(self.image)]
        return timed_run(cmd, ctx.workload.sql(), ctx.timeout + 30, "`unicore run`")


class UnikernelBinary(Unikernel):
    key = "unikernel-binary"
    label = "Unikernel (Debian sqlite3 binary)"
    note = "unicore build --binary /usr/bin/sqlite3; unicore run; size = image(s) QEMU loads"

    def request(self, ctx: Context, home: Path) -> BuildRequest:
        if not Path(SQLITE_BINARY).is_file():
            raise NotAvailable(f"{SQLITE_BINARY} is not installed (Debian's sqlite3 package)")
        self.shown = f"--binary {SQLITE_BINARY} --scenario workload.toml"
        # the scenario lets the dynamic analysis see the workload itself
        return BuildRequest(binary=Path(SQLITE_BINARY), scenarios=[write_scenario(ctx, home)])


class _OnSpt:
    """The same build as the row it is mixed into, for the spt target (a sandboxed process)."""

    def request(self, ctx: Context, home: Path) -> BuildRequest:
        req = super().request(ctx, home)  # type: ignore[misc]
        self.shown += " --target spt/x86_64"
        req.target = "spt/x86_64"
        return req


class SptSource(_OnSpt, UnikernelSource):
    key = "spt-source"
    label = "Unikernel on spt (SQLite from source)"
    note = "unicore build examples/sqlite --target spt/x86_64; unicore run (a sandboxed process); size = the image"


class SptBinary(_OnSpt, UnikernelBinary):
    key = "spt-binary"
    label = "Unikernel on spt (Debian sqlite3 binary)"
    note = "unicore build --binary /usr/bin/sqlite3 --target spt/x86_64; unicore run (a sandboxed process); size = the image"


def write_scenario(ctx: Context, home: Path) -> Path:
    """A scenario (docs/scenario.md) that runs sqlite3 on the bench's workload."""
    (home / "workload.sql").write_text(ctx.workload.sql())
    scenario = home / "workload.toml"
    scenario.write_text('schema = 1\nname = "bench-workload"\nstdin_file = "workload.sql"\n')
    return scenario
