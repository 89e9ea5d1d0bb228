"""`unicore analyze PROGRAM [ARGS...]`: find what a program needs from the OS, print it, save the report."""

import argparse
import contextlib
import shutil
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from unicore.analysis.analyze import analyze
from unicore.analysis.report import write_report
from unicore.errors import BadInputError

console = Console(stderr=False, highlight=False)


def add_parser(sub) -> None:
    p = sub.add_parser("analyze", help="find what a program needs from the OS (static and dynamic)",
                       epilog="Options may follow the program's arguments; put the program's own "
                              "options that clash with these after `--`.")
    p.add_argument("program", help="the program: a path, or a command name found on PATH")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the dynamic run")
    _options(p)
    p.set_defaults(func=run, parser=p)


def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", action="append", default=[], type=Path, metavar="FILE",
                   help="a scenario file for the dynamic run (repeatable; see docs/scenario.md)")
    p.add_argument("--static-only", action="store_true", help="do not run the program")
    p.add_argument("--dynamic-only", action="store_true", help="skip the ELF analysis")
    p.add_argument("--json", type=Path, metavar="OUT", help="where to write the report (default: PROGRAM.report.json in .)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per dynamic run (default 10)")
    p.add_argument("--cache-dir", type=Path, help="analysis cache (default ~/.cache/unicore/analysis)")
    p.add_argument("--explore", action="store_true",
                   help="rerun the scenarios with each used syscall stubbed (ENOSYS) and faked (0) (docs/explore.md)")
    p.add_argument("--fuzz", type=int, default=0, metavar="N",
                   help="try N mutated inputs; keep those reaching a new syscall or file as scenarios")
    p.add_argument("--jobs", type=int, metavar="J", help="parallel runs for --explore/--fuzz (default: the cores)")
    p.add_argument("--sysroot", type=Path, metavar="DIR",
                   help="a foreign-architecture Debian system root holding the program (its libraries come "
                        "from there, its runs are under QEMU user mode: docs/arm64.md)")


def split_program_args(args: argparse.Namespace) -> list[str]:
    """Take our own options out of the words after PROGRAM (up to `--`); the rest are the program's."""
    words = list(args.args)
    head, tail = (words[:words.index("--")], words[words.index("--") + 1:]) if "--" in words else (words, [])
    options = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    _options(options)
    try:
        _, rest = options.parse_known_args(head, namespace=args)
    except argparse.ArgumentError as exc:
        raise BadInputError(f"analyze: {exc}") from None
    if args.static_only and args.dynamic_only:
        raise BadInputError("analyze: --static-only and --dynamic-only exclude each other")
    return rest + tail


def resolve_program(name: str) -> Path:
    path = Path(name)
    if not path.exists() and "/" not in name and shutil.which(name):
        path = Path(shutil.which(name))
    if not path.exists():
        raise BadInputError(f"{name}: no such file")
    if path.is_dir():
        raise BadInputError(f"{name}: is a directory, not a program")
    return path


@contextlib.contextmanager
def _progress():
    """A rich progress display: a spinner line for single steps, a bar for counted ones."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("analysing", total=None)
        yield (lambda msg: bar.update(task, description=msg),
               lambda done, total, msg: bar.update(task, description=msg, completed=done, total=total))


def run(args) -> int:
    prog_args = split_program_args(args)
    program = resolve_program(args.program)
    with _progress() as (status, steps):
        report = analyze(program, prog_args, args.scenario, static=not args.dynamic_only,
                         dynamic=not args.static_only, timeout=args.timeout, cache_dir=args.cache_dir,
                         progress=status, explore=args.explore, fuzz=args.fuzz, jobs=args.jobs, steps=steps,
                         sysroot=args.sysroot)
    out = args.json or Path(f"{program.name}.report.json")
    write_report(report, out)
    print_summary(report)
    console.print(f"report written to {out}")
    return 1 if _failed(report) else 0


def _failed(report: dict) -> bool:
    runs = (report.get("dynamic") or {}).get("runs", [])
    return any(r.get("timed_out") or r.get("crashed") or r.get("exit_matches") is False
               or r.get("stdout_matches") is False for r in runs)


def print_summary(report: dict) -> None:
    prog = report["program"]
    console.print(f"[bold]{prog['path']}[/] ({prog['arch']}"
                  + (", static" if prog.get("static") else "") + (", PIE" if prog.get("pie") else "") + ")")
    if report["static"]:
        _static_tables(report["static"])
    if report["dynamic"]:
        _dynamic_tables(report["dynamic"])
    if report.get("version", 1) >= 2:
        from unicore.commands.explore_summary import print_exploration
        print_exploration(console, report)
    needs = report["needs"]
    console.print(f"needs ({needs['policy']}): {len(needs['syscalls'])} syscalls, {len(needs['files'])} files")
    console.print("  " + " ".join(needs["syscalls"]), soft_wrap=True)


def _static_tables(static: dict) -> None:
    libs = Table("library", "path", title="shared libraries")
    for lib in static["libraries"]:
        libs.add_row(lib.get("soname") or "", lib["path"])
    for name in static.get("missing_libraries", []):
        libs.add_row(name, "[red]not found[/]")
    if static["libraries"] or static.get("missing_libraries"):
        console.print(libs)
    unbound = static.get("symbols", {}).get("unbound", [])
    console.print(f"static: {len(static['syscalls'])} syscalls reachable of {len(static['all_syscalls'])} "
                  f"in the whole objects; {len(static['unresolved_sites'])} unresolved sites; "
                  f"{len(unbound)} unbound symbols")
    for site in static["unresolved_sites"][:10]:
        console.print(f"  unresolved: {site['object']} {site['address']} in {site['function']}")


def _dynamic_tables(dynamic: dict) -> None:
    runs = Table("scenario", "exit", "timed out", "output ok", title="dynamic runs")
    for r in dynamic["runs"]:
        exit_text = r.get("signal") or str(r.get("exit_status"))
        ok = {True: "yes", False: "[red]NO[/]", None: "-"}[r.get("stdout_matches")]
        runs.add_row(str(r.get("scenario")), exit_text, "yes" if r.get("timed_out") else "no", ok)
    console.print(runs)
    calls = Table("syscall", "count", "errors", title="syscalls seen")
    errors = dynamic.get("errors", {})
    for name, count in sorted(dynamic["syscalls"].items(), key=lambda kv: -kv[1]):
        calls.add_row(name, str(count), ", ".join(f"{e}x{n}" for e, n in errors.get(name, {}).items()))
    console.print(calls)
    opened = [f for f in dynamic["files"] if f.get("exists")]
    console.print(f"files opened: {len(opened)} (and {len(dynamic['files']) - len(opened)} missing)")
    for sock in dynamic.get("sockets", []):
        console.print(f"  socket {sock.get('family')} {sock.get('type')} bound {sock.get('bound')} "
                      f"connected {sock.get('connected')}")
