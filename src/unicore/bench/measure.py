"""Measuring: prepare a system, launch the workload N times, check its result, summarise.

A row is kept for every system: measured, or "not available" with the reason. A system whose
result differs from the expected one keeps its times but is flagged (and never used as baseline).
"""

import statistics
import subprocess
from dataclasses import dataclass, field

from unicore.bench.systems import Context, NotAvailable, RunFailed, System
from unicore.errors import UnicoreError

BASELINE_ORDER = ("unikernel-source", "unikernel-binary", "native")  # ratios are to the first here


@dataclass
class Row:
    """One system's line in the results."""

    key: str
    label: str
    note: str = ""
    reason: str = ""                       # why it is not available (empty when it ran)
    size_bytes: int | None = None
    seconds: list[float] = field(default_factory=list)
    result: str = ""                       # the query's result line (from the last run)
    result_ok: bool | None = None          # equal to the expected result?
    size_ratio: float | None = None
    lifecycle_ratio: float | None = None

    @property
    def available(self) -> bool:
        return not self.reason

    def stat_ms(self, which: str) -> float | None:
        """min, median or max of the life cycle, in milliseconds."""
        if not self.seconds:
            return None
        fn = {"min": min, "median": statistics.median, "max": max}[which]
        return fn(self.seconds) * 1000


def measure(system: System, ctx: Context, runs: int, log=lambda msg: None) -> Row:
    """Prepare `system` and launch it `runs` times; every failure becomes the row's reason."""
    row = Row(system.key, system.label, system.note)
    try:
        log(f"preparing {system.label}")
        system.prepare(ctx)
        row.note, row.size_bytes = system.note, system.size_bytes()  # prepare may refine the note
        for i in range(runs):
            launch = system.launch(ctx)
            log(f"{system.label}: run {i + 1}/{runs}: {launch.seconds * 1000:.1f} ms")
            row.seconds.append(launch.seconds)
            _check(row, system.result(launch.output), ctx.workload.expected())
    except (NotAvailable, RunFailed) as exc:
        row.reason, row.seconds = str(exc), []
    except (UnicoreError, OSError, subprocess.SubprocessError) as exc:
        # any other failure of one system (a plug-in's own error, a tool that broke) stays in its
        # row: the other systems are still measured
        row.reason, row.seconds = f"failed: {exc}", []
    return row


def _check(row: Row, result: str, expected: str) -> None:
    """Record the result; a run that disagrees with any earlier one (or the expected) flags the row."""
    ok = result == expected and (row.result_ok is not False)
    if row.result_ok is None or not ok:
        row.result = result
    row.result_ok = ok


def add_ratios(rows: list[Row]) -> Row | None:
    """Set each row's ratios to the baseline row (a unikernel, else native); return the baseline."""
    by_key = {r.key: r for r in rows if r.available and r.result_ok}
    base = next((by_key[k] for k in BASELINE_ORDER if k in by_key), None)
    if base is None:
        return None
    for row in rows:
        if row.available and row.seconds:
            row.lifecycle_ratio = row.stat_ms("median") / base.stat_ms("median")
        if row.size_bytes and base.size_bytes:
            row.size_ratio = row.size_bytes / base.size_bytes
    return base
