"""The results as files and as a table: results.csv, results.md, size.png, lifecycle.png.

Every system has a row everywhere, including the ones that could not run (with the reason). The
PNGs carry the row list in their metadata ("Description"), so a test can check them without OCR.
"""

import csv
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from unicore.bench.measure import Row

CSV_FIELDS = ["system", "label", "available", "reason", "size_bytes", "size_mb", "runs",
              "lifecycle_min_ms", "lifecycle_median_ms", "lifecycle_max_ms", "size_ratio",
              "lifecycle_ratio", "baseline", "accel", "result", "result_ok", "note"]
LOG_SPREAD = 10  # a figure switches to a log scale when its largest value is this many times the smallest


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def csv_record(row: Row, baseline: str, accel: str) -> dict[str, str]:
    size_mb = None if row.size_bytes is None else row.size_bytes / 1e6
    return {"system": row.key, "label": row.label, "available": str(row.available).lower(),
            "reason": row.reason, "size_bytes": "" if row.size_bytes is None else str(row.size_bytes),
            "size_mb": _num(size_mb), "runs": str(len(row.seconds)),
            "lifecycle_min_ms": _num(row.stat_ms("min")),
            "lifecycle_median_ms": _num(row.stat_ms("median")),
            "lifecycle_max_ms": _num(row.stat_ms("max")), "size_ratio": _num(row.size_ratio),
            "lifecycle_ratio": _num(row.lifecycle_ratio), "baseline": baseline, "accel": accel,
            "result": row.result, "result_ok": "" if row.result_ok is None else str(row.result_ok).lower(),
            "note": row.note}


def write_csv(rows: list[Row], path: Path, baseline: str, accel: str) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(csv_record(r, baseline, accel) for r in rows)


def _cells(row: Row) -> list[str]:
    """The table's cells for one row (shared by Markdown and the terminal table)."""
    size = "-" if row.size_bytes is None else _num(row.size_bytes / 1e6, 2)
    if not row.available:  # a built image still has a size, even when it could not run
        return [row.label, size, "-", _ratio(row.size_ratio), "-", "0", "not available: " + row.reason]
    ms = [_num(row.stat_ms(w), 1) for w in ("min", "median", "max")]
    result = "ok" if row.result_ok else f"MISMATCH: {row.result!r}"
    return [row.label, size, " / ".join(ms), _ratio(row.size_ratio),
            _ratio(row.lifecycle_ratio), str(len(row.seconds)), result]


def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}x" if value >= 100 else f"{value:.3g}x"


HEADERS = ["system", "size (MB)", "life cycle min / median / max (ms)", "size ratio",
           "life-cycle ratio", "runs", "result"]


def markdown(rows: list[Row], baseline: str, accel: str, expected: str) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |" for r in rows]
    lines += ["", f"Ratios are to **{baseline or 'nothing (no baseline ran)'}**; "
              f"accelerator for every VM: **{accel}**; expected result `{expected}`.", ""]
    lines += [f"- **{r.label}**: {r.note}" for r in rows]
    return "\n".join(lines) + "\n"


def print_table(rows: list[Row], baseline: str, accel: str, console: Console) -> None:
    table = Table(title=f"SQLite workload, ratios to {baseline or '-'} (accel {accel})")
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*_cells(row), style=None if row.available and row.result_ok else "red")
    console.print(table)


def figure_metadata(rows: list[Row], what: str, values: list[float | None]) -> dict[str, str]:
    """PNG text chunks: the figure's title and its rows (system, value or reason) as JSON."""
    return {"Title": what, "Software": "unicore bench seed", "Description": json.dumps([
        {"system": r.key, "label": r.label, "value": v, "reason": r.reason}
        for r, v in zip(rows, values)])}
