"""`unicore analyze` end to end: Debian's sqlite3 with its example scenario."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).parents[1]
SCHEMA = json.loads((ROOT / "src/unicore/schemas/report-v1.json").read_text())


def test_sqlite3_report_is_valid_sound_and_tight(tmp_path):
    out = tmp_path / "sqlite3.json"
    proc = subprocess.run([sys.executable, "-m", "unicore", "analyze", "/usr/bin/sqlite3",
                           "--scenario", str(ROOT / "examples/scenarios/sqlite3.toml"), "--json", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    static, dynamic = set(report["static"]["syscalls"]), set(report["dynamic"]["syscalls"])
    assert dynamic <= static, dynamic - static
    assert static < set(report["static"]["all_syscalls"])
    assert report["needs"]["syscalls"] == sorted(static | dynamic)
    assert any(f.endswith("libsqlite3.so.0.8.6") or "libsqlite3" in f for f in report["needs"]["files"])
    assert "report written to" in proc.stdout
