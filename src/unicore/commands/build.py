"""`unicore build PATH | --binary EXE`: program -> report -> plan -> image.

Every stage's file stays in the build directory (report.json, plan.json, rootfs.cpio), so each
stage can be inspected and re-run alone.
"""

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from unicore import rootfs
from unicore.image import rootfs as guestfs
from unicore.analysis.report import POLICIES, load_report, make_report, write_report
from unicore.analysis.pipeline import analyze_binary, check_binary, closure_entries
from unicore.controller.plan import TARGETS, explain, make_plan, parse_target
from unicore.errors import BadInputError
from unicore.program.build import build_program, program_name

console = Console(stderr=True, highlight=False)


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build a program into a specialised unikernel image")
    p.add_argument("path", type=Path, nargs="?",
                   help="a C file, a directory of sources, a Makefile project or a unicore.toml project")
    p.add_argument("--binary", type=Path, metavar="EXE", help="an existing executable, run unmodified")
    p.add_argument("--scenario", action="append", default=[], type=Path, metavar="FILE",
                   help="scenario for the dynamic analysis of --binary (repeatable)")
    p.add_argument("--policy", default=",".join(rootfs.DEFAULT_POLICY), metavar="SYSCALLS,FILES",
                   help=f"for --binary: which analysis decides the syscalls ({', '.join(POLICIES)}) and "
                        f"which files the rootfs gets ({', '.join(rootfs.FILE_POLICIES)}); either or both, "
                        f"comma-separated (default {','.join(rootfs.DEFAULT_POLICY)}; docs/rootfs.md)")
    p.add_argument("--target", default=TARGETS[0], help=f"platform/arch (default {TARGETS[0]})")
    p.add_argument("--report", type=Path, help="use this analysis report instead of analysing")
    p.add_argument("-o", "--output", type=Path, help="the image (default build/<name>.img)")
    p.add_argument("--build-dir", type=Path, help="where intermediate files go (default build/<name>/)")
    p.add_argument("--explain", action="store_true", help="print which libraries were chosen and why")
    p.add_argument("--on-missing", choices=["warn", "error"], default="warn",
                   help="a needed syscall no library provides: warn (ENOSYS at run time) or fail")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE", help="set a library option")
    p.add_argument("--with", dest="with_", action="append", default=[], metavar="LIB",
                   help="also include a library or capability (e.g. 9pfs for host volumes)")
    p.add_argument("--rootfs", type=Path, metavar="DIR", help="a directory tree to add to the root file system")
    p.add_argument("--file", action="append", default=[], metavar="HOST:GUEST", help="add one file to the rootfs")
    p.add_argument("--cflags", help="compiler flags for the program (default -O2)")
    p.set_defaults(func=run)


def _options(pairs: list[str]) -> dict[str, str]:
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise BadInputError(f"--option wants NAME=VALUE, got {bad[0]!r}")
    return dict(p.split("=", 1) for p in pairs)


def run(args) -> int:
    if (args.path is None) == (args.binary is None):
        raise BadInputError("build: give either PATH (sources) or --binary EXE")
    parse_target(args.target)  # a wrong target fails before anything is compiled
    name = args.binary.name if args.binary else program_name(args.path)
    build_dir = args.build_dir or Path("build") / name
    output = args.output or Path("build") / f"{name}.img"
    build_dir.mkdir(parents=True, exist_ok=True)
    args.syscall_policy, args.file_policy = rootfs.parse_policy(args.policy)
    with console.status(f"building {name}") as status:
        program, report, entries = _program_and_report(args, build_dir, status)
        status.update("choosing the root file system")
        files = _rootfs(args, entries, build_dir, report)
        archive = _write_rootfs(files, build_dir)
        plan = _plan(args, report, program, name, archive is not None)
        (build_dir / "plan.json").write_text(json.dumps(plan, indent=1) + "\n")
        status.update("compiling and linking the image")
        # an unmodified binary runs from the rootfs (exec), where its libraries are: not embedded twice
        image = _link(plan, None if args.binary else program, output, build_dir, archive)
    if args.explain:
        print(explain(plan))
        if files is not None:
            console.print(_groups_table(files, archive))
    console.print(f"image {image} ({image.stat().st_size} bytes, {len(plan['syscalls'])} syscall handlers)")
    return 0


def _program_and_report(args, build_dir: Path, status) -> tuple[Path, dict, list[guestfs.Entry]]:
    if args.binary:
        binary = check_binary(args.binary)
        report = load_report(args.report) if args.report else \
            analyze_binary(binary, args.scenario, args.syscall_policy, build_dir, status.update)
        return binary, report, closure_entries(binary, report)
    program = build_program(args.path, build_dir, args.cflags.split() if args.cflags else None,
                            progress=status.update)
    return program, _source_report(args.report, program, build_dir, status), []


def _source_report(report_path: Path | None, program: Path, build_dir: Path, status) -> dict:
    if report_path:
        return load_report(report_path)
    from unicore.analysis.static.analyze import analyze_static
    status.update(f"analysing {program.name}")
    report = make_report(program, analyze_static(program, progress=status.update), None, "static")
    write_report(report, build_dir / "report.json")
    return report


def _user_entries(args) -> list[guestfs.Entry]:
    return (guestfs.from_tree(args.rootfs) if args.rootfs else []) + guestfs.from_pairs(args.file)


def _rootfs(args, entries: list[guestfs.Entry], build_dir: Path, report: dict) -> rootfs.Rootfs | None:
    """The groups of the root file system: for --binary by the file policy, for sources only
    what the user gave (a program built here has no other files to find)."""
    user = _user_entries(args)
    if not args.binary:
        return rootfs.Rootfs("user", [rootfs.Group("user files", "given with --rootfs or --file", user)], []) \
            if user else None
    return rootfs.assemble(entries, report["needs"]["files"], args.file_policy, build_dir, user)


def _write_rootfs(files: rootfs.Rootfs | None, build_dir: Path) -> Path | None:
    """rootfs.cpio, and rootfs.json (each group, its reason, size and files) beside it."""
    entries = files.entries() if files is not None else []
    if not entries:
        return None
    out = build_dir / "rootfs.cpio"
    size = guestfs.write_cpio(entries, out)
    (build_dir / "rootfs.json").write_text(json.dumps(files.describe(size), indent=1) + "\n")
    if files.skipped:
        console.print(f"left out (outside the allowed prefixes, or not regular files): {', '.join(files.skipped)}")
    console.print(f"root file system: {size} bytes, {len(entries)} entries, policy {files.policy}"
                  + ("" if files.policy == "user" else " (build --explain lists why)"))
    return out


def _groups_table(files: rootfs.Rootfs, archive: Path | None) -> Table:
    total = archive.stat().st_size if archive else 0
    table = Table("group", "files", "size", "why", title=f"root file system, policy {files.policy} "
                  f"({total} bytes archived)")
    for g in files.groups:
        table.add_row(g.name, str(len(g.entries)), _kib(g.size), g.reason)
    return table


def _kib(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n < 10 << 20 else f"{n / (1 << 20):.1f} MiB"


def _project_image(path: Path | None) -> dict:
    """The `[image]` table of a unicore.toml project: `with` (libraries its image always carries)
    and `options` (library options, as --option would set them)."""
    project = path / "unicore.toml" if path and path.is_dir() else None
    if not project or not project.is_file():
        return {"with": [], "options": {}}
    import tomllib
    try:
        image = tomllib.loads(project.read_text()).get("image", {})
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{project}: {exc}") from None
    with_, options = image.get("with", []), image.get("options", {})
    if not isinstance(with_, list) or not all(isinstance(v, str) for v in with_):
        raise BadInputError(f"{project}: [image] with must be a list of library names")
    if not isinstance(options, dict):
        raise BadInputError(f"{project}: [image] options must be a table of NAME = value")
    return {"with": with_, "options": {k: str(v).lower() if isinstance(v, bool) else str(v)
                                       for k, v in options.items()}}


def _plan(args, report: dict, program: Path, name: str, has_rootfs: bool) -> dict:
    project = _project_image(args.path)
    extra = {lib: f"listed in {args.path}/unicore.toml" for lib in project["with"]}
    extra.update({lib: "requested with --with" for lib in args.with_})
    if has_rootfs:
        extra["initrd"] = "the image has a root file system"
    if args.binary:
        extra["exec"] = "runs the unmodified executable (static, PIE or dynamically linked)"
    info = {"path": str(program.resolve()), "name": name, "binary": bool(args.binary)}
    if args.binary:
        info["guest_path"] = str(program)  # check_binary made it absolute: its path in the rootfs
    return make_plan(report["needs"]["syscalls"], args.target, on_missing=args.on_missing,
                     options={**project["options"], **_options(args.option)}, program=info, extra=extra,
                     warn=lambda m: console.print(m))


def _link(plan: dict, program: Path | None, output: Path, build_dir: Path, rootfs: Path | None) -> Path:
    from unicore.image import build_image
    image = build_image(plan, program, output, build_dir, rootfs=rootfs)
    sidecar = Path(str(image) + ".plan.json")  # lets `unicore verify IMAGE` find the native program
    sidecar.write_text(json.dumps(plan, indent=1) + "\n")
    return image
