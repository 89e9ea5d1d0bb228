"""Stub/fake exploration: which of the syscalls a program used really need an implementation.

For every syscall the traced runs used, the scenarios run again with that syscall *stubbed*
(it returns -ENOSYS and does nothing) and *faked* (it returns 0 and does nothing). The mechanism
is strace's fault injection (`-e inject=NAME:error=ENOSYS`, `-e inject=NAME:retval=0`): strace
already is the dynamic analysis' tracer, it replaces the call before the kernel runs it, covers
every thread and child (`-f`), and needs no helper program in the tracee (why not seccomp:
docs/explore.md). A syscall is `stub` when every scenario still passes stubbed, else `fake` when
every scenario passes faked, else `required`; the evidence says which scenario failed how. A final
run with all stubs and fakes together confirms the set; when it fails, the choices are added back
one at a time (greedy: stubs, then fakes, each by name) and each one that breaks the combination
becomes required.

A scenario passes when it does not time out or crash, its commands succeed, and its exit status
and stdout are what it expects; a scenario without expectations must behave like its own
unmodified run (exit status, and stdout when two unmodified runs print the same).
Trials run in parallel (a thread per job, each waits for its strace) and are cached by program
hash, scenario hash and injection under CACHE/explore/ (docs/explore.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from unicore.paths import analysis_cache
from unicore.analysis.dynamic.analyze import run_scenario
from unicore.analysis.dynamic.scenario import Scenario
from unicore.paths import file_sha256 as _file_hash
from unicore.errors import UnicoreError

EXPLORE_VERSION = 1
MECHANISM = "strace -e inject"
MODES = {"stub": "error=ENOSYS", "fake": "retval=0"}
MIN_TRIAL_S = 2.0  # a trial's deadline: the larger of this and TRIAL_FACTOR x the unmodified run
TRIAL_FACTOR = 4.0

Progress = Callable[[int, int, str], None] | None  # (done, total, what)


@dataclass(frozen=True)
class Expectation:
    """What a trial of one scenario must show to pass."""

    exit: int | None
    stdout: str | None = None
    stdout_contains: str | None = None
    origin: str = "scenario"  # "scenario" (its [expect]) or "baseline" (its unmodified run)


@dataclass
class Target:
    """One scenario as exploration runs it: the scenario, its expectation, its deadline, its hash."""

    scenario: Scenario
    expect: Expectation
    timeout: float
    key: str


def inject_args(stub: list[str], fake: list[str]) -> list[str]:
    """strace options that stub (ENOSYS) and fake (return 0) the given syscalls."""
    args = []
    for names, mode in ((stub, "stub"), (fake, "fake")):
        if names:
            args += ["-e", f"inject={','.join(sorted(names))}:{MODES[mode]}"]
    return args


def explore(program: Path, args: list[str], scenarios: list[Scenario], used: list[str], *,
            timeout: float = 10.0, jobs: int | None = None, cache_dir: Path | None = None,
            progress: Progress = None) -> dict:
    """Classify each syscall in `used`; the JSON-ready `explore` section of the report."""
    session = _Session(Path(program), args, jobs or os.cpu_count() or 1, cache_dir, progress)
    targets = session.targets(scenarios, timeout)
    results = session.classify(targets, sorted(used))
    confirm = session.confirm(targets, results)
    return _section(results, confirm, targets, session)


class _Session:
    def __init__(self, program: Path, args: list[str], jobs: int, cache_dir: Path | None, progress: Progress):
        self.program, self.args, self.jobs, self.progress = program, args, jobs, progress
        self.cache = _TrialCache(Path(cache_dir or analysis_cache()) / "explore")
        self.program_hash = _file_hash(program)
        self.done = self.total = 0
        self.lock = threading.Lock()

    def _tick(self, what: str, new: int = 0) -> None:
        with self.lock:
            self.total += new
            self.done += 0 if new else 1
            if self.progress:
                self.progress(self.done, self.total, what)

    def targets(self, scenarios: list[Scenario], timeout: float) -> list[Target]:
        """Run each scenario unmodified (twice when it expects nothing) to fix its expectation."""
        found = []
        for scenario in scenarios:
            self._tick(f"unmodified run of {scenario.name}", new=1)
            first, _ = self._run(scenario, [], scenario.timeout or timeout)
            self._tick(f"unmodified run of {scenario.name}")
            expect = _expectation(scenario, first, lambda: self._run(scenario, [], scenario.timeout or timeout)[0])
            problem = _failure(first, expect)
            if problem:
                raise UnicoreError(f"explore: scenario {scenario.name} fails without any stub ({problem}); "
                                   "fix the scenario or the program first")
            deadline = min(scenario.timeout or timeout, max(MIN_TRIAL_S, TRIAL_FACTOR * first["seconds"]))
            found.append(Target(scenario, expect, deadline, _scenario_hash(scenario, self.args)))
        return found

    def classify(self, targets: list[Target], used: list[str]) -> dict[str, dict]:
        """Both trials for every syscall, in parallel; {name: {class, stub, fake}}."""
        self._tick(f"exploring {len(used)} syscalls", new=2 * len(used))
        pairs = [(name, mode) for name in used for mode in MODES]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            outcomes = list(pool.map(lambda p: self._trial_all(targets, *p), pairs))
        results = {name: {} for name in used}
        for (name, mode), outcome in zip(pairs, outcomes):
            results[name][mode] = outcome
        for name, entry in results.items():
            entry["class"] = "stub" if entry["stub"]["passed"] else "fake" if entry["fake"]["passed"] else "required"
        return results

    def _trial_all(self, targets: list[Target], name: str, mode: str) -> dict:
        """One syscall in one mode over every scenario, stopping at the first that fails."""
        stub, fake = ([name], []) if mode == "stub" else ([], [name])
        outcome = self.trial(targets, stub, fake)
        self._tick(f"{mode} {name}: {'passed' if outcome['passed'] else 'failed'}")
        return outcome

    def trial(self, targets: list[Target], stub: list[str], fake: list[str]) -> dict:
        """{passed, passed_scenarios, failed: {scenario, how} | None, seen} for one set of
        injections; `seen`: the syscalls the passing runs made (a stub may open a fallback path)."""
        injections = inject_args(stub, fake)
        passed, seen = [], set()
        for target in targets:
            how, calls = self._cached_run(target, injections)
            if how:
                return {"passed": False, "passed_scenarios": passed, "failed": {"scenario": target.scenario.name, "how": how},
                        "seen": sorted(seen)}
            passed.append(target.scenario.name)
            seen.update(calls)
        return {"passed": True, "passed_scenarios": passed, "failed": None, "seen": sorted(seen)}

    def _cached_run(self, target: Target, injections: list[str]) -> tuple[str | None, list[str]]:
        """(why the trial failed or None, the syscalls it made), from the cache when known."""
        key = _digest({"v": EXPLORE_VERSION, "program": self.program_hash, "scenario": target.key,
                       "expect": dataclasses.asdict(target.expect), "timeout": target.timeout, "inject": injections})
        hit = self.cache.get(key)
        if hit is not None:
            return hit["failure"], hit["syscalls"]
        run, calls = self._run(target.scenario, injections, target.timeout)
        failure = _failure(run, target.expect)
        self.cache.put(key, {"failure": failure, "syscalls": calls})
        return failure, calls

    def _run(self, scenario: Scenario, injections: list[str], timeout: float) -> tuple[dict, list[str]]:
        """One run and its syscalls; a launch refused (e.g. execve stubbed) is a failed run."""
        try:
            run, facts = run_scenario(self.program, self.args, dataclasses.replace(scenario, timeout=timeout),
                                      timeout, injections)
            return run, sorted(facts.syscalls)
        except UnicoreError as exc:
            return {"launch_error": str(exc)}, []

    def confirm(self, targets: list[Target], results: dict[str, dict]) -> dict:
        """All choices together; on failure add them back one by one and keep those that pass."""
        stub = sorted(n for n, r in results.items() if r["class"] == "stub")
        fake = sorted(n for n, r in results.items() if r["class"] == "fake")
        self._tick("confirming all stubs and fakes together", new=1)
        together = self.trial(targets, stub, fake)
        self._tick(f"all together: {'passed' if together['passed'] else 'failed'}")
        confirm = {"passed": together["passed"], "stub": stub, "fake": fake, "failed": together["failed"],
                   "backed_off": [], "seen": together["seen"]}
        if not together["passed"]:
            self._back_off(targets, results, confirm)
        confirm["new_syscalls"] = sorted(set(confirm["seen"]) - set(results) - set(confirm["stub"]) - set(confirm["fake"]))
        return confirm

    def _back_off(self, targets: list[Target], results: dict[str, dict], confirm: dict) -> None:
        kept = {"stub": [], "fake": []}
        confirm["seen"] = []  # nothing kept: the unmodified runs, nothing new
        candidates = [(n, "stub") for n in confirm["stub"]] + [(n, "fake") for n in confirm["fake"]]
        self._tick("backing off", new=len(candidates))
        for name, mode in candidates:  # stubs first: a fake skips an effect, the likelier culprit
            trial_set = {m: kept[m] + ([name] if m == mode else []) for m in kept}
            outcome = self.trial(targets, trial_set["stub"], trial_set["fake"])
            self._tick(f"combined with {mode} {name}: {'passed' if outcome['passed'] else 'failed'}")
            if outcome["passed"]:
                kept[mode].append(name)
                confirm["seen"] = outcome["seen"]
                continue
            results[name]["class"] = "required"
            results[name]["combined"] = outcome["failed"]
            confirm["backed_off"].append(name)
        confirm.update(stub=sorted(kept["stub"]), fake=sorted(kept["fake"]))


def _expectation(scenario: Scenario, first: dict, again: Callable[[], dict]) -> Expectation:
    if scenario.expect_exit is not None or scenario.expect_stdout is not None \
            or scenario.expect_stdout_contains is not None:
        return Expectation(scenario.expect_exit, scenario.expect_stdout, scenario.expect_stdout_contains)
    if "launch_error" in first:
        return Expectation(None, origin="baseline")
    second = again()
    stable = second.get("stdout") == first["stdout"] and len(first["stdout"]) < 2000  # the run keeps the tail only
    return Expectation(first["exit_status"], first["stdout"] if stable else None, origin="baseline")


def _failure(run: dict, expect: Expectation) -> str | None:
    """Why a run does not pass (one phrase), or None."""
    if "launch_error" in run:
        return f"did not start: {run['launch_error']}"
    if run["timed_out"]:
        return f"timed out after {run['seconds']} s"
    if run["crashed"] or (run["signal"] and expect.exit is not None):
        return f"killed by {run['signal']}"
    bad = [c for c in run.get("commands", []) if not c.get("ok")]
    if bad:
        return f"command failed: {bad[0]['command']} ({bad[0].get('detail')})"
    if expect.exit is not None and run["exit_status"] != expect.exit:
        return f"exit status {run['exit_status']}, expected {expect.exit}"
    if expect.stdout is not None and run["stdout"] != expect.stdout[-2000:]:
        return f"stdout differs (got {_clip(run['stdout'])!r})"
    if expect.stdout_contains is not None and expect.stdout_contains not in run["stdout"]:
        return f"stdout lacks {expect.stdout_contains!r}"
    return None


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _section(results: dict[str, dict], confirm: dict, targets: list[Target], session: _Session) -> dict:
    counts = {c: sum(1 for r in results.values() if r["class"] == c) for c in ("required", "stub", "fake")}
    return {"mechanism": MECHANISM, "version": EXPLORE_VERSION,
            "scenarios": [{"name": t.scenario.name, "expect": t.expect.origin, "timeout": t.timeout} for t in targets],
            "syscalls": dict(sorted(results.items())), "confirm": confirm,
            "counts": {"used": len(results), **counts,
                       "stubbable": sum(1 for r in results.values() if r["stub"]["passed"]),
                       "fakeable": sum(1 for r in results.values() if r["fake"]["passed"])},
            "cache": {"hits": session.cache.hits, "misses": session.cache.misses}}


def _scenario_hash(scenario: Scenario, default_args: list[str]) -> str:
    """Everything that decides what a run does: the scenario's fields, its program's and stdin's
    content, and the content of files its arguments name."""
    cwd = scenario.cwd or Path.cwd()
    args = scenario.args if scenario.args is not None else default_args
    named = {a: _file_hash(cwd / a) for a in args if (cwd / a).is_file()}
    fields = {k: v for k, v in dataclasses.asdict(scenario).items() if k not in ("path", "stdin")}
    return _digest({"fields": fields, "args": args, "stdin": hashlib.sha256(scenario.stdin).hexdigest(),
                    "program": _file_hash(scenario.program) if scenario.program else None, "files": named})


def _digest(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()




class _TrialCache:
    """One JSON file per trial key; atomic writes, damaged files ignored (like analysis.cache)."""

    def __init__(self, directory: Path):
        self.dir, self.hits, self.misses = directory, 0, 0

    def get(self, key: str) -> dict | None:
        try:
            data = json.loads((self.dir / f"{key}.json").read_text())
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, value: dict) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                json.dump(value, f)
            os.replace(tmp, self.dir / f"{key}.json")
        except OSError:
            pass  # an unwritable cache only costs time


def apply_to_report(report: dict, explore: dict | None, fuzz: dict | None) -> None:
    """Make `report` version 2: the sections, the soundness check, and the needs without the
    stubbed and faked syscalls (docs/report.md)."""
    report.update(version=2, explore=explore, fuzz=fuzz, soundness=soundness(report["static"], report["dynamic"]))
    needs = report["needs"]
    stub, fake = (explore["confirm"]["stub"], explore["confirm"]["fake"]) if explore else ([], [])
    added = explore["confirm"]["new_syscalls"] if explore else []  # reached only with the stubs in place
    needs["syscalls"] = sorted({s for s in needs["syscalls"] if s not in stub and s not in fake} | set(added))
    needs["stub"], needs["fake"] = stub, fake
    needs["reasons"] = {name: _reason(explore, name, "stubbed" if name in stub else "faked") for name in stub + fake}


def _reason(explore: dict, name: str, verb: str) -> str:
    passed = explore["syscalls"][name]["stub" if verb == "stubbed" else "fake"]["passed_scenarios"]
    which = "scenario " + passed[0] if len(passed) == 1 else "scenarios " + ", ".join(passed)
    return f"{verb}: {which} still passed" + ("" if explore["confirm"]["passed"] else " (after backing off)")


def soundness(static: dict | None, dynamic: dict | None) -> dict:
    """Every syscall a run made must be in the static reachable set; one outside it is a bug of
    the analysis (a missed site or call edge), reported, never silently added."""
    if not static or not dynamic:
        return {"checked": False, "outside_static": []}
    return {"checked": True, "outside_static": sorted(set(dynamic["syscalls"]) - set(static["syscalls"]))}
