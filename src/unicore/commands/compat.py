"""`unicore compat [--fast] [-k NAME]... [--corpus FILE] [--json FILE]`: run the compatibility
corpus (benchmarks/compat), print each case and the pass rate.

Exit status 0 when every case that fails is a root-caused known failure (`known` in the corpus)
and no known failure passes unnoticed: a regression or an unexplained failure exits 1.
"""

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from unicore.errors import BadInputError

DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "benchmarks" / "compat" / "corpus.toml"
console = Console(highlight=False)


def add_parser(sub) -> None:
    p = sub.add_parser("compat", help="run the compatibility corpus: Debian programs, native vs unikernel")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus file (default benchmarks/compat/corpus.toml)")
    p.add_argument("--fast", action="store_true", help="only the cases marked fast (the `make test` subset)")
    p.add_argument("-k", dest="names", action="append", default=[], metavar="NAME",
                   help="only cases whose name contains NAME (repeatable)")
    p.add_argument("--cache", type=Path, default=Path("build/compat"), help="image cache (default build/compat)")
    p.add_argument("--json", type=Path, help="also write the results as JSON")
    p.set_defaults(func=run)


def _select(cases, fast: bool, names: list[str]):
    chosen = [c for c in cases if (not fast or c.fast) and (not names or any(n in c.name for n in names))]
    if not chosen:
        raise BadInputError("no case of the corpus matches")
    return chosen


def _verdict(r) -> str:
    if r.passed:
        return "[green]pass[/]" + (" [yellow](known failure passes now)[/]" if r.case.known else "")
    return "[yellow]known[/]" if r.case.known else "[red]FAIL[/]"


def _table(results) -> Table:
    table = Table("case", "program", "result", "build", "native", "unikernel", "why")
    for r in results:
        build = "cached" if r.build and r.build.cached else f"{r.build.seconds:.0f} s" if r.build else "-"
        why = r.case.known if r.case.known and not r.passed else "; ".join(r.differences)
        table.add_row(r.case.name, r.case.program.name, _verdict(r), build, f"{r.native_s * 1000:.0f} ms",
                      f"{r.guest_s:.2f} s", why[:300])
    return table


def _record(r) -> dict:
    return {"name": r.case.name, "program": str(r.case.program), "passed": r.passed,
            "differences": r.differences, "known": r.case.known,
            "build_s": r.build.seconds if r.build else None, "cached": bool(r.build and r.build.cached),
            "image_bytes": r.build.image.stat().st_size if r.build and r.build.image else None,
            "native_s": r.native_s, "unikernel_s": r.guest_s}


def _progress(r, json_file: Path | None) -> None:
    """One line per finished case (and the JSON lines so far), so a long run shows its failures."""
    console.print(f"{r.case.name}: {_verdict(r)} {'; '.join(r.differences)[:200]}")
    if json_file:
        with open(json_file.with_suffix(".partial.jsonl"), "a") as f:
            f.write(json.dumps(_record(r)) + "\n")


def run(args) -> int:
    from unicore.compat import load_corpus, run_corpus
    cases = _select(load_corpus(args.corpus), args.fast, args.names)
    with console.status("compatibility corpus") as status:
        results = run_corpus(cases, args.cache, status.update, lambda r: _progress(r, args.json))
    console.print(_table(results))
    passed = sum(r.passed for r in results)
    programs = len({r.case.program for r in results})
    good_programs = len({r.case.program for r in results} - {r.case.program for r in results if not r.passed})
    console.print(f"pass rate: {passed}/{len(results)} cases ({100 * passed / len(results):.0f}%), "
                  f"{good_programs}/{programs} programs with every case passing")
    if args.json:
        args.json.write_text(json.dumps([_record(r) for r in results], indent=1) + "\n")
    surprises = [r for r in results if r.passed == bool(r.case.known)]
    return 1 if surprises else 0
