"""The build pipeline as one callable: program -> report -> plan -> image (docs/design.md).

`build(BuildRequest)` is what `unicore build` does, without argparse or printing: it builds the
program (program/) or takes an unmodified executable, analyses it (analysis/), chooses the
libraries (controller/), assembles the root file system and links the image (image/), and
writes the plan beside the image (controller/planfile.py). `unicore build` and the bench call
it; each stage's file stays in the build directory (report.json, plan.json, rootfs.cpio), so a
stage can be inspected and re-run alone.

This is the one module that spans stages; every other module belongs to one stage folder.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from unicore.analysis.analyze import analyze
from unicore.analysis.report import Report, load_report, needed_syscalls, write_report
from unicore.controller.plan import TARGETS, check_requested, make_plan, parse_target, parse_targets
from unicore.controller.planfile import Plan, plan_of_image, write_plan
from unicore.image import cache as image_cache
from unicore.formats import elf
from unicore.image.facts import RAM_BASE, image_facts
from unicore.errors import BadInputError
from unicore import rootfs as rootfs_policy
from unicore.image import build_image, rootfs
from unicore.program import project
from unicore.program.build import build_program, program_name

Progress = Callable[[str], None]


@dataclass
class BuildRequest:
    """One build, as `unicore build`'s flags give it (docs/image.md)."""
    path: Path | None = None            # C file, source directory, Makefile or unicore.toml project
    binary: Path | None = None          # or an existing executable, run unmodified
    scenarios: list[Path] = field(default_factory=list)   # dynamic analysis of `binary`
    policy: str = ",".join(rootfs_policy.DEFAULT_POLICY)  # SYSCALLS,FILES for `binary` (docs/rootfs.md)
    target: str = TARGETS[0]
    report: Path | None = None          # use this report instead of analysing
    output: Path | None = None          # default build/<name>.img
    build_dir: Path | None = None       # default build/<name>/
    on_missing: str = "warn"
    options: dict[str, str] = field(default_factory=dict)  # UK_<LIB>_<NAME> -> value
    with_: list[str] = field(default_factory=list)         # extra libraries or capabilities
    rootfs_tree: Path | None = None     # a directory tree added at the guest's /
    files: list[str] = field(default_factory=list)         # HOST:GUEST pairs
    cflags: list[str] | None = None     # for the program (default -O2)
    force: bool = False                 # build a binary that crashed natively in its analysis run
    explore: bool = False               # stub/fake exploration in the analysis (docs/explore.md)
    sysroot: Path | None = None         # `binary`'s system root (a foreign Debian system, docs/arm64.md)
    fuzz: int = 0                       # mutated inputs tried before exploring

    @property
    def name(self) -> str:
        return self.binary.name if self.binary else program_name(self.path)


@dataclass
class BuildResult:
    image: Path
    plan: Plan
    report: Report
    build_dir: Path
    rootfs_cpio: Path | None = None                     # the cpio archive linked in, if any
    rootfs_files: rootfs_policy.Rootfs | None = None    # its groups, each with a reason (--explain)
    rootfs_size: int = 0
    cache_key: str = ""                                 # the image's content key (image/cache.py)
    cached: bool = False                                # the image came from the cache
    unexplored: dict | None = None      # the same build without the exploration's stubs and fakes


def project_requests(req: BuildRequest) -> list[BuildRequest]:
    """A project directory's build as one request per target in its `targets` (program/project.py),
    a [binary] project's as --binary builds with its [image] settings; any other request as is."""
    if not (req.path and Path(req.path).is_dir() and project.is_project(req.path)):
        return [req]
    proj = project.load(req.path)
    images = proj.images(req.target, req.output)
    requests = []
    for target, image, build_dir in images:
        if req.build_dir:
            build_dir = req.build_dir if len(images) == 1 else req.build_dir / target.replace("/", "-")
        one = replace(req, target=target, output=image, build_dir=build_dir)
        if proj.binary:
            one = replace(one, path=None, binary=proj.binary.path,
                          scenarios=[*proj.binary.scenarios, *req.scenarios], policy=proj.binary.policy or req.policy,
                          with_=[*proj.image_with, *req.with_], options={**proj.image_options, **req.options})
        requests.append(one)
    return requests
def per_target(req: BuildRequest) -> list[BuildRequest]:
    """One request per target of `req.target` (docs/spt.md: `--target all` or a list): with more
    than one, each image and build directory is named by its target (hello.spt-x86_64.img,
    build/hello/spt-x86_64/); with one, the request as it is."""
    import dataclasses
    targets = parse_targets(req.target)
    if len(targets) == 1:
        return [dataclasses.replace(req, target=targets[0])]
    output = req.output or Path("build") / f"{req.name}.img"
    build_dir = req.build_dir or Path("build") / req.name
    out = []
    for t in targets:
        tag = t.replace("/", "-")
        out.append(dataclasses.replace(req, target=t, output=output.with_name(f"{output.stem}.{tag}{output.suffix}"),
                                       build_dir=build_dir / tag))
    return out


def build(req: BuildRequest, progress: Progress = lambda _: None, warn: Progress = print) -> BuildResult:
    if (req.path is None) == (req.binary is None):
        raise BadInputError("build: give either PATH (sources) or --binary EXE")
    if req.report and (req.explore or req.fuzz):
        raise BadInputError("build: --explore and --fuzz analyse the program: not with --report")
    if req.explore and not req.scenarios:
        warn("warning: --explore without --scenario: one run with no arguments and empty stdin decides "
             "which syscalls lose their handlers")
    parse_target(req.target)  # a wrong target fails before anything is compiled
    build_dir = req.build_dir or Path("build") / req.name
    output = req.output or Path("build") / f"{req.name}.img"
    if build_dir.exists() and not build_dir.is_dir():
        raise BadInputError(f"build: --build-dir {build_dir} exists and is not a directory")
    build_dir.mkdir(parents=True, exist_ok=True)
    proj = project.load(req.path) if req.path and project.is_project(req.path) else None
    syscall_policy, file_policy = rootfs_policy.parse_policy(req.policy)
    if req.sysroot:
        syscall_policy, file_policy = _sysroot_policy(req, syscall_policy, file_policy, warn)
    program, report, entries = _program_and_report(req, syscall_policy, build_dir, progress)
    for line in check_analysis_runs(report, req.force):
        warn(f"warning: {line} (--force)")
    result = BuildResult(output, {}, report, build_dir)  # type: ignore[arg-type]
    progress("choosing the root file system")
    _rootfs(result, req, entries, file_policy)
    result.plan = _plan(req, proj, report, program, result.rootfs_cpio is not None, warn)
    write_plan(result.plan, build_dir / "plan.json")
    # an unmodified binary runs from the rootfs (exec), where its libraries are: not embedded twice
    result.image = _link(result, None if req.binary else program, output, progress)
    write_plan({**result.plan, "image": image_facts(result.image)}, plan_of_image(result.image))  # type: ignore[typeddict-unknown-key]
    if result.plan["stubbed"] or result.plan["faked"]:
        progress("building the image without the stubs and fakes, to compare")
        result.unexplored = _unexplored(req, proj, result, program)
    return result


def _link(result: BuildResult, program: Path | None, output: Path, progress: Progress) -> Path:
    """The image from the cache when one with the same inputs was linked before (image/cache.py;
    the build directory then lacks the link's intermediate files), else linked and cached."""
    image, result.cache_key, result.cached = _cached_link(result.plan, program, output, result.build_dir,
                                                          result.rootfs_cpio, progress)
    return image


def _cached_link(plan: Plan, program: Path | None, output: Path, build_dir: Path, rootfs: Path | None,
                 progress: Progress) -> tuple[Path, str, bool]:
    key = image_cache.image_key(plan, program, rootfs)
    if image_cache.fetch(key, output):
        progress(f"image from the cache ({key[:16]})")
        return Path(output), key, True
    progress("compiling and linking the image")
    image = build_image(plan, program, output, build_dir, rootfs=rootfs)
    image_cache.store(key, image)
    return image, key, False


def _unexplored(req: BuildRequest, proj, result: BuildResult, program: Path) -> dict:
    """Image bytes, handlers and libraries of the build the report's needs without exploration
    would give (built in BUILD_DIR/unexplored/), beside this build's."""
    needs = result.report["needs"]
    full = {**result.report, "needs": {**needs, "syscalls": needed_syscalls(
        result.report["static"], result.report["dynamic"], needs["policy"]), "stub": [], "fake": []}}
    plan = _plan(req, proj, full, program, result.rootfs_cpio is not None, lambda _: None)
    out_dir = result.build_dir / "unexplored"
    image, _, _ = _cached_link(plan, None if req.binary else program, out_dir / "image.img", out_dir,
                               result.rootfs_cpio, lambda _: None)
    write_plan(plan, plan_of_image(image))  # runnable too: `unicore run BUILD_DIR/unexplored/image.img`
    names = {lib["name"] for lib in result.plan["libraries"]}
    return {"image_bytes": image.stat().st_size, "handlers": len(plan["syscalls"]),
            "libraries": len(plan["libraries"]),
            "dropped": sorted(lib["name"] for lib in plan["libraries"] if lib["name"] not in names)}


MACHINES = {3: "i386", 40: "arm", 62: "x86_64", 183: "aarch64", 243: "riscv64", 8: "mips", 20: "ppc", 21: "ppc64",
            22: "s390x"}


def elf_arch(path: Path) -> str | None:
    """The architecture of an ELF file (from e_machine), None when it is no ELF file."""
    with open(path, "rb") as f:
        header = f.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return MACHINES.get(machine, f"ELF machine {machine}")


def check_binary(path: Path, arch: str = "x86_64") -> Path:
    """The executable as an absolute path; refused (one line) when it is missing, no ELF file,
    or built for another architecture than the target's `arch` (it could only fail at boot)."""
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if not path.is_file():
        raise BadInputError(f"{path}: not a regular file")
    found = elf_arch(path)
    if found is None:
        raise BadInputError(f"{path}: not an ELF executable")
    if found != {"arm64": "aarch64"}.get(arch, arch):
        raise BadInputError(f"{path} is an executable for {found}; the target's architecture is {arch}")
    _check_fixed_address(path, arch)
    return path.absolute()


def _check_fixed_address(path: Path, arch: str) -> None:
    """A fixed-address (non-PIE) executable must lie in guest RAM, where lib/exec loads it as
    linked: QEMU virt's RAM starts at 1 GiB, below it are devices, so an arm64 one linked at the
    usual 0x400000 would only be refused at boot."""
    header = elf.parse(path.read_bytes(), path)
    low = min((s.vaddr for s in header.segments if s.type == elf.PT_LOAD), default=0)
    if header.type == elf.ET_EXEC and low < RAM_BASE.get(arch, 0):
        raise BadInputError(f"{path} is a non-PIE executable linked at {low:#x}, below the guest RAM of "
                            f"{arch} (from {RAM_BASE[arch]:#x}): rebuild it as PIE (gcc -pie)")


def check_analysis_runs(report: dict, force: bool) -> list[str]:
    """Runs of the dynamic analysis in which the program itself crashed: an error (the image would
    be specialised to a crash) unless `force`, then the same sentences as warnings."""
    crashed = [r for r in (report.get("dynamic") or {}).get("runs", []) if r.get("crashed")]
    lines = [f"the program crashed natively ({r.get('signal')}) in its analysis run "
             f"'{r.get('scenario') or 'default'}'" for r in crashed]
    if lines and not force:
        raise BadInputError(f"{lines[0]}: its syscalls may be incomplete; fix the program or scenario, "
                            "or pass --force to build anyway")
    return lines


def _sysroot_policy(req: BuildRequest, syscalls: str, files: str, warn: Progress) -> tuple[str, str]:
    """A binary from a sysroot: its dynamic analysis runs under QEMU user mode
    (analysis/dynamic/user_mode.py); the file policies read the sysroot's package database
    (program/sysroot.py writes it; docs/arm64.md)."""
    if req.binary is None:
        raise BadInputError("--sysroot goes with --binary")
    if not req.sysroot.is_dir():
        raise BadInputError(f"--sysroot {req.sysroot}: no such directory")
    if not req.binary.absolute().is_relative_to(req.sysroot.absolute()):
        raise BadInputError(f"--binary {req.binary} is not inside --sysroot {req.sysroot}")
    if req.explore or req.fuzz:
        raise BadInputError("--sysroot: --explore and --fuzz are not supported for a binary run under QEMU user mode")
    return syscalls, files


def _program_and_report(req: BuildRequest, syscall_policy: str, build_dir: Path, progress: Progress):
    if req.binary:
        binary = check_binary(req.binary, parse_target(req.target)[1])
        report = load_report(req.report) if req.report else _analyze(binary, req, build_dir, progress,
                                                                     syscall_policy)
        return binary, report, rootfs.closure_entries(binary, report, req.sysroot)
    program = build_program(req.path, build_dir, req.cflags, progress=progress, arch=parse_target(req.target)[1])
    policy = "static+dynamic" if req.explore or req.fuzz else "static"
    report = load_report(req.report) if req.report else _analyze(program, req, build_dir, progress, policy)
    return program, report, []


def _analyze(program: Path, req: BuildRequest, build_dir: Path, progress: Progress, policy: str) -> Report:
    """A program built from sources is analysed statically (it has no scenarios) unless asked to
    explore; a binary by policy."""
    progress(f"analysing {program.name}" + (" (exploring stubs and fakes)" if req.explore else ""))
    report = analyze(program, [], req.scenarios, policy=policy, progress=progress, explore=req.explore,
                     fuzz=req.fuzz, sysroot=req.sysroot)
    write_report(report, build_dir / "report.json")
    return report


def _user_entries(req: BuildRequest) -> list[rootfs.Entry]:
    return (rootfs.from_tree(req.rootfs_tree) if req.rootfs_tree else []) + rootfs.from_pairs(req.files)


def _rootfs(result: BuildResult, req: BuildRequest, entries: list[rootfs.Entry], file_policy: str) -> None:
    """The groups of the root file system (for --binary by the file policy, for sources only what
    the user gave), written as rootfs.cpio with rootfs.json (each group, its reason and size)."""
    user = _user_entries(req)
    if req.binary:
        executed = [e["path"] for e in (result.report.get("dynamic") or {}).get("exec", [])]
        executed += [p["path"] for p in _named_programs(result.report)]
        files = rootfs_policy.assemble(entries, result.report["needs"]["files"], file_policy,
                                       result.build_dir, user, executed, sysroot=req.sysroot)
    else:
        files = rootfs_policy.Rootfs("user", [rootfs_policy.Group("user files", "given with --rootfs or --file",
                                                                  user)], []) if user else None
    if files is None or not files.entries():
        return
    result.rootfs_files, result.rootfs_cpio = files, result.build_dir / "rootfs.cpio"
    result.rootfs_size = rootfs.write_cpio(files.entries(), result.rootfs_cpio)
    (result.build_dir / "rootfs.json").write_text(json.dumps(files.describe(result.rootfs_size), indent=1) + "\n")


# What only the proc library provides: a binary whose analysis runs made no process gets no
# handler for them (ENOSYS, named with --debug) even when its libc could reach them (system()),
# so that a single-process image keeps no process code. --with proc brings them back.
PROCESS_SYSCALLS = ("fork", "vfork", "execve", "execveat", "wait4", "waitid")
# Likewise for sockets: glibc reaches them from NSS, syslog and getaddrinfo in nearly every
# program, so an unmodified binary whose runs made no socket call gets no network stack (hello
# and head stay as small as without networking). --with net brings it back.
SOCKET_SYSCALLS = ("socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "sendto",
                   "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname", "getpeername",
                   "setsockopt", "getsockopt")


def _reachable_only(req: BuildRequest, report: Report, extra: dict[str, str]) -> set[str]:
    """Syscalls the static analysis reaches but the analysis runs never made, left without a
    handler: process calls unless the runs made processes, socket calls of a binary unless the
    runs made one (both unless the library is asked for). An interpreter keeps them all: its
    script, not the analysis run, decides which calls it makes (subprocess, asyncio, sockets)."""
    dynamic = report.get("dynamic") or {}
    if not dynamic.get("runs") or (req.binary and rootfs_policy.interpreter_family(str(req.binary))):
        return set()
    drop = set() if "proc" in extra else set(PROCESS_SYSCALLS)
    if req.binary and "net" not in extra and not _made_network(dynamic):
        drop |= set(SOCKET_SYSCALLS)
    return drop


def _made_network(dynamic: dict) -> bool:
    """Whether the runs used a socket the net library serves: an internet one or an AF_UNIX pair.
    A connect to a named AF_UNIX socket (glibc's probe of nscd, syslog's /dev/log) does not count:
    the net library has no named AF_UNIX sockets, and without a daemon it fails natively too."""
    if "socketpair" in dynamic.get("syscalls", {}):
        return True
    return any(s.get("family") != "AF_UNIX" or s.get("bound") or s.get("listening") or not s.get("connected")
               for s in dynamic.get("sockets", []))


def _processes(report: Report) -> dict[str, str]:
    """The process library when the analysis runs made processes (fork, or clone without
    CLONE_THREAD, or execve); a build without it keeps no process code."""
    dynamic = report.get("dynamic") or {}
    executed = sorted({e["path"] for e in dynamic.get("exec", [])})
    if executed:
        shown = ", ".join(executed[:3]) + (", ..." if len(executed) > 3 else "")
        return {"proc": f"the analysis runs started programs with execve ({shown})"}
    if dynamic.get("processes"):
        return {"proc": f"the analysis runs made {dynamic['processes']} processes (fork, clone without CLONE_THREAD)"}
    named = _named_programs(report)
    if named:
        return {"proc": f"the program can start {named[0]['path']}: {named[0]['why']}"}
    return {}


def _named_programs(report: Report) -> list[dict]:
    """Programs of the program's package it names and can start (analysis/static/programs.py)."""
    return (report.get("static") or {}).get("named_programs") or []


def _rewritable_sites(report: Report, program: Path) -> list[list[int]]:
    """The table spt's loader rewrites (program/sites.py): the program's resolved sites
    ([address, number]) and the others ([address, -1]) in a form it takes, less those of a
    checked form that a branch enters."""
    static = report.get("static") or {}
    sites = [[int(a, 16), n] for a, n in (static.get("program_sites") or {}).items()]
    unresolved = {int(s["address"], 16) for s in static.get("unresolved_sites") or []
                  if Path(s.get("object", "")) == program.resolve()}
    unresolved |= {int(a, 16) for a in static.get("program_other_sites") or []}
    from unicore.program.sites import ANY_NUMBER, rewritable_sites
    return rewritable_sites(program, sites + [[a, ANY_NUMBER] for a in sorted(unresolved)])


def _plan(req: BuildRequest, proj: project.Project | None, report: Report, program: Path,
          has_rootfs: bool, warn: Progress) -> Plan:
    extra = {lib: f"listed in {req.path}/unicore.toml" for lib in (proj.image_with if proj else ())}
    check_requested(list(req.with_), req.target)
    extra.update({lib: "requested with --with" for lib in req.with_})
    if has_rootfs:
        extra["initrd"] = "the image has a root file system"
    if req.binary:
        extra["exec"] = "runs the unmodified executable (static, PIE or dynamically linked)"
    extra.update(_processes(report))
    info = {"path": str(program.resolve()), "name": req.name, "binary": bool(req.binary)}
    if req.binary:
        info["guest_path"] = rootfs.guest_path(program, req.sysroot)  # absolute: its path in the rootfs
    elif req.target.startswith("spt/"):  # resolved sites spt rewrites into direct calls (docs/spt.md)
        info["syscall_sites"] = _rewritable_sites(report, program)
    options = {**(proj.image_options if proj else {}), **req.options}
    needs = report["needs"]
    why = needs.get("reasons", {})
    seen = (report.get("dynamic") or {}).get("syscalls", {})  # ranks the missing-call warning
    drop = _reachable_only(req, report, extra)
    syscalls = [s for s in needs["syscalls"] if s not in drop]  # reachable in the libc only
    return make_plan(syscalls, req.target, on_missing=req.on_missing,
                     options=options, program=info, extra=extra, warn=warn, seen=seen,
                     stubbed={s: why.get(s, "stubbed by the report") for s in needs.get("stub", [])},
                     faked={s: why.get(s, "faked by the report") for s in needs.get("fake", [])})
