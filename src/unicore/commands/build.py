"""`unicore build PATH`: program -> report -> plan -> image, each stage's file kept in the build dir."""

import json
from pathlib import Path

from rich.console import Console

from unicore.analysis.report import load_report, make_report, write_report
from unicore.controller.plan import TARGETS, explain, make_plan
from unicore.errors import BadInputError
from unicore.program import build_program, program_name

console = Console(stderr=True, highlight=False)


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build a program into a specialised unikernel image")
    p.add_argument("path", type=Path, help="a C file, a directory of sources, a Makefile project or a unicore.toml project")
    p.add_argument("--target", default=TARGETS[0], help=f"platform/arch (default {TARGETS[0]})")
    p.add_argument("--report", type=Path, help="use this analysis report instead of analysing the built program")
    p.add_argument("-o", "--output", type=Path, help="the image (default build/<name>.img)")
    p.add_argument("--build-dir", type=Path, help="where intermediate files go (default build/<name>/)")
    p.add_argument("--explain", action="store_true", help="print which libraries were chosen and why")
    p.add_argument("--on-missing", choices=["warn", "error"], default="warn",
                   help="a needed syscall no library provides: warn (ENOSYS at run time) or fail")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE", help="set a library option")
    p.add_argument("--cflags", help="compiler flags for the program (default -O2)")
    p.set_defaults(func=run)


def _options(pairs: list[str]) -> dict[str, str]:
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise BadInputError(f"--option wants NAME=VALUE, got {bad[0]!r}")
    return dict(p.split("=", 1) for p in pairs)


def run(args) -> int:
    name = program_name(args.path)
    build_dir = args.build_dir or Path("build") / name
    output = args.output or Path("build") / f"{name}.img"
    options = _options(args.option)
    with console.status(f"building {name}") as status:
        program = build_program(args.path, build_dir, args.cflags.split() if args.cflags else None,
                                progress=status.update)
        report = _report(args.report, program, build_dir, status)
        plan = make_plan(report["needs"]["syscalls"], args.target, on_missing=args.on_missing,
                         options=options, program={"path": str(program.resolve()), "name": name},
                         warn=lambda m: console.print(m))
        (build_dir / "plan.json").write_text(json.dumps(plan, indent=1) + "\n")
        status.update("compiling and linking the image")
        image = _link(plan, program, output, build_dir)
    if args.explain:
        print(explain(plan))
    console.print(f"image {image} ({image.stat().st_size} bytes, {len(plan['syscalls'])} syscall handlers)")
    return 0


def _report(report_path: Path | None, program: Path, build_dir: Path, status) -> dict:
    if report_path:
        return load_report(report_path)
    from unicore.analysis.static import analyze_static
    status.update(f"analysing {program.name}")
    report = make_report(program, analyze_static(program, progress=status.update), None, "static")
    write_report(report, build_dir / "report.json")
    return report


def _link(plan: dict, program: Path, output: Path, build_dir: Path) -> Path:
    from unicore.buildsys import build_image
    image = build_image(plan, program, output, build_dir)
    sidecar = Path(str(image) + ".plan.json")  # lets `unicore verify IMAGE` find the native program
    sidecar.write_text(json.dumps(plan, indent=1) + "\n")
    return image
