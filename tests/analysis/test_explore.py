"""Stub/fake exploration (analysis.explore) on small programs whose answer is known."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

HERE = Path(__file__).parent / "explore"
SCHEMA = json.loads((Path(__file__).parents[2] / "src/unicore/schemas/report-v2.json").read_text())
pytestmark = pytest.mark.skipif(not shutil.which("musl-gcc") or not shutil.which("strace"),
                                reason="needs musl-gcc and strace")


def explored(tmp_path: Path, name: str) -> dict:
    exe = tmp_path / name
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(exe), str(HERE / f"{name}.c")], check=True)
    out = tmp_path / f"{name}.json"
    proc = subprocess.run([sys.executable, "-m", "unicore", "analyze", str(exe), "--explore", "--dynamic-only",
                           "--cache-dir", str(tmp_path / "cache"), "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)  # every explored report is a valid version 2 report
    return report


def test_ignored_sched_yield_can_be_faked(tmp_path):
    report = explored(tmp_path, "yield")
    entry = report["explore"]["syscalls"]["sched_yield"]
    assert entry["fake"]["passed"] and entry["class"] != "required"
    assert report["explore"]["syscalls"]["write"]["class"] == "required"
    assert report["version"] == 2 and "sched_yield" not in report["needs"]["syscalls"]


def test_write_is_required_with_evidence(tmp_path):
    entry = explored(tmp_path, "needs_write")["explore"]["syscalls"]["write"]
    assert entry["class"] == "required"
    assert entry["stub"]["failed"] == {"scenario": "default", "how": "exit status 1, expected 0"}


def test_getrandom_fallback_is_stubbable_and_its_fallback_calls_are_kept(tmp_path):
    report = explored(tmp_path, "random_fallback")
    assert report["explore"]["syscalls"]["getrandom"]["class"] == "stub"
    assert "getrandom" in report["needs"]["stub"]
    assert {"open", "read"} <= set(report["needs"]["syscalls"])  # reached only with getrandom stubbed


def test_checked_setsid_is_fake_not_stub(tmp_path):
    entry = explored(tmp_path, "checks_setsid")["explore"]["syscalls"]["setsid"]
    assert entry["class"] == "fake"
    assert entry["stub"]["failed"]["how"] == "exit status 3, expected 0"
