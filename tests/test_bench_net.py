"""`unicore bench net`: the report parsers on real tool output, a tiny end-to-end run on the native
setting (both servers, real wrk and redis-benchmark, every file written with real numbers), a
setting that cannot run keeping its rows with the reason, bad options as one line, no server left
behind when the bench is killed, and (slow) the unikernel setting end to end."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from unicore.bench import netsettings
from unicore.bench.net import FILES, run_net
from unicore.bench.netservers import Load, parse_redis_benchmark, parse_wrk
from unicore.bench.systems import NotAvailable

ROOT = Path(__file__).parent.parent
WRK = """Running 2s test @ http://127.0.0.1:18080/
  1 threads and 4 connections
  Latency Distribution
     50%  142.00us
     99%    5.76ms
  40058 requests in 2.00s, 10.16MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:  20003.33
"""


def test_wrk_report_is_parsed_with_units_and_errors():
    m = parse_wrk(WRK)
    assert (m.test, m.requests, m.errors, m.seconds, m.requests_per_s) == ("GET /", 40058, 9, 2.0, 20003.33)
    assert (m.p50_ms, m.p99_ms) == (pytest.approx(0.142), pytest.approx(5.76))
    assert parse_wrk(WRK.replace("5.76ms", "812.00us")).p99_ms == pytest.approx(0.812)
    with pytest.raises(RuntimeError, match="wrk printed no result"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_redis_benchmark_report_is_parsed_per_test():
    section = ("====== {name} ======\n  {n} requests completed in 0.05 seconds\n  4 parallel clients\n"
               "Summary:\n  throughput summary: {rps} requests per second\n  latency summary (msec):\n"
               "          avg       min       p50       p95       p99       max\n"
               "        0.068     0.032     0.063     0.095     {p99}     1.463\n")
    out = "SET: rps=0.0\r" + section.format(name="SET", n=2000, rps="39215.69", p99="0.159") + \
        section.format(name="GET", n=2000, rps="40000.00", p99="0.207")
    [s, g] = parse_redis_benchmark(out)
    assert (s.test, s.requests, s.requests_per_s, s.p50_ms, s.p99_ms) == ("SET", 2000, 39215.69, 0.063, 0.159)
    assert (g.test, g.requests, g.requests_per_s, g.p99_ms) == ("GET", 2000, 40000.0, 0.207)
    with pytest.raises(RuntimeError, match="no result"):
        parse_redis_benchmark("Could not connect to Redis at 127.0.0.1:1: Connection refused\n")


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    out = tmp_path_factory.mktemp("net")
    return out, run_net(out, runs=2, load=Load(seconds=1, connections=2, requests=300), settings=["native"])


def test_native_run_measures_both_servers(native):
    _, result = native
    rows = {(r.server, r.test): r for r in result.rows}
    assert list(rows) == [("nginx", "GET /"), ("redis", "SET"), ("redis", "GET")]
    for (server, test), row in rows.items():
        m = row.measure
        assert row.reason == "" and m is not None and m.errors == 0, row
        assert m.requests_per_s > 0 and 0 < m.p50_ms <= m.p99_ms and m.seconds > 0
        assert len(row.first_reply_s) == 2 and all(0 < s < 30 for s in row.first_reply_s)
        assert row.to_native == 1.0 and row.to_vm is None  # no VM row in this run
    assert [rows["redis", t].measure.requests for t in ("SET", "GET")] == [300, 300]
    wrk = rows["nginx", "GET /"].measure
    assert wrk.requests > 10 and wrk.seconds == pytest.approx(1, abs=0.5)
    assert wrk.requests_per_s == pytest.approx(wrk.requests / wrk.seconds, rel=0.05)


def test_native_run_writes_every_file(native):
    out, result = native
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    records = list(csv.DictReader(open(out / "net.csv")))
    assert [(r["setting"], r["server"], r["test"]) for r in records] == [
        ("native", "nginx", "GET /"), ("native", "redis", "SET"), ("native", "redis", "GET")]
    for record, row in zip(records, result.rows):
        assert int(record["requests"]) == row.measure.requests and float(record["requests_per_s"]) > 0
        assert record["starts"] == "2" and float(record["first_reply_median_s"]) > 0
    md = (out / "net.md").read_text()
    assert "| native process | redis | SET | 300 (0) |" in md and "292k" in md
    for png in FILES[2:]:
        image = Image.open(out / png)
        assert image.format == "PNG" and image.size[0] > 400
        values = json.loads(image.text["Description"])
        assert values and all(v["setting"] == "native" and v["value"] > 0 for v in values), values
    throughput = json.loads(Image.open(out / "net-throughput.png").text["Description"])
    assert [v["value"] for v in throughput] == [r.measure.requests_per_s for r in result.rows]


def test_a_setting_that_cannot_run_keeps_its_rows(tmp_path, monkeypatch):
    def refuse(self, ctx, servers):
        raise NotAvailable("runc is not installed (apt-get install runc)")
    monkeypatch.setattr(netsettings.Runc, "prepare", refuse)
    result = run_net(tmp_path, runs=1, load=Load(1, 1, 50), settings=["runc"], servers=["redis"])
    assert [(r.test, r.reason) for r in result.rows] == [
        ("SET", "not available: runc is not installed (apt-get install runc)"),
        ("GET", "not available: runc is not installed (apt-get install runc)")]
    assert not result.failed and "not available: runc is not installed" in (tmp_path / "net.md").read_text()
    values = json.loads(Image.open(tmp_path / "net-throughput.png").text["Description"])
    assert [v["value"] for v in values] == [None, None]


@pytest.mark.parametrize("args,message", [
    (["--settings", "docker"], "unknown setting 'docker'; known: unikernel, native, runc, debian-vm"),
    (["--servers", "apache"], "unknown server 'apache'; known: nginx, redis"),
    (["--runs", "0"], "--runs must be at least 1 (got 0)"),
    (["--seconds", "0"], "--seconds must be positive (got 0)"),
])
def test_bad_options_are_one_line(tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "unicore", "bench", "net", "--out", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [f"unicore: {message}"], proc.stderr


def _servers_of(scratch_marker: str) -> list[int]:
    """Pids of processes whose command line names the bench's scratch folder (its servers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and scratch_marker in cmd and "nginx" in cmd:
            pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_killed_bench_leaves_no_server(tmp_path, signum):
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the scratch folder (and so nginx's prefix) is in here
    bench = subprocess.Popen([sys.executable, "-m", "unicore", "bench", "net", "--settings", "native", "--servers",
                              "nginx", "--seconds", "60", "--runs", "1", "--out", str(tmp_path / "out")],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _servers_of(str(tmp_path)):
            assert bench.poll() is None and time.monotonic() < deadline, "the bench never started nginx"
            time.sleep(0.1)
        time.sleep(1)  # under load now
        bench.send_signal(signum)
        stderr = bench.communicate(timeout=30)[1].decode()
        if signum == signal.SIGTERM:
            assert bench.returncode == 128 + signum and "Traceback" not in stderr
            assert stderr.splitlines()[-1] == "unicore: stopped by SIGTERM: bench stopped, its servers stopped (exit 143)"
        else:
            assert bench.returncode == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while _servers_of(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _servers_of(str(tmp_path)) == []
        if signum == signal.SIGTERM:  # it cleaned up its scratch folder too
            assert [p.name for p in tmp_path.iterdir() if p.name.startswith("unicore-netbench-")] == []
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.wait()


@pytest.mark.slow
def test_unikernel_setting_end_to_end(tmp_path):
    result = run_net(tmp_path, runs=1, load=Load(seconds=2, connections=2, requests=200), settings=["unikernel"])
    for row in result.rows:
        m = row.measure
        assert m is not None and m.errors == 0 and m.requests_per_s > 0 and m.p99_ms > 0, row
        assert len(row.first_reply_s) == 1 and row.first_reply_s[0] > 0
    assert [r.measure.requests for r in result.rows if r.server == "redis"] == [200, 200]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runc") or not shutil.which("debootstrap"),
                    reason="runc and building the Debian root need root, runc and debootstrap")
def test_runc_and_debian_vm_settings_end_to_end(tmp_path):
    result = run_net(tmp_path, runs=1, load=Load(seconds=2, connections=2, requests=200),
                     settings=["runc", "debian-vm"])
    assert [(r.setting, r.test) for r in result.rows] == [
        ("runc", "GET /"), ("runc", "SET"), ("runc", "GET"),
        ("debian-vm", "GET /"), ("debian-vm", "SET"), ("debian-vm", "GET")]
    for row in result.rows:
        m = row.measure
        assert m is not None and m.errors == 0 and m.requests_per_s > 0 and m.p99_ms > 0, row
        if row.setting == "debian-vm":
            assert row.to_vm == 1.0
        else:  # the host's kernel in a container against a Linux guest under TCG
            assert row.to_vm > 1
    assert [r.measure.requests for r in result.rows if r.server == "redis"] == [200] * 4
