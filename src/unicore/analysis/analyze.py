"""The analysis stage's one entry: a program (ELF) in, a report (docs/report.md) out.

`analyze` runs the requested halves, static (analysis/static: ELF, library closure, reachable
syscalls) and dynamic (analysis/dynamic: strace under scenarios), and merges them with the policy
that decides the needs (analysis/report.py). `unicore analyze`, `unicore build` (sources and
--binary) and the benchmarks all come through here.
"""

from pathlib import Path

from unicore.analysis.report import Report, make_report
from unicore.errors import BadInputError

DEFAULT_RUN_TIMEOUT = 5.0


def analyze(program: Path, args: list[str] = (), scenarios: list[Path] = (), *, policy: str = "static+dynamic",
            static: bool | None = None, dynamic: bool | None = None, timeout: float = DEFAULT_RUN_TIMEOUT,
            cache_dir: Path | None = None, progress=None, explore: bool = False, fuzz: int = 0,
            jobs: int | None = None, steps=None, sysroot: Path | None = None) -> Report:
    """The report for `program`. By default the halves follow `policy` ("static" runs nothing,
    "dynamic" reads no ELF); `static` / `dynamic` choose them explicitly."""
    static = policy != "dynamic" if static is None else static
    dynamic = policy != "static" if dynamic is None else dynamic
    if (explore or fuzz) and not dynamic:
        raise BadInputError("analyze: --explore and --fuzz run the program: not with --static-only")
    if sysroot:
        check_sysroot(program, Path(sysroot), explore or bool(fuzz))
    static_result = _static(program, cache_dir, progress, sysroot) if static else None
    dynamic_result = explored = fuzzed = None
    if dynamic and sysroot:  # a foreign binary: its runs under QEMU user mode
        from unicore.analysis.dynamic.scenario import load_scenario
        from unicore.analysis.dynamic.user_mode import user_mode_half
        arch = static_result["program"]["arch"] if static_result else "aarch64"
        dynamic_result = user_mode_half(program, Path(sysroot), arch, [load_scenario(p) for p in scenarios],
                                        timeout, list(args))
    elif dynamic:
        dynamic_result, explored, fuzzed = _dynamic(program, list(args), scenarios, timeout, progress,
                                                    explore=explore, fuzz=fuzz, jobs=jobs,
                                                    cache_dir=cache_dir, steps=steps)
    return make_report(program, static_result, dynamic_result, policy, explore=explored, fuzz=fuzzed)


def check_sysroot(program: Path, sysroot: Path, exploring: bool) -> None:
    """A program analysed with its sysroot (docs/arm64.md) lies inside it, and is run only under
    QEMU user mode (no exploration: its fault injection is strace's)."""
    if not sysroot.is_dir():
        raise BadInputError(f"--sysroot {sysroot}: no such directory")
    if not program.absolute().is_relative_to(sysroot.absolute()):
        raise BadInputError(f"{program} is not inside --sysroot {sysroot}")
    if exploring:
        raise BadInputError("--sysroot: --explore and --fuzz are not supported for a binary run under QEMU user mode")


def _static(program: Path, cache_dir: Path | None, progress, sysroot: Path | None = None) -> dict:
    from unicore.analysis.static.analyze import analyze_static  # capstone, pyelftools: only when used
    return analyze_static(program, cache_dir=cache_dir, progress=progress, sysroot=sysroot)


def _dynamic(program: Path, args: list[str], scenario_paths: list[Path], timeout: float, progress,
             **explore) -> tuple[dict, dict | None, dict | None]:
    """The traced runs, then exploration (stubs/fakes) and fuzzing when asked
    (analysis/dynamic/minimize.py)."""
    from unicore.analysis.dynamic.minimize import dynamic_half
    from unicore.analysis.dynamic.scenario import load_scenario
    scenarios = [load_scenario(p) for p in scenario_paths]
    return dynamic_half(program, args, scenarios, timeout=timeout, status=progress, **explore)
