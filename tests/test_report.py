"""The report: needs merged by policy, valid against the published JSON Schema, strict loading."""

import json
from pathlib import Path

import jsonschema
import pytest

from unicore.analysis.report import load_report, make_report, write_report
from unicore.errors import BadInputError

SCHEMA = json.loads((Path(__file__).parents[1] / "src/unicore/schemas/report-v1.json").read_text())

STATIC = {"program": {"path": "/p", "arch": "x86_64", "sha256": "0", "type": "EXEC", "pie": False,
                      "static": True, "interp": None},
          "libraries": [], "missing_libraries": [], "symbols": {"imports": [], "unbound": []},
          "syscalls": ["exit_group", "write"], "all_syscalls": ["exit_group", "read", "write"],
          "unresolved_sites": [], "stats": {}}
DYNAMIC = {"runs": [{"scenario": "default", "exit_status": 0, "timed_out": False}],
           "syscalls": {"write": 2, "brk": 1}, "errors": {},
           "files": [{"path": "/etc/a", "exists": True}, {"path": "/nope", "exists": False}],
           "probes": [{"path": "/usr/lib/python3.11/os.py", "exists": True}, {"path": "/x", "exists": False}]}


@pytest.mark.parametrize("policy,expected", [
    ("static+dynamic", ["brk", "exit_group", "write"]),
    ("static", ["exit_group", "write"]),
    ("dynamic", ["brk", "write"]),
])
def test_needs_by_policy(policy, expected):
    report = make_report(Path("/p"), STATIC, DYNAMIC, policy)
    assert report["needs"]["syscalls"] == expected
    assert report["needs"]["files"] == ["/etc/a", "/usr/lib/python3.11/os.py"]
    jsonschema.validate(report, SCHEMA)


def test_halves_may_be_absent():
    jsonschema.validate(make_report(Path("/p"), STATIC, None, "static"), SCHEMA)
    jsonschema.validate(make_report(Path("/p"), None, DYNAMIC, "dynamic"), SCHEMA)


def test_round_trip_and_strict_loading(tmp_path):
    path = tmp_path / "r.json"
    write_report(make_report(Path("/p"), STATIC, None, "static"), path)
    assert load_report(path)["needs"]["syscalls"] == ["exit_group", "write"]
    bad = tmp_path / "bad.json"
    for text, message in [("{", "not a readable report"), ('{"schema": "x"}', "not a unicore report"),
                          ('{"schema": "unicore.report", "version": 9}', "version 9")]:
        bad.write_text(text)
        with pytest.raises(BadInputError, match=message):
            load_report(bad)
