"""`unicore analyze --fuzz N` for real, on a program with behaviour its scenario never shows
(explore/hidden.c): the fuzzer finds each hidden syscall, keeps the inputs that reach them as
scenarios for exploration, never touches the user's files, and is reproducible (seeded)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

HERE = Path(__file__).parent / "explore"
pytestmark = pytest.mark.skipif(not shutil.which("musl-gcc") or not shutil.which("strace"),
                                reason="needs musl-gcc and strace")
SCHEMA = json.loads((Path(__file__).parents[2] / "src/unicore/schemas/report-v2.json").read_text())
HIDDEN = {"uname": "-v", "ftruncate": "-n", "sysinfo": None}  # syscall -> the option that reaches it


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> tuple[Path, dict, dict]:
    work = tmp_path_factory.mktemp("fuzz")
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(work / "hidden"), str(HERE / "hidden.c")], check=True)
    (work / "data.txt").write_text("keep me\n")
    (work / "plain.toml").write_text('schema = 1\nargs = ["data.txt"]\nstdin = "one\\ntwo\\n"\n')
    reports = []
    for i in range(2):
        out = work / f"report{i}.json"
        proc = subprocess.run([sys.executable, "-m", "unicore", "analyze", str(work / "hidden"), "--dynamic-only",
                               "--scenario", str(work / "plain.toml"), "--fuzz", "200", "--explore",
                               "--cache-dir", str(work / f"cache{i}"), "--json", str(out)],
                              capture_output=True, text=True, timeout=600, cwd=work)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        reports.append(json.loads(out.read_text()))
        assert "fuzzing: 200 inputs tried" in proc.stdout
    return work, reports[0], reports[1]


def test_fuzzing_finds_every_hidden_syscall(fuzzed):
    _, report, _ = fuzzed
    fuzz = report["fuzz"]
    assert fuzz["inputs"] == 200 and fuzz["seed"] == 0
    assert set(fuzz["added_syscalls"]) == set(HIDDEN)
    assert set(HIDDEN) <= set(report["dynamic"]["syscalls"])
    for name, option in HIDDEN.items():
        finder = next(k for k in fuzz["kept"] if name in k["new_syscalls"])
        assert option is None or option in finder["args"]
    runs = {r["scenario"] for r in report["dynamic"]["runs"]}
    assert runs == {"plain"} | {k["scenario"] for k in fuzz["kept"]}


def test_kept_inputs_are_explored(fuzzed):
    _, report, _ = fuzzed
    explored = report["explore"]
    assert {s["name"] for s in explored["scenarios"]} == {"plain"} | {k["scenario"] for k in report["fuzz"]["kept"]}
    for name in ("uname", "sysinfo"):  # results ignored by the program: stubbable, so no handler
        assert explored["syscalls"][name]["class"] == "stub", explored["syscalls"][name]
        assert name in report["needs"]["stub"] and name not in report["needs"]["syscalls"]
    # without the truncation the copy's text is printed: only the fuzzed input shows ftruncate is needed
    finder = next(k["scenario"] for k in report["fuzz"]["kept"] if "ftruncate" in k["new_syscalls"])
    entry = explored["syscalls"]["ftruncate"]
    assert entry["class"] == "required" and "ftruncate" in report["needs"]["syscalls"]
    assert entry["stub"]["failed"] == {"scenario": finder, "how": "stdout differs (got 'keep me\\n')"}


def test_user_files_untouched_and_scratch_files_not_needs(fuzzed):
    work, report, _ = fuzzed
    assert (work / "data.txt").read_text() == "keep me\n"  # a mutant with -n truncated only its copy
    paths = [f["path"] for f in report["dynamic"]["files"] + report["dynamic"]["probes"]]
    assert str(work / "data.txt") in paths
    assert not [p for p in paths if "unicore-scratch-" in p]
    assert not [f for f in report["needs"]["files"] if "unicore-scratch-" in f]


def test_same_seed_same_findings(fuzzed):
    _, first, second = fuzzed
    assert first["fuzz"]["kept"] == second["fuzz"]["kept"]


def test_real_report_matches_the_version_2_schema(fuzzed):
    _, report, _ = fuzzed
    jsonschema.validate(report, SCHEMA)
    assert report["version"] == 2 and report["soundness"] == {"checked": False, "outside_static": []}
    broken = json.loads(json.dumps(report))
    broken["explore"]["syscalls"]["uname"]["class"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
    del broken["needs"]["stub"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
