"""Dynamic analysis: run the program under `strace -f` once per scenario and merge what it did.

`analyze_dynamic(program, args, scenarios, timeout=, progress=)` returns the JSON-ready `dynamic`
part of the report; docs/scenario.md documents the scenario format and every key of the result.
`progress`, when given, is called with one line before each run. The execve strace performs to
start the program is the launcher's and is not counted (see trace_facts).
"""

import dataclasses
import errno
import os
import platform
import shutil
import signal
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

from unicore.analysis.dynamic import actions
from unicore.analysis.dynamic.scenario import Scenario
from unicore.analysis.dynamic.strace_parse import parse_trace
from unicore.analysis.dynamic.trace_facts import TraceFacts, collect
from unicore.analysis.dynamic.tracer import RawRun, RunSpec, strace_path, trace
from unicore.errors import BadInputError, UnicoreError

# Signals whose default action dumps core: the program died of its own fault.
CRASH_SIGNALS = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGSYS", "SIGTRAP", "SIGQUIT",
                 "SIGXCPU", "SIGXFSZ"}
_DEFAULT_SCENARIO = Scenario(name="default")

Progress = Callable[[str], None] | None


def analyze_dynamic(program: Path, args: list[str], scenarios: list[Scenario], *, timeout: float = 10.0,
                    progress: Progress = None) -> dict:
    """Run each scenario (or once with `args` and empty stdin when none) and merge the results."""
    strace_path()  # ToolMissingError before anything runs
    report = _empty_report()
    for scenario in scenarios or [_DEFAULT_SCENARIO]:
        if progress:
            progress(f"tracing {scenario.program or program} (scenario {scenario.name})")
        run, facts = run_scenario(Path(program), args, scenario, timeout)
        report["runs"].append(run)
        _merge(report, facts)
    return _finish(report)


def _empty_report() -> dict:
    return {"runs": [], "syscalls": Counter(), "errors": {}, "files": {}, "probes": {}, "directories": set(),
            "exec": [], "processes": 0, "sockets": [], "signals": set(), "arch": platform.machine()}


def run_scenario(program: Path, args: list[str], scenario: Scenario, timeout: float,
                 strace_args: list[str] | None = None) -> tuple[dict, TraceFacts]:
    """One traced run: the run's summary dict and the facts from its trace (`strace_args`: extra
    strace options, e.g. the fault injections of analysis.explore). A `scratch` scenario runs in
    a fresh directory holding copies of the files its relative arguments name, removed
    afterwards: the run cannot change the originals, and what it did there is not a need."""
    if not scenario.scratch:
        return _traced_run(program, args, scenario, timeout, strace_args)
    with tempfile.TemporaryDirectory(prefix="unicore-scratch-") as cwd:
        _copy_inputs(scenario, args, Path(cwd))
        run, facts = _traced_run(program, args, dataclasses.replace(scenario, cwd=Path(cwd)), timeout, strace_args)
    inside = lambda path: path == cwd or path.startswith(cwd + "/")
    facts.files = {p: use for p, use in facts.files.items() if not inside(p)}
    facts.probes = {p: probe for p, probe in facts.probes.items() if not inside(p)}
    facts.directories = {d for d in facts.directories if not inside(d)}
    return run, facts


def _copy_inputs(scenario: Scenario, args: list[str], scratch: Path) -> None:
    origin = scenario.cwd or Path.cwd()
    for arg in scenario.args if scenario.args is not None else args:
        if arg and not os.path.isabs(arg) and (origin / arg).is_file():
            (scratch / arg).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin / arg, scratch / arg)


def _traced_run(program: Path, args: list[str], scenario: Scenario, timeout: float,
                strace_args: list[str] | None) -> tuple[dict, TraceFacts]:
    spec, port = _run_spec(program, args, scenario, timeout)
    spec.strace_args = list(strace_args or [])

    def during(deadline: float) -> list[dict]:
        return [actions.run_command(c, port, spec.cwd, spec.env, deadline) for c in scenario.commands]

    with tempfile.TemporaryDirectory(prefix="unicore-strace-") as tmp:
        trace_file = Path(tmp) / "trace.txt"
        raw = trace(spec, trace_file, during)
        facts = _facts(trace_file, spec.cwd)
    if facts.launch_error:
        raise BadInputError(f"cannot execute {spec.argv[0]}: {_describe_errno(facts.launch_error)}")
    if facts.main_pid is None:
        raise UnicoreError(f"strace could not run {spec.argv[0]}: {_last_line(raw.stderr)}")
    return _run_summary(scenario, spec.argv, raw, facts), facts


def _run_spec(program: Path, args: list[str], scenario: Scenario, timeout: float) -> tuple[RunSpec, int | None]:
    """What to run, where and how long; `{port}` filled in (a free port picked for `port = 0`)."""
    exe = _checked_program(scenario.program or program)
    port = actions.free_port() if scenario.port == 0 else scenario.port
    argv = [str(exe), *[actions.fill_port(a, port) for a in (scenario.args if scenario.args is not None else args)]]
    env = {**os.environ, **{k: actions.fill_port(v, port) for k, v in scenario.env.items()}}
    spec = RunSpec(argv, _checked_cwd(scenario), env, scenario.stdin, scenario.timeout or timeout, scenario.stop)
    return spec, port


def _checked_program(program: Path) -> Path:
    if not program.exists():
        raise BadInputError(f"program not found: {program}")
    if not program.is_file() or not os.access(program, os.X_OK):
        raise BadInputError(f"program is not an executable file: {program}")
    return program.absolute()


def _checked_cwd(scenario: Scenario) -> Path:
    cwd = scenario.cwd or Path.cwd()
    if not cwd.is_dir():
        raise BadInputError(f"scenario {scenario.path}: field 'cwd': not a directory: {cwd}")
    return cwd


def _facts(trace_file: Path, cwd: Path) -> TraceFacts:
    if not trace_file.exists():
        return TraceFacts()
    with open(trace_file, errors="surrogateescape") as f:
        return collect(parse_trace(f), str(cwd))


def _describe_errno(name: str) -> str:
    """`ENOEXEC` -> `ENOEXEC (Exec format error)`."""
    number = getattr(errno, name, None)
    return f"{name} ({os.strerror(number)})" if isinstance(number, int) else name


def _last_line(data: bytes) -> str:
    lines = data.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "strace wrote no trace"


def _run_summary(scenario: Scenario, argv: list[str], raw: RawRun, facts: TraceFacts) -> dict:
    status, sig = _main_status(raw, facts)
    stdout = raw.stdout.decode(errors="replace")
    return {
        "scenario": scenario.name, "argv": argv, "exit_status": status, "signal": sig,
        "timed_out": raw.timed_out, "crashed": sig in CRASH_SIGNALS and not raw.timed_out,
        "stdout_matches": _stdout_matches(scenario, stdout),
        "exit_matches": None if scenario.expect_exit is None else status == scenario.expect_exit,
        "seconds": raw.seconds, "commands": raw.commands,
        "stdout": stdout[-2000:], "stderr": raw.stderr.decode(errors="replace")[-2000:],
    }


def _main_status(raw: RawRun, facts: TraceFacts) -> tuple[int | None, str | None]:
    """The first process's exit status or fatal signal, from the trace (else strace's status)."""
    end = facts.exits.get(facts.main_pid) if facts.main_pid is not None else None
    if end is not None:
        return end.status, end.signal
    if raw.returncode is None:
        return None, None
    if raw.returncode < 0:
        return None, signal.Signals(-raw.returncode).name
    return raw.returncode, None


def _stdout_matches(scenario: Scenario, stdout: str) -> bool | None:
    checks = []
    if scenario.expect_stdout is not None:
        checks.append(stdout == scenario.expect_stdout)
    if scenario.expect_stdout_contains is not None:
        checks.append(scenario.expect_stdout_contains in stdout)
    return all(checks) if checks else None


def _merge(report: dict, facts: TraceFacts) -> None:
    report["syscalls"].update(facts.syscalls)
    for name, errnos in facts.errors.items():
        report["errors"].setdefault(name, Counter()).update(errnos)
    for path, use in facts.files.items():
        _merge_file(report["files"], path, use)
    report["directories"].update(facts.directories)
    for path, probe in facts.probes.items():
        entry = report["probes"].setdefault(path, {"path": path, "syscall": probe.syscall, "exists": False})
        entry["exists"] = entry["exists"] or probe.found
    report["processes"] += facts.processes
    for program in facts.exec:
        if program not in report["exec"]:
            report["exec"].append(program)
    for sock in facts.sockets.values():
        entry = _socket_entry(sock)
        if not sock.via_accept and entry not in report["sockets"]:
            report["sockets"].append(entry)
    report["signals"].update(facts.signals)


def _merge_file(files: dict, path: str, use) -> None:
    entry = files.setdefault(path, {"path": path, "flags": set(), "exists": False, "syscall": use.syscall,
                                    "errors": set(), "opens": 0})
    entry["flags"] |= use.flags
    entry["exists"] = entry["exists"] or use.exists
    entry["errors"] |= use.errors
    entry["opens"] += use.opens
    if use.resolved:
        entry["resolved"] = use.resolved


def _socket_entry(sock) -> dict:
    return {"family": sock.family, "type": sock.type, "protocol": sock.protocol, "bound": sock.bound,
            "connected": sock.connected, "listening": sock.listening, "accepted": sock.accepted}


def _finish(report: dict) -> dict:
    """Sets and counters -> sorted lists and plain dicts, so the result is JSON-ready and stable."""
    report["syscalls"] = dict(sorted(report["syscalls"].items()))
    report["errors"] = {name: dict(sorted(c.items())) for name, c in sorted(report["errors"].items())}
    opened = report["files"]
    report["files"] = [_file_json(f) for _, f in sorted(opened.items())]
    report["probes"] = [p for _, p in sorted(report["probes"].items()) if p["path"] not in opened]
    report["directories"] = sorted(report["directories"])
    report["signals"] = sorted(report["signals"])
    return report


def _file_json(entry: dict) -> dict:
    return {**entry, "flags": sorted(entry["flags"]), "errors": sorted(entry["errors"])}
