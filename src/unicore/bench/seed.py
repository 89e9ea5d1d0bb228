"""`unicore bench seed`: the seed's comparison, measured on this machine in one run.

Systems, in the seed's order: a Debian VM, a container, the two unikernels, and the native process
as the floor. Each is a `systems.System`; adding a row means adding an entry to SYSTEMS.
"""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from unicore.runner import choose_accel
from unicore.bench.container import Container
from unicore.bench.measure import Row, add_ratios, measure
from unicore.bench.native import Native
from unicore.bench.output import markdown, print_table, write_csv
from unicore.bench.systems import Context, System
from unicore.bench.unikernel import SptBinary, SptSource, UnikernelBinary, UnikernelSource, UnikernelSourceCLI
from unicore.bench.vm import DebianVM
from unicore.bench.workload import Workload
from unicore.errors import BadInputError

SYSTEMS: list[Callable[[], System]] = [DebianVM, Container, UnikernelSource, UnikernelSourceCLI,
                                       UnikernelBinary, SptSource, SptBinary, Native]
FILES = ("results.csv", "results.md", "size.png", "lifecycle.png")


@dataclass
class SeedResult:
    rows: list[Row]
    baseline: str          # key of the row the ratios are to ("" when nothing could serve)
    accel: str
    workload: Workload
    files: list[Path]

    @property
    def mismatches(self) -> list[Row]:
        return [r for r in self.rows if r.available and not r.result_ok]


def choose(keys: list[str] | None) -> list[System]:
    """The systems to measure: all of them, or those whose keys are given (in SYSTEMS' order)."""
    systems = [make() for make in SYSTEMS]
    if not keys:
        return systems
    known = {s.key for s in systems}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise BadInputError(f"unknown system {unknown[0]!r}; known: {', '.join(sorted(known))}")
    return [s for s in systems if s.key in keys]


def run_seed(out: Path, runs: int = 5, rows: int = 1000, accel: str = "auto",
             keys: list[str] | None = None, console: Console | None = None,
             timeout: float = 300) -> SeedResult:
    """Measure every chosen system and write the four result files into `out`."""
    if runs < 1:
        raise BadInputError(f"--runs must be at least 1 (got {runs})")
    console = console or Console(stderr=True)
    workload, chosen = Workload(rows), choose(keys)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="unicore-bench-") as scratch:
        chosen_accel, why = choose_accel(accel)
        console.print(f"[dim]accelerator for every VM: {chosen_accel} ({why})[/dim]")
        ctx = Context(workload, Path(scratch), chosen_accel, console, timeout=timeout)
        # plain log lines, not a live status: the Debian build shows its own live progress
        log = lambda msg: console.print(f"[dim]{msg}[/dim]", highlight=False)  # noqa: E731
        results = [measure(s, ctx, runs, log=log) for s in chosen]
    base = add_ratios(results)
    result = SeedResult(results, base.key if base else "", ctx.accel, workload,
                        [out / name for name in FILES])
    _write(result, out)
    return result


def _write(result: SeedResult, out: Path) -> None:
    from unicore.bench.plot import plot_lifecycle, plot_size  # matplotlib: only once there is data
    baseline, accel = result.baseline, result.accel
    write_csv(result.rows, out / "results.csv", baseline, accel)
    (out / "results.md").write_text(markdown(result.rows, baseline, accel,
                                             result.workload.expected()))
    plot_size(result.rows, out / "size.png")
    plot_lifecycle(result.rows, out / "lifecycle.png")


def show(result: SeedResult, console: Console) -> None:
    print_table(result.rows, result.baseline, result.accel, console)
