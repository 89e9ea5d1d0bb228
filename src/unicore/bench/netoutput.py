"""`unicore bench net`'s files: net.csv, net.md and three figures (requests/s, p99 latency, start
to first answer), grouped bars per test with one bar per setting, like the seed's figures: a
setting that did not run gets an "n/a" slot, the value axis turns logarithmic past a 10x spread,
and each PNG carries its values as JSON in its `Description` text chunk.
"""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

from unicore.bench.output import LOG_SPREAD

FIELDS = ["setting", "server", "test", "requests", "errors", "seconds", "requests_per_s", "p50_ms", "p99_ms",
          "ratio_to_native", "ratio_to_vm", "first_reply_median_s", "first_reply_min_s", "first_reply_max_s",
          "starts", "accel", "reason"]
ANCHORS = ("Unikraft's own figures (hardware KVM, not this machine): nginx 292k req/s as a unikernel vs "
           "176k native (1.66x); redis GET 2.68M vs 2.44M native (1.10x).")


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _first(row, how) -> float | None:
    return how(row.first_reply_s) if row.first_reply_s else None


def write_csv(result, path: Path) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        for r in result.rows:
            m = r.measure
            writer.writerow({
                "setting": r.setting, "server": r.server, "test": r.test,
                "requests": m.requests if m else "", "errors": m.errors if m else "",
                "seconds": _num(m and m.seconds), "requests_per_s": _num(m and m.requests_per_s, 1),
                "p50_ms": _num(m and m.p50_ms), "p99_ms": _num(m and m.p99_ms), "ratio_to_native": _num(r.to_native),
                "ratio_to_vm": _num(r.to_vm), "first_reply_median_s": _num(_first(r, statistics.median)),
                "first_reply_min_s": _num(_first(r, min)), "first_reply_max_s": _num(_first(r, max)),
                "starts": len(r.first_reply_s), "accel": result.accel, "reason": r.reason})


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}x"


def write_markdown(result, path: Path) -> None:
    load = result.load
    lines = [f"# `unicore bench net`: nginx (wrk -t1 -c{load.connections} -d{load.seconds:g}s) and redis-server "
             f"(redis-benchmark -t set,get -n {load.requests} -c {load.connections}); every VM on {result.accel}",
             "", "| setting | server | test | requests (errors) | req/s | p50 / p99 ms | vs native | vs Debian VM | "
             "start to first answer, median (min-max) s |", "|---|---|---|---|---|---|---|---|---|"]
    for r in result.rows:
        m = r.measure
        first = (f"{_num(_first(r, statistics.median))} ({_num(_first(r, min))}-{_num(_first(r, max))})"
                 if r.first_reply_s else "")
        if m:
            cells = [f"{m.requests} ({m.errors})", f"{m.requests_per_s:,.0f}", f"{_num(m.p50_ms, 2)} / {_num(m.p99_ms, 2)}",
                     _ratio(r.to_native), _ratio(r.to_vm), first]
        else:
            cells = [r.reason.replace("|", "\\|"), "", "", "", "", first]
        lines.append(f"| {r.label} | {r.server} | {r.test} | " + " | ".join(cells) + " |")
    lines += ["", *[f"- **{key}**: {note}" for key, note in result.notes.items()], "", ANCHORS, ""]
    path.write_text("\n".join(lines))


def plot_all(result, out: Path) -> None:
    _grouped(result, lambda r: r.measure.requests_per_s if r.measure else None, "requests/s",
             "Requests per second (higher is better)", out / "net-throughput.png")
    _grouped(result, lambda r: r.measure.p99_ms if r.measure else None, "p99 latency (ms)",
             "99th-percentile latency (lower is better)", out / "net-p99.png")
    firsts = [r for r in result.rows if r.test in ("GET /", "SET")]   # one per server and setting
    _grouped(result, lambda r: _first(r, statistics.median), "seconds, median",
             "Start to first answered request", out / "net-first-reply.png", firsts, lambda r: r.server)


def _grouped(result, value, ylabel: str, title: str, path: Path, rows=None, group=None) -> None:
    """One group of bars per test (or per `group`), one bar per setting; saved with its values."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = rows if rows is not None else result.rows
    group = group or (lambda r: f"{r.server} {r.test}")
    groups = list(dict.fromkeys(group(r) for r in rows))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(groups) * len(set(r.setting for r in rows))), 4.5))
    present = [v for v in map(value, rows) if v]
    _bars(ax, rows, groups, group, value, min(present) if present else 1)
    if present and max(present) / min(present) > LOG_SPREAD:
        ax.set_yscale("log")
        ax.set_ylim(top=max(present) * 4)
    elif present:
        ax.set_ylim(top=max(present) * 1.2)
    ax.set_xticks(range(len(groups)), groups)
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    meta = [{"setting": r.setting, "server": r.server, "test": r.test, "value": value(r), "reason": r.reason}
            for r in rows]
    fig.savefig(path, dpi=110, metadata={"Title": title, "Software": "unicore bench net",
                                         "Description": json.dumps(meta)})
    plt.close(fig)


def _bars(ax, rows, groups: list[str], group, value, floor: float) -> None:
    """Each setting's bars across the groups, labelled with their values ("n/a" where missing)."""
    settings = list(dict.fromkeys(r.setting for r in rows))
    width = 0.8 / len(settings)
    for i, setting in enumerate(settings):
        mine = {group(r): r for r in rows if r.setting == setting}
        xs = [g + (i - (len(settings) - 1) / 2) * width for g in range(len(groups))]
        ys = [value(mine[name]) if name in mine else None for name in groups]
        ax.bar(xs, [y or 0 for y in ys], width, label=next(iter(mine.values())).label)
        for x, y in zip(xs, ys):
            ax.annotate(_fmt(y) if y else "n/a", (x, y or floor), ha="center", va="bottom", fontsize=7,
                        xytext=(0, 2), textcoords="offset points")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
