"""The net bench's servers and their load generators: Debian's nginx under `wrk` and Debian's
redis-server under `redis-benchmark` (GET and SET), with the parsers of both tools' reports.

A server says how it is started (its arguments on the host and in a guest), how to tell it has
answered its first request, and how to load it; the settings (netsettings.py) say where it runs.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from unicore.errors import ToolMissingError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NGINX_SRV = EXAMPLES / "nginx" / "rootfs" / "srv"   # nginx.conf and www/, as the example ships them
UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class Load:
    """How hard to load a server: wrk's duration and connections, redis-benchmark's -n and -c."""

    seconds: float = 10
    connections: int = 8
    requests: int = 20000     # redis-benchmark -n, per test
    timeout: float = 600      # seconds one load run may take


@dataclass
class Measure:
    """One load generator's result against one server."""

    test: str                 # "GET /" (wrk), "SET", "GET" (redis-benchmark)
    requests: int             # requests completed
    errors: int               # failed requests (socket errors, non-2xx answers)
    seconds: float            # the run's wall time as the tool measured it
    requests_per_s: float
    p99_ms: float
    p50_ms: float


class Server:
    key = ""
    label = ""
    binary = ""
    guest_port = 0
    tool = ""                 # the load generator on the host

    def check_tools(self) -> None:
        for tool in (self.binary, self.tool):
            if not shutil.which(tool):
                raise ToolMissingError(f"{tool} not found: run scripts/install-deps")

    def host_args(self, port: int, work: Path) -> list[str]:
        """The server's command line when it listens on the host's loopback `port`."""
        raise NotImplementedError

    def guest_args(self) -> list[str]:
        """Its arguments inside a guest (listening on every address, on guest_port)."""
        raise NotImplementedError

    def container_args(self, port: int, work: Path) -> tuple[list[str], list[tuple[Path, str]]]:
        """Its command line in a container sharing the host's network, and the host folders
        bound (read-only) into the container: (args, [(host folder, container path)])."""
        raise NotImplementedError

    def answered(self, port: int) -> bool:
        """Whether 127.0.0.1:port answers one request right now."""
        raise NotImplementedError

    def load(self, port: int, load: Load) -> list[Measure]:
        raise NotImplementedError


def _ask(port: int, request: bytes, want: bytes, timeout: float = 1.0) -> bool:
    """One request on a fresh connection; the reply starts with `want`. Short: a connection that
    QEMU's forward accepted before the guest listened may never be answered."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(request)
            return s.recv(len(want)) == want
    except OSError:
        return False


def _run_tool(cmd: list[str], timeout: float) -> str:
    """Run a load generator; it dies with the bench (parent-death signal), is killed on timeout."""
    from unicore.runner.lifetime import setpriv_prefix
    try:
        proc = subprocess.run([*setpriv_prefix(None), *cmd], capture_output=True, text=True, timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"`{' '.join(cmd)}` did not finish within {timeout:g} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` exited with status {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return proc.stdout


class Nginx(Server):
    key, label, binary, guest_port, tool = "nginx", "nginx", "/usr/sbin/nginx", 8080, "wrk"

    def host_args(self, port: int, work: Path) -> list[str]:
        return ["/usr/sbin/nginx", "-p", f"{nginx_prefix(work, port)}/", "-c", "nginx.conf"]

    def guest_args(self) -> list[str]:
        return ["-p", "/srv/", "-c", "nginx.conf"]

    def container_args(self, port: int, work: Path) -> tuple[list[str], list[tuple[Path, str]]]:
        return [self.binary, *self.guest_args()], [(nginx_prefix(work, port), "/srv")]

    def answered(self, port: int) -> bool:
        return _ask(port, b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.1 200")

    def load(self, port: int, load: Load) -> list[Measure]:
        out = _run_tool(["wrk", "-t1", f"-c{load.connections}", f"-d{load.seconds:g}s", "--latency",
                         "--timeout", "10s", f"http://127.0.0.1:{port}/"], load.timeout)
        return [parse_wrk(out)]


def nginx_prefix(work: Path, port: int) -> Path:
    """A copy of the example's srv/ whose nginx.conf listens on 127.0.0.1:port (host settings)."""
    prefix = work / f"nginx-srv-{port}"
    if not prefix.is_dir():
        shutil.copytree(NGINX_SRV, prefix)
        conf = prefix / "nginx.conf"
        conf.write_text(conf.read_text().replace(f"listen {Nginx.guest_port};", f"listen 127.0.0.1:{port};"))
    return prefix


def parse_wrk(out: str) -> Measure:
    """wrk --latency's report: requests, duration, rate, 99th percentile, errors."""
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", out, re.M)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s*99(?:\.000)?%\s+([\d.]+)(us|ms|s|m)", out, re.M)
    p50 = re.search(r"^\s*50(?:\.000)?%\s+([\d.]+)(us|ms|s|m)", out, re.M)
    if not (total and rate and p99 and p50):
        raise RuntimeError(f"wrk printed no result: {out.strip()[-300:]!r}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors += int(bad.group(1)) if bad else 0
    return Measure("GET /", int(total.group(1)), errors, float(total.group(2)) * UNIT_S[total.group(3)],
                   float(rate.group(1)), float(p99.group(1)) * UNIT_S[p99.group(2)] * 1e3,
                   float(p50.group(1)) * UNIT_S[p50.group(2)] * 1e3)


class Redis(Server):
    key, label, binary, guest_port, tool = "redis", "redis", "/usr/bin/redis-server", 6379, "redis-benchmark"
    COMMON = ["--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no"]

    def host_args(self, port: int, work: Path) -> list[str]:
        return ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(work),
                *self.COMMON]

    def guest_args(self) -> list[str]:
        return ["--port", str(self.guest_port), "--bind", "0.0.0.0", *self.COMMON]

    def container_args(self, port: int, work: Path) -> tuple[list[str], list[tuple[Path, str]]]:
        return [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", "/tmp", *self.COMMON], []

    def answered(self, port: int) -> bool:
        return _ask(port, b"PING\r\n", b"+PONG")

    def load(self, port: int, load: Load) -> list[Measure]:
        out = _run_tool(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set,get",
                         "-n", str(load.requests), "-c", str(load.connections)], load.timeout)
        return parse_redis_benchmark(out)


def parse_redis_benchmark(out: str) -> list[Measure]:
    """redis-benchmark's report, one Measure per test (its ====== NAME ====== sections)."""
    out = out.replace("\r", "\n")
    found = []
    for name, body in re.findall(r"====== (\S+) ======\n(.*?)(?======|\Z)", out, re.S):
        done = re.search(r"(\d+) requests completed in ([\d.]+) seconds", body)
        rate = re.search(r"throughput summary: ([\d.]+) requests per second", body)
        lat = re.search(r"avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)",
                        body)
        if not (done and rate and lat):
            raise RuntimeError(f"redis-benchmark printed no result for {name}: {body.strip()[-300:]!r}")
        found.append(Measure(name, int(done.group(1)), 0, float(done.group(2)), float(rate.group(1)),
                             float(lat.group(5)), float(lat.group(3))))
    if not found:
        raise RuntimeError(f"redis-benchmark printed no result: {out.strip()[-300:]!r}")
    return found


SERVERS = {"nginx": Nginx, "redis": Redis}
