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
    """One bar per row (`spans`: (below, above) whiskers or None); save with the rows as metadata."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(rows)), 4.5))
    xs = list(range(len(rows)))
    err = None if spans is None else list(zip(*spans))
    ax.bar(xs, [v or 0 for v in values], yerr=err, capsize=4, color=[_colour(r) for r in rows])
    present = [v for v in values if v]
    log = bool(present) and max(present) / min(present) > LOG_SPREAD
    if log:
        ax.set_yscale("log")
    tops = [v + s[1] if v and spans else v for v, s in zip(values, spans or [None] * len(values))]
    if present:  # headroom for the labels above the highest bar
        ax.set_ylim(top=max(t for t in tops if t) * (3 if log else 1.15))
    _annotate(ax, values, tops, min(present) if present else 1)
    ax.set_xticks(xs, [r.label.replace(" (", "\n(") for r in rows], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata=figure_metadata(rows, title, values))
    plt.close(fig)


def _annotate(ax, values: list[float | None], tops: list[float | None], floor: float) -> None:
    """Each bar's value above it (above its whisker), or "n/a" where the system did not run."""
    for x, (value, top) in enumerate(zip(values, tops)):
        label, y = (_fmt(value), top) if value else ("n/a", floor)
        ax.annotate(label, (x, y), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 3), textcoords="offset points")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _colour(row: Row) -> str:
    return "tab:green" if row.key.startswith("unikernel") else "tab:blue"
