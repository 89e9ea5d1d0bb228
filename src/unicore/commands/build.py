"""`unicore build PATH | --binary EXE`: argparse and printing over the build pipeline
(unicore/pipeline.py: program -> report -> plan -> image)."""

from pathlib import Path

from rich.console import Console
from rich.table import Table

from unicore import rootfs
from unicore.analysis.report import POLICIES
from unicore.controller.plan import TARGETS, explain
from unicore.errors import BadInputError
from unicore.pipeline import BuildRequest, BuildResult, build, per_target, project_requests

console = Console(stderr=True, highlight=False)


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build a program into a specialised unikernel image")
    p.add_argument("path", type=Path, nargs="?",
                   help="a C file, a directory of sources, a Makefile project or a unicore.toml project")
    p.add_argument("--binary", type=Path, metavar="EXE", help="an existing executable, run unmodified")
    p.add_argument("--sysroot", type=Path, metavar="DIR",
                   help="for --binary: the system root EXE and its libraries come from (a foreign "
                        "architecture's Debian system, e.g. arm64: docs/arm64.md); DIR is the guest's /")
    p.add_argument("--scenario", action="append", default=[], type=Path, metavar="FILE",
                   help="scenario for the dynamic analysis of --binary (repeatable)")
    p.add_argument("--policy", default=",".join(rootfs.DEFAULT_POLICY), metavar="SYSCALLS,FILES",
                   help=f"for --binary: which analysis decides the syscalls ({', '.join(POLICIES)}) and "
                        f"which files the rootfs gets ({', '.join(rootfs.FILE_POLICIES)}); either or both, "
                        f"comma-separated (default {','.join(rootfs.DEFAULT_POLICY)}; docs/rootfs.md)")
    p.add_argument("--target", default=TARGETS[0],
                   help=f"platform/arch: {', '.join(TARGETS)} (default {TARGETS[0]}); a comma-separated list or "
                        "`all` builds one image per target, named by it (IMAGE.spt-x86_64.img)")
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
    p.add_argument("--explore", action="store_true",
                   help="explore which syscalls can be stubbed (ENOSYS) or faked (0) with the scenarios; "
                        "those get no handler or the shared return-0 entry (docs/explore.md)")
    p.add_argument("--fuzz", type=int, default=0, metavar="N",
                   help="with --explore: first try N mutated inputs, keeping those that reach new syscalls or files")
    p.add_argument("--force", action="store_true",
                   help="build --binary even though the program crashed during its analysis run")
    p.set_defaults(func=run)


def _options(pairs: list[str]) -> dict[str, str]:
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise BadInputError(f"--option wants NAME=VALUE, got {bad[0]!r}")
    return dict(p.split("=", 1) for p in pairs)


def request(args) -> BuildRequest:
    return BuildRequest(path=args.path, binary=args.binary, scenarios=args.scenario, policy=args.policy,
                        target=args.target, report=args.report, output=args.output, build_dir=args.build_dir,
                        on_missing=args.on_missing, options=_options(args.option), with_=args.with_,
                        rootfs_tree=args.rootfs, files=args.file,
                        cflags=args.cflags.split() if args.cflags else None, force=args.force,
                        explore=args.explore, fuzz=args.fuzz, sysroot=args.sysroot)


def run(args) -> int:
    """One image, or one per target: a project directory's unicore.toml `targets`, or
    `--target all` / a list (docs/spt.md)."""
    for req in project_requests(request(args)):
        for one in per_target(req):
            _build_one(one, args)
    return 0


def _build_one(req: BuildRequest, args) -> None:
    with console.status(f"building for {req.target}") as status:
        result = build(req, progress=status.update, warn=lambda m: console.print(m))
    if result.rootfs_cpio:
        _print_rootfs(result)
    if args.explain:
        print(explain(result.plan))
        if result.rootfs_files is not None:
            console.print(_groups_table(result))
    console.print(f"image {result.image} ({result.image.stat().st_size} bytes, "
                  f"{len(result.plan['syscalls'])} syscall handlers, target {req.target}"
                  + (", from the cache" if result.cached else "") + ")")
    if result.unexplored:
        console.print(compare_line(result), soft_wrap=True)


def compare_line(result: BuildResult) -> str:
    """Before (no exploration) and after: image bytes, handlers, libraries dropped."""
    before, plan = result.unexplored, result.plan
    return (f"exploration: image {before['image_bytes']} -> {result.image.stat().st_size} bytes, "
            f"{before['handlers']} -> {len(plan['syscalls'])} syscall handlers "
            f"({len(plan['stubbed'])} stubbed, {len(plan['faked'])} faked), "
            f"{before['libraries']} -> {len(plan['libraries'])} libraries"
            + (f" (dropped: {', '.join(before['dropped'])})" if before["dropped"] else ""))


def _print_rootfs(result: BuildResult) -> None:
    files = result.rootfs_files
    if files.skipped:
        console.print(f"left out (outside the allowed prefixes, or not regular files): {', '.join(files.skipped)}")
    console.print(f"root file system: {result.rootfs_size} bytes, {len(files.entries())} entries, policy {files.policy}"
                  + ("" if files.policy == "user" else " (build --explain lists why)"))


def _groups_table(result: BuildResult) -> Table:
    table = Table("group", "files", "size", "why", title=f"root file system, policy {result.rootfs_files.policy} "
                  f"({result.rootfs_size} bytes archived)")
    for g in result.rootfs_files.groups:
        table.add_row(g.name, str(len(g.entries)), _kib(g.size), g.reason)
    return table


def _kib(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n < 10 << 20 else f"{n / (1 << 20):.1f} MiB"
