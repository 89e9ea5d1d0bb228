"""The analysis stage's one entry: a program (ELF) in, a report (docs/report.md) out.

`analyze` runs the requested halves, static (analysis/static: ELF, library closure, reachable
syscalls) and dynamic (analysis/dynamic: strace under scenarios), and merges them with the policy
that decides the needs (analysis/report.py). `unicore analyze`, `unicore build` (sources and
--binary) and the benchmarks all come through here.
"""

from pathlib import Path

from unicore.analysis.report import Report, make_report

DEFAULT_RUN_TIMEOUT = 5.0


def analyze(program: Path, args: list[str] = (), scenarios: list[Path] = (), *, policy: str = "static+dynamic",
            static: bool | None = None, dynamic: bool | None = None, timeout: float = DEFAULT_RUN_TIMEOUT,
            cache_dir: Path | None = None, progress=None) -> Report:
    """The report for `program`. By default the halves follow `policy` ("static" runs nothing,
    "dynamic" reads no ELF); `static` / `dynamic` choose them explicitly."""
    static = policy != "dynamic" if static is None else static
    dynamic = policy != "static" if dynamic is None else dynamic
    static_result = _static(program, cache_dir, progress) if static else None
    dynamic_result = _dynamic(program, list(args), scenarios, timeout, progress) if dynamic else None
    return make_report(program, static_result, dynamic_result, policy)


def _static(program: Path, cache_dir: Path | None, progress) -> dict:
    from unicore.analysis.static.analyze import analyze_static  # capstone, pyelftools: only when used
    return analyze_static(program, cache_dir=cache_dir, progress=progress)


def _dynamic(program: Path, args: list[str], scenario_paths: list[Path], timeout: float, progress) -> dict:
    from unicore.analysis.dynamic.analyze import analyze_dynamic
    from unicore.analysis.dynamic.scenario import load_scenario
    scenarios = [load_scenario(p) for p in scenario_paths]
    return analyze_dynamic(program, args, scenarios, timeout=timeout, progress=progress)
