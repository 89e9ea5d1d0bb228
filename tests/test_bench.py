"""`unicore bench seed`, fast parts: the workload and its expected result, output parsing, the
native-only run writing all four files, and bad options as one clear line."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from unicore.bench.debian import host_mirror
from unicore.bench.seed import SYSTEMS, run_seed
from unicore.bench.systems import RunFailed
from unicore.bench.vm import BEGIN, END, guest_output
from unicore.bench.workload import Workload, result_line
from unicore.errors import BadInputError


def test_expected_result_is_what_sqlite3_prints():
    workload = Workload(321)
    out = subprocess.run(["sqlite3"], input=workload.sql(), capture_output=True, text=True,
                         check=True).stdout
    assert out == workload.expected() + "\n"
    assert workload.expected() == "321|1606680|item-000001|item-000321|162"


def test_workload_needs_a_row():
    with pytest.raises(BadInputError, match="at least one row"):
        Workload(0)


def test_result_is_the_last_printed_line():
    assert result_line("-- warning: no ~/.sqliterc\r\n5|6\r\n\r\n") == "5|6"


def test_vm_console_is_cut_between_the_markers():
    console = f"[ 0.1] boot\r\n{BEGIN}\r\n3|4\r\n{END} 0\r\n[ 3.6] reboot: Power down\r\n"
    assert guest_output(console) == "3|4"
    with pytest.raises(RunFailed, match="status 1"):
        guest_output(f"{BEGIN}\nError: near line 1\n{END} 1\n")
    with pytest.raises(RunFailed, match="last console line: Kernel panic"):
        guest_output("Kernel panic - not syncing\n")


def test_mirror_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("UNICORE_DEBIAN_MIRROR", "http://mirror.example/debian")
    assert host_mirror() == "http://mirror.example/debian"


def test_native_only_run_writes_every_file(tmp_path):
    result = run_seed(tmp_path, runs=2, rows=20, keys=["native"])
    [row] = result.rows
    assert row.available and row.result_ok and len(row.seconds) == 2
    assert row.result == "20|101898|item-000001|item-000020|10"
    assert result.baseline == "native" and row.lifecycle_ratio == 1.0
    records = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert [r["system"] for r in records] == ["native"] and records[0]["runs"] == "2"
    assert "| Native process |" in (tmp_path / "results.md").read_text()
    for png in ("size.png", "lifecycle.png"):
        rows = json.loads(Image.open(tmp_path / png).text["Description"])
        assert [r["system"] for r in rows] == ["native"] and rows[0]["value"] > 0


def test_every_system_is_known_by_key():
    assert [make().key for make in SYSTEMS] == [
        "debian-vm", "container", "unikernel-source", "unikernel-source-cli", "unikernel-binary",
        "spt-source", "spt-binary", "native"]


@pytest.mark.parametrize("args,message", [
    (["--systems", "docker"], "unknown system 'docker'"),
    (["--runs", "0"], "--runs must be at least 1"),
    (["--rows", "0"], "at least one row"),
])
def test_bad_options_are_one_line(tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "unicore", "bench", "seed", "--out",
                           str(tmp_path), *args], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"unicore: {proc.stderr.split('unicore: ')[1].strip()}"]
    assert message in proc.stderr


def _measure(program: str, work: Path, runs: int = 1):
    from unicore.bench.measure import measure
    from unicore.bench.native import Native
    from unicore.bench.systems import Context
    ctx = Context(Workload(5), work, "tcg")
    return measure(Native(program), ctx, runs)


def test_a_system_that_fails_says_why(tmp_path):
    row = _measure("/bin/false", tmp_path)
    assert not row.available and row.reason == "sqlite3 exited with status 1: no output"
    assert _measure("/nonexistent/sqlite3", tmp_path).reason.startswith("/nonexistent/sqlite3 is not installed")


def test_a_wrong_result_is_flagged_and_never_the_baseline(tmp_path):
    from unicore.bench.measure import add_ratios
    row = _measure("/bin/cat", tmp_path, runs=2)  # prints the SQL back instead of the query's result
    assert row.available and row.result_ok is False
    assert row.result == "SELECT count(*), sum(value), min(name), max(name), sum(value % 2) FROM kv;"
    assert add_ratios([row]) is None and row.lifecycle_ratio is None


def test_cli_prints_the_table_and_names_the_files(tmp_path):
    proc = subprocess.run([sys.executable, "benchmarks/seed.py", "--systems", "native", "--runs", "1",
                           "--rows", "3", "--out", str(tmp_path)], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert "Native process" in proc.stdout and "│ ok" in proc.stdout
    assert f"{tmp_path}/results.csv" in proc.stderr.replace("\n", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lifecycle.png", "results.csv", "results.md", "size.png"]


def test_cache_is_used_only_when_complete_and_current(tmp_path):
    from unicore.bench.debian import RECIPE, load_debian_root
    assert load_debian_root(tmp_path) is None  # nothing built
    (tmp_path / "rootfs").mkdir()
    (tmp_path / "rootfs.cpio").write_bytes(b"07070")
    (tmp_path / "vmlinuz").write_bytes(b"MZ")
    meta = {"recipe": RECIPE, "kernel_version": "6.1.0-50-amd64", "rootfs_bytes": 5}
    (tmp_path / "meta.json").write_text(json.dumps({**meta, "recipe": RECIPE - 1}))
    assert load_debian_root(tmp_path) is None  # built by an older recipe
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    root = load_debian_root(tmp_path)
    assert root.kernel == tmp_path / "vmlinuz" and root.kernel_version == "6.1.0-50-amd64"
    (tmp_path / "vmlinuz").unlink()
    assert load_debian_root(tmp_path) is None  # partial
