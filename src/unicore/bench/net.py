"""`unicore bench net`: servers as unikernels against the same servers natively, in a runc
container and in the seed's Debian VM, side by side in one run (docs/net.md, "Benchmark").

For every setting (netsettings.py) and server (netservers.py: Debian's nginx under wrk, Debian's
redis-server under redis-benchmark SET and GET) the server is started `runs` times: each start
times launch to first answered request; the last start is also loaded. Ratios of requests/s are
to the native process and to the Debian VM (like with like: same QEMU, machine type and
accelerator as the unikernel). Writes net.csv, net.md and three figures; a setting that cannot
run here keeps its rows with the reason.
"""

from __future__ import annotations

import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from unicore.bench.netservers import SERVERS, Load, Measure, Server
from unicore.bench.netsettings import SETTINGS, NetContext, Running, Setting, stop
from unicore.bench.systems import NotAvailable
from unicore.errors import BadInputError, UnicoreError
from unicore.runner.lifetime import forward_signals

FILES = ("net.csv", "net.md", "net-throughput.png", "net-p99.png", "net-first-reply.png")


@dataclass
class Row:
    """One setting x server x test."""

    setting: str
    label: str
    server: str
    test: str
    measure: Measure | None = None
    first_reply_s: list[float] = field(default_factory=list)
    reason: str = ""                # why there is no measure ("not available: ...", "failed: ...")
    to_native: float | None = None  # requests/s ratio to the native row of the same test
    to_vm: float | None = None      # ... and to the Debian VM's

    @property
    def key(self) -> str:
        return f"{self.setting}/{self.server}/{self.test}"


@dataclass
class NetResult:
    rows: list[Row]
    accel: str
    load: Load
    files: list[Path]
    notes: dict[str, str]           # setting key -> how it runs

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.reason.startswith("failed")]


def choose(known: list, keys: list[str] | None, what: str) -> list:
    """Entries of `known` (classes with a `key`) named by `keys`, in `known`'s order; all without keys."""
    names = [k.key for k in known]
    for key in keys or []:
        if key not in names:
            raise BadInputError(f"unknown {what} {key!r}; known: {', '.join(names)}")
    return [k() for k in known if not keys or k.key in keys]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_net(out: Path, runs: int = 3, load: Load | None = None, accel: str = "tcg",
            settings: list[str] | None = None, servers: list[str] | None = None,
            console: Console | None = None, start_timeout: float = 300) -> NetResult:
    """Measure every chosen setting x server and write FILES into `out`."""
    if runs < 1:
        raise BadInputError(f"--runs must be at least 1 (got {runs})")
    load = load or Load()
    chosen = choose(SETTINGS, settings, "setting")
    picked = choose(list(SERVERS.values()), servers, "server")
    for server in picked:
        server.check_tools()
    console = console or Console(stderr=True)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    with forward_signals(), tempfile.TemporaryDirectory(prefix="unicore-netbench-") as scratch:
        ctx = NetContext(Path(scratch), _accel(accel), load, console, start_timeout)
        for setting in chosen:
            rows += _measure_setting(setting, picked, ctx, runs)
    _add_ratios(rows)
    result = NetResult(rows, ctx.accel, load, [out / f for f in FILES], {s.key: s.note for s in chosen})
    _write(result, out)
    return result


def _accel(requested: str) -> str:
    from unicore.runner import choose_accel
    return choose_accel(requested)[0]


def _log(ctx: NetContext, msg: str) -> None:
    ctx.console.print(f"[dim]{msg}[/dim]", highlight=False)


def _tests(server: Server) -> list[str]:
    return ["GET /"] if server.key == "nginx" else ["SET", "GET"]


def _measure_setting(setting: Setting, servers: list[Server], ctx: NetContext, runs: int) -> list[Row]:
    try:
        _log(ctx, f"{setting.key}: preparing")
        setting.prepare(ctx, servers)
    except (NotAvailable, UnicoreError) as exc:
        return [Row(setting.key, setting.label, s.key, t, reason=f"not available: {exc}")
                for s in servers for t in _tests(s)]
    rows = []
    for server in servers:
        rows += _measure_server(setting, server, ctx, runs)
    return rows


def _measure_server(setting: Setting, server: Server, ctx: NetContext, runs: int) -> list[Row]:
    first: list[float] = []
    measures: list[Measure] = []
    reason = ""
    for i in range(runs):
        _log(ctx, f"{setting.key}: {server.key}, start {i + 1} of {runs}" + (", then load" if i == runs - 1 else ""))
        try:
            seconds, measures = _start_and_load(setting, server, ctx, load=i == runs - 1)
            first.append(seconds)
        except (RuntimeError, UnicoreError, OSError) as exc:
            reason = f"failed: {exc}"
            break
    by_test = {m.test: m for m in measures}
    return [Row(setting.key, setting.label, server.key, t, by_test.get(t), list(first),
                reason or ("" if t in by_test else f"failed: no {t} result"))
            for t in _tests(server)]


def _start_and_load(setting: Setting, server: Server, ctx: NetContext, load: bool) -> tuple[float, list[Measure]]:
    """Start the server, time it to its first answer, load it if asked, and always stop it."""
    port = free_port()
    start = time.monotonic()
    running = setting.start(server, port, ctx)
    try:
        _until_answered(server, running, ctx.start_timeout)
        seconds = time.monotonic() - start
        return seconds, server.load(port, ctx.load) if load else []
    finally:
        stop(running)


def _until_answered(server: Server, running: Running, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.answered(running.port):
        if running.proc.poll() is not None:
            raise RuntimeError(f"{server.label} ended (status {running.proc.returncode}) before answering: "
                               f"{_tail(running.log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.label} did not answer within {timeout:g} s: {_tail(running.log)}")
        time.sleep(0.01)


def _tail(log: Path) -> str:
    try:
        lines = [x.strip() for x in log.read_text(errors="replace").splitlines() if x.strip()]
    except OSError:
        return "no output"
    return lines[-1][:200] if lines else "no output"


def _add_ratios(rows: list[Row]) -> None:
    def rate(setting: str, row: Row) -> float | None:
        peer = next((r for r in rows if (r.setting, r.server, r.test) == (setting, row.server, row.test)), None)
        return peer.measure.requests_per_s if peer and peer.measure else None
    for row in rows:
        if row.measure:
            native, vm = rate("native", row), rate("debian-vm", row)
            row.to_native = row.measure.requests_per_s / native if native else None
            row.to_vm = row.measure.requests_per_s / vm if vm else None


def _write(result: NetResult, out: Path) -> None:
    from unicore.bench.netoutput import plot_all, write_csv, write_markdown
    write_csv(result, out / "net.csv")
    write_markdown(result, out / "net.md")
    plot_all(result, out)
