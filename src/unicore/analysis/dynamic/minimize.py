"""The dynamic half with fuzzing and exploration: trace, fuzz for coverage, trace again with the
kept inputs, then stub/fake-explore every syscall used (analysis.fuzz, analysis.explore).

`dynamic_half(...)` returns (dynamic, explore, fuzz): the three report sections (None when not
asked for). Fuzzed inputs are scratch scenarios: files they create in their own working
directory are left out of the dynamic section (they would otherwise become rootfs entries).
"""

from __future__ import annotations

from pathlib import Path

from unicore.analysis.dynamic.analyze import analyze_dynamic
from unicore.analysis.dynamic.scenario import Scenario


def dynamic_half(program: Path, args: list[str], scenarios: list[Scenario], *, timeout: float,
                 explore: bool = False, fuzz: int = 0, jobs: int | None = None, cache_dir: Path | None = None,
                 status=None, steps=None) -> tuple[dict, dict | None, dict | None]:
    """`status(msg)` gets one-line updates; `steps(done, total, msg)` the counted ones."""
    dynamic = analyze_dynamic(program, args, scenarios, timeout=timeout, progress=status)
    if not fuzz and not explore:
        return dynamic, None, None
    fuzz_section, all_scenarios = None, list(scenarios)
    if fuzz:
        dynamic, fuzz_section, all_scenarios = _fuzzed(program, args, scenarios, dynamic, fuzz, timeout,
                                                       jobs, status, steps)
    explore_section = None
    if explore:
        from unicore.analysis.dynamic.explore import explore as run_explore
        explore_section = run_explore(program, args, all_scenarios or [Scenario("default")],
                                      list(dynamic["syscalls"]), timeout=timeout, jobs=jobs,
                                      cache_dir=cache_dir, progress=steps)
    return dynamic, explore_section, fuzz_section


def _fuzzed(program, args, scenarios, dynamic, count, timeout, jobs, status, steps):
    from unicore.analysis.dynamic.fuzz import fuzz
    kept, section = fuzz(program, args, scenarios, dynamic, count, jobs=jobs, progress=steps)
    if not kept:
        section.update(added_syscalls=[], added_files=[])
        return dynamic, section, list(scenarios)
    merged = analyze_dynamic(program, args, list(scenarios) + kept, timeout=timeout, progress=status)
    section["added_syscalls"] = sorted(set(merged["syscalls"]) - set(dynamic["syscalls"]))
    section["added_files"] = sorted(_existing(merged) - _existing(dynamic))
    return merged, section, list(scenarios) + kept


def _existing(dynamic: dict) -> set[str]:
    return {f["path"] for f in dynamic["files"] + dynamic["probes"] if f.get("exists")}
