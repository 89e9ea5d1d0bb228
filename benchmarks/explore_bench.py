"""Stub/fake exploration of real Debian programs (not a test): the docs/explore.md table.

    .venv/bin/python benchmarks/explore_bench.py [--out DIR] [--images] [--fuzz N] [--jobs J] [NAME...]

For each program below, one scenario (where Loupe has the same application, its workload:
`perl -v`, `python3 --version`, a Lua hello world, compressing a file to stdout) goes through
`analyze_dynamic` and `explore` (analysis/dynamic/explore.py); the row gives the syscalls traced,
required (neither stub nor fake passed), stubbable and fakeable (each alone), and what the final
combined run kept (chosen stubs and fakes, backed off). With --fuzz N, N mutated inputs are tried
first (analysis/dynamic/fuzz.py) and the row says what the kept ones added (syscalls, files) and
explores them too. With --images each program is also built
(`pipeline.build` with --explore, static+dynamic policy) and the row gets the handler count and
image bytes with and without exploration. Results go to DIR/explore.json and a Markdown table
on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from unicore.analysis.dynamic.minimize import dynamic_half
from unicore.analysis.dynamic.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
DEMO_SQL = ROOT / "examples" / "sqlite" / "demo.sql"
TEXT = "".join(f"line {i}: unicore explores which syscalls a program needs ({i * 7919 % 1000})\n"
               for i in range(400))
PY = "import json, sys; print(json.dumps({'argv': sys.argv[1:], 'sum': sum(range(100))}, sort_keys=True))"


@dataclass
class Program:
    name: str
    path: str
    args: list[str]
    stdin: bytes = b""
    files: dict[str, str] = field(default_factory=dict)  # name -> content, made in the run's directory
    scratch: bool = False
    loupe: str = ""    # the Loupe database workload this row is compared with (docs/explore.md)


PROGRAMS = [
    Program("sqlite3", "/usr/bin/sqlite3", ["demo.sqlite"], DEMO_SQL.read_bytes(), scratch=True,
            loupe="sqlite/benchmark-sqlite"),
    Program("python3 --version", "/usr/bin/python3", ["--version"], loupe="python3/benchmark-python-test"),
    Program("python3 -c", "/usr/bin/python3", ["-c", PY, "x", "y"]),
    Program("perl -v", "/usr/bin/perl", ["-v"], loupe="perl/benchmark-perl-test"),
    Program("lua5.4 hello.lua", "/usr/bin/lua5.4", ["hello.lua"], files={"hello.lua": 'print("hello")\n'},
            loupe="lua/benchmark-lua-test"),
    Program("xz -c FILE", "/usr/bin/xz", ["-q", "-f", "-c", "input.txt"], files={"input.txt": TEXT},
            loupe="lzma/benchmark-lzma-test"),
    Program("zstd -c FILE", "/usr/bin/zstd", ["-q", "-c", "input.txt"], files={"input.txt": TEXT},
            loupe="zstd/benchmark-zstd-test"),
    Program("gzip -c FILE", "/usr/bin/gzip", ["-c", "-n", "input.txt"], files={"input.txt": TEXT}),
    Program("grep -c", "/usr/bin/grep", ["-c", "-i", "line 1", "input.txt"], files={"input.txt": TEXT}),
    Program("sed", "/usr/bin/sed", ["-n", "s/explores/EXPLORES/p;10q", "input.txt"], files={"input.txt": TEXT}),
    Program("gawk", "/usr/bin/gawk", ["{ n += $2 } END { print NR, n }", "input.txt"], files={"input.txt": TEXT}),
    Program("jq", "/usr/bin/jq", ["-S", "[.[] | select(.n > 1) | .name]"],
            b'[{"name": "a", "n": 1}, {"name": "b", "n": 2}, {"name": "c", "n": 3}]\n'),
]


def scenario(prog: Program, work: Path) -> Scenario:
    cwd = work / prog.name.replace(" ", "_").replace("/", "_")
    cwd.mkdir(parents=True, exist_ok=True)
    for name, text in prog.files.items():
        (cwd / name).write_text(text)
    return Scenario(name=prog.name.split()[0], args=list(prog.args), cwd=cwd, stdin=prog.stdin,
                    env={"HOME": "/nonexistent", "LC_ALL": "C"}, scratch=prog.scratch or bool(prog.files),
                    timeout=20)


def explore_one(prog: Program, work: Path, jobs: int, fuzz: int) -> dict:
    s = scenario(prog, work)
    t0 = time.perf_counter()
    _, section, fuzzed = dynamic_half(Path(prog.path), [], [s], timeout=20, explore=True, fuzz=fuzz, jobs=jobs,
                                      cache_dir=work / "cache")
    c, confirm = section["counts"], section["confirm"]
    found = {"fuzz": {"inputs": fuzzed["inputs"], "kept": len(fuzzed["kept"]), "added_syscalls": fuzzed["added_syscalls"],
                      "added_files": fuzzed["added_files"],
                      "kept_inputs": [{k: m[k] for k in ("args", "mutations", "stdin_bytes", "new_syscalls")}
                                      for m in fuzzed["kept"]]}} if fuzzed else {}
    return {**found, "program": prog.name, "path": prog.path, "loupe": prog.loupe, "seconds": round(time.perf_counter() - t0, 1),
            "used": c["used"], "required": c["required"], "stubbable": c["stubbable"], "fakeable": c["fakeable"],
            "chosen_stub": len(confirm["stub"]), "chosen_fake": len(confirm["fake"]),
            "backed_off": confirm["backed_off"], "confirmed": confirm["passed"], "fallbacks": confirm["new_syscalls"],
            "classes": {n: e["class"] for n, e in section["syscalls"].items()}}


def with_images(row: dict, prog: Program, work: Path) -> None:
    """Build the program explored (`unicore build --binary --explore`) and read both sizes."""
    s = work / f"{row['program'].replace(' ', '_')}.json"
    sc = scenario(prog, work)
    s.write_text(json.dumps({"schema": 1, "name": sc.name, "args": sc.args, "cwd": str(sc.cwd), "scratch": sc.scratch,
                             "stdin": prog.stdin.decode(), "env": sc.env, "timeout": 20}))
    out = work / "images" / s.stem
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", "--binary", prog.path, "--explore",
                           "--scenario", str(s), "-o", str(out / "image.img"), "--build-dir", str(out / "build")],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        row["image_error"] = (proc.stderr or proc.stdout).strip().splitlines()[-1]
        return
    explored = json.loads((out / "image.img.plan.json").read_text())
    full = json.loads((out / "build" / "unexplored" / "image.img.plan.json").read_text())
    row.update(handlers=[len(full["syscalls"]), len(explored["syscalls"])],
               image_bytes=[(out / "build" / "unexplored" / "image.img").stat().st_size,
                            (out / "image.img").stat().st_size],
               libraries_dropped=sorted({lib["name"] for lib in full["libraries"]}
                                        - {lib["name"] for lib in explored["libraries"]}))


def pct(n: int, of: int) -> str:
    return f"{n} ({100 * n / of:.0f}%)" if of else str(n)


def markdown(rows: list[dict]) -> str:
    fuzzed = any("fuzz" in r for r in rows)
    head = ("| program (workload) | traced | required | stubbable | fakeable | kept stub / fake | backed off |"
            " handlers without / with | image bytes without / with |" + (" fuzzing: kept, added syscalls, files |"
                                                                          if fuzzed else ""))
    lines = [head, "|" + "---|" * (10 if fuzzed else 9)]
    for r in rows:
        images = (f"{r['handlers'][0]} / {r['handlers'][1]}", f"{r['image_bytes'][0]} / {r['image_bytes'][1]}") \
            if "handlers" in r else (r.get("image_error", "-"), "-")
        lines.append(f"| {r['program']} | {r['used']} | {pct(r['required'], r['used'])} | "
                     f"{pct(r['stubbable'], r['used'])} | {pct(r['fakeable'], r['used'])} | "
                     f"{r['chosen_stub']} / {r['chosen_fake']} | {', '.join(r['backed_off']) or '-'} | "
                     f"{images[0]} | {images[1]} |" + (_fuzz_cell(r) if fuzzed else ""))
    return "\n".join(lines)


def _fuzz_cell(row: dict) -> str:
    f = row["fuzz"]
    calls = ", ".join(f["added_syscalls"]) or "-"
    return f" {f['kept']} of {f['inputs']}: {len(f['added_syscalls'])} ({calls}), {len(f['added_files'])} |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="programs to run (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--images", action="store_true", help="also build each image with and without exploration")
    ap.add_argument("--fuzz", type=int, default=0, metavar="N", help="mutated inputs to try first")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    chosen = [p for p in PROGRAMS if not args.names or p.name.split()[0] in args.names or p.name in args.names]
    rows = []
    with tempfile.TemporaryDirectory(prefix="unicore-explore-bench-") as tmp:
        for prog in chosen:
            if not Path(prog.path).exists():
                print(f"skipped {prog.name}: {prog.path} is not installed", file=sys.stderr)
                continue
            row = explore_one(prog, Path(tmp), args.jobs, args.fuzz)
            if args.images:
                with_images(row, prog, Path(tmp))
            print(json.dumps({k: v for k, v in row.items() if k != "classes"}), file=sys.stderr)
            rows.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "explore.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
