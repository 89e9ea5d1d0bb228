"""The two figures, like the seed's: size per system (MB) and life cycle per system (ms).

One bar per system, in the rows' order; a system that did not run gets an empty slot marked
"n/a". The value axis turns logarithmic when the largest bar is more than 10x the smallest.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from unicore.bench.measure import Row  # noqa: E402
from unicore.bench.output import LOG_SPREAD, figure_metadata  # noqa: E402


def plot_size(rows: list[Row], path: Path) -> None:
    values = [r.size_bytes / 1e6 if r.size_bytes else None for r in rows]
    _bars(rows, values, None, "size (MB)", "Size of what each system ships", path)


def plot_lifecycle(rows: list[Row], path: Path) -> None:
    medians = [r.stat_ms("median") if r.available else None for r in rows]
    spans = [(m - r.stat_ms("min"), r.stat_ms("max") - m) if m is not None else (0, 0)
             for r, m in zip(rows, medians)]
    _bars(rows, medians, spans, "life cycle (ms), median with min-max",
          "Launch to teardown of the SQLite workload", path)


def _bars(rows: list[Row], values: list[float | None], spans, ylabel: str, title: str,
          path: Path) -> None:
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(rows)), 4.5))
    xs = range(len(rows))
    heights = [v or 0 for v in values]
    err = None if spans is None else list(zip(*spans))
    ax.bar(xs, heights, yerr=err, capsize=4, color=[_colour(r) for r in rows])
    present = [v for v in values if v]
    if present and max(present) / min(present) > LOG_SPREAD:
        ax.set_yscale("log")
    tops = [v + (s[1] if spans else 0) if v else None for v, s in zip(values, spans or values)]
    for x, v, top in zip(xs, values, tops):
        label, y = (f"{v:.3g}", top) if v else ("n/a", min(present) if present else 1)
        ax.annotate(label, (x, y), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 3), textcoords="offset points")
    ax.set_xticks(list(xs), [r.label.replace(" (", "\n(") for r in rows], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata=figure_metadata(rows, title, values))
    plt.close(fig)


def _colour(row: Row) -> str:
    return "tab:green" if row.key.startswith("unikernel") else "tab:blue"
