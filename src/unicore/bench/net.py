"""`unicore bench net`: a web server as a unikernel against the same server natively
(docs/net.md): requests per second and 99th-percentile latency under ApacheBench (`ab`, Debian
apache2-utils), and the time from `unicore run` to the first answered HTTP request.

The server is Debian's `python3 -m http.server` (examples/http-server), built with
`unicore build --binary` through the pipeline. nginx and redis-benchmark rows are "not measured" until they
are added; runc and the Debian VM rows are not measured yet: the
results say so instead of leaving them out.
"""

from __future__ import annotations

import csv
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from unicore.errors import ToolMissingError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "http-server"
GUEST_PORT = 8000
FIELDS = ["system", "requests_per_s", "p99_ms", "first_reply_median_s", "runs", "note"]


@dataclass
class Row:
    system: str
    requests_per_s: float | None = None
    p99_ms: float | None = None
    first_reply_s: list[float] | None = None
    note: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answered(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def _until_answered(port: int, timeout: float) -> float:
    start = time.monotonic()
    while not _answered(port):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"no HTTP answer on port {port} within {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - start


def _ab(port: int, requests: int, concurrency: int) -> tuple[float, float]:
    out = subprocess.run(["ab", "-q", "-n", str(requests), "-c", str(concurrency),
                          f"http://127.0.0.1:{port}/index.html"], capture_output=True, text=True, timeout=600).stdout
    rps = re.search(r"Requests per second:\s+([\d.]+)", out)
    p99 = re.search(r"^\s*99%\s+(\d+)", out, re.M)
    if not rps or not p99:
        raise RuntimeError(f"ab gave no result: {out[-500:]}")
    return float(rps.group(1)), float(p99.group(1))


def _serve(cmd: list[str], port: int, requests: int, concurrency: int, runs: int, cwd: Path) -> Row:
    """Start the server `runs` times: time to the first answer each time, ab on the last."""
    row = Row("", first_reply_s=[])
    for i in range(runs):
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            _until_answered(port, 300)
            row.first_reply_s.append(time.monotonic() - start)
            if i == runs - 1:
                row.requests_per_s, row.p99_ms = _ab(port, requests, concurrency)
        finally:
            proc.terminate()
            proc.wait(30)
    return row


def _image(work: Path) -> Path:
    from unicore.pipeline import BuildRequest, build
    req = BuildRequest(binary=Path("/usr/bin/python3"), scenarios=[EXAMPLE / "http.toml"],
                       rootfs_tree=EXAMPLE / "rootfs", output=work / "http.img", build_dir=work / "http")
    return build(req, warn=lambda _: None).image


def run_net(out: Path, runs: int = 3, requests: int = 500, concurrency: int = 4, accel: str = "tcg") -> list[Row]:
    if not shutil.which("ab"):
        raise ToolMissingError("ab not found: install apache2-utils (scripts/install-deps)")
    out.mkdir(parents=True, exist_ok=True)
    image = _image(out / "work")
    native_port, host_port = free_port(), free_port()
    native = _serve(["/usr/bin/python3", "-m", "http.server", "-b", "127.0.0.1", "-d", "rootfs/www",
                     str(native_port)], native_port, requests, concurrency, runs, EXAMPLE)
    native.system = "native process"
    uni = _serve([sys.executable, "-m", "unicore", "run", str(image), "--accel", accel, "-p",
                  f"{host_port}:{GUEST_PORT}", "--", "-m", "http.server", "-b", "0.0.0.0", "-d", "/www",
                  str(GUEST_PORT)], host_port, requests, concurrency, runs, EXAMPLE)
    uni.system, uni.note = "unikernel (unicore run)", f"QEMU {accel}, user network, -p forward"
    rows = [native, uni, Row("runc container", note="not measured yet"),
            Row("Debian VM", note="not measured yet"),
            Row("nginx, redis-benchmark", note="not measured yet")]
    _write(rows, out, requests, concurrency)
    return rows


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:.3f}"


def _write(rows: list[Row], out: Path, requests: int, concurrency: int) -> None:
    with open(out / "net.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, FIELDS)
        w.writeheader()
        for r in rows:
            med = statistics.median(r.first_reply_s) if r.first_reply_s else None
            w.writerow({"system": r.system, "requests_per_s": _fmt(r.requests_per_s), "p99_ms": _fmt(r.p99_ms),
                        "first_reply_median_s": _fmt(med), "runs": len(r.first_reply_s or []), "note": r.note})
    lines = [f"# python3 -m http.server: ab -n {requests} -c {concurrency}, GET /index.html", "",
             "| system | req/s | p99 ms | start to first reply (median s) | note |", "|---|---|---|---|---|"]
    for r in rows:
        med = statistics.median(r.first_reply_s) if r.first_reply_s else None
        lines.append(f"| {r.system} | {_fmt(r.requests_per_s)} | {_fmt(r.p99_ms)} | {_fmt(med)} | {r.note} |")
    (out / "net.md").write_text("\n".join(lines) + "\n")
