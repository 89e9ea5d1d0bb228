"""`unicore run IMAGE [-m MEM] [-e KEY=VALUE]... [-v HOSTDIR:GUESTDIR[:ro]]... [--accel auto|kvm|tcg]
[-p [HOSTADDR:]HOSTPORT:GUESTPORT]... [--net user|tap[=NAME]] [--timeout S] [--debug] [--boottime]
[-- ARGS...]`: boot an image on QEMU microvm, or run an spt image under its tender (the image's
target decides), and exit with the program's status."""

import sys
from pathlib import Path

from unicore.cli import STARTED
from unicore.commands._intermixed import intermixed
from unicore.errors import BadInputError
from unicore.controller.planfile import image_record
from unicore.runner import EXIT_NO_STATUS, EXIT_TIMEOUT, choose_accel, run_image
from unicore.runner.run import image_arch, prepare_net
from unicore.runner.lifetime import Interrupted, forward_signals
from unicore.runner.spt import is_spt_image
from unicore.runner.volumes import DEFAULT_SECURITY, SECURITY_MODELS
from unicore.runner.memory import default_mem_mb
from unicore.oci.ref import is_ref
from unicore.runner.tty import Terminal


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="boot an image on QEMU microvm (the program's stdin, stdout, stderr and exit status)")
    intermixed(p)
    p.add_argument("image", help="the image built by `unicore build`, or one packaged by `unicore pkg` "
                                 "(oci:DIR:TAG, oci-archive:FILE:TAG)")
    p.add_argument("-m", "--mem", type=int, metavar="MB",
                   help="guest RAM in MiB (default: 64, or twice the image plus 48 for a larger image)")
    p.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE", help="environment variable")
    p.add_argument("-v", "--volume", action="append", default=[], metavar="HOSTDIR:GUESTDIR[:ro]",
                   help="share a host directory at GUESTDIR over 9p, read-only with :ro (needs the 9pfs library)")
    p.add_argument("--volume-security", choices=SECURITY_MODELS, default=DEFAULT_SECURITY,
                   help="how guest ownership, modes and symlinks reach the host (default mapped-xattr: "
                        "kept in user.virtfs.* attributes; passthrough: real, QEMU stays root)")
    p.add_argument("--no-volume-lock", dest="volume_lock", action="store_false",
                   help="share volumes with other running guests (no lease: they may corrupt each other's files)")
    p.add_argument("-p", "--publish", action="append", default=[], metavar="[HOSTADDR:]HOSTPORT:GUESTPORT",
                   help="forward a host port (on 127.0.0.1 unless HOSTADDR) to a guest port, /udp for UDP "
                        "(QEMU user network; needs the net library)")
    p.add_argument("--net", metavar="user|tap[=NAME]",
                   help="the guest's network: user (default, no root) or an existing tap device (root)")
    p.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto")
    p.add_argument("--timeout", type=float, metavar="S", help="kill the guest after S seconds (exit 124)")
    p.add_argument("--debug", action="store_true", help="kernel names syscalls missing from the image")
    p.add_argument("--boottime", action="store_true", help="kernel prints cycles and us from entry to the program")
    p.add_argument("--timings", action="store_true",
                   help="print where the time went: host set-up, VMM start, guest boot, program, teardown")
    p.add_argument("--argv0", help="argv[0] for the program (default: its name at build time)")
    p.add_argument("-w", "--workdir", metavar="DIR",
                   help="the program's working directory, an absolute guest path (made if missing; default /)")
    p.add_argument("args", nargs="*", help="the program's arguments (after --)")
    p.set_defaults(func=run)


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadInputError(f"-e {pair!r}: expected KEY=VALUE")
        env[key] = value
    return env


def _output(name: str, chunk: bytes) -> None:
    """The program's stdout to ours, its stderr and the kernel's messages (crash report) to our stderr."""
    stream = sys.stdout.buffer if name == "stdout" else sys.stderr.buffer
    stream.write(chunk)
    stream.flush()


def _image_end(image: Path) -> int:
    """Where the image's segments, and those of the fixed-address program it embeds, end in RAM:
    recorded at build time (IMAGE.plan.json); an image without that record (linked by hand) is
    read here, once, as an ELF; 0 if it is none."""
    _, facts = image_record(image)
    if facts is not None:
        return int(facts["load_end"])
    from unicore.image.facts import image_facts  # only for images built without the pipeline
    try:
        return image_facts(image)["load_end"]
    except BadInputError:
        return 0


def _check_memory(image: Path, mem_mb: int) -> None:
    """QEMU cannot place segments beyond RAM and exits without a word: say so before booting.
    Above that, a guest short of memory says so itself (kernel panic "out of memory", exit 134)."""
    end = _image_end(image)
    floor = -(-end // (1 << 20))
    if mem_mb < max(floor, 1):
        raise BadInputError(f"-m {mem_mb}: this image needs more than {max(floor, 1) - 1} MiB (its program and "
                            f"payload end at {end:#x}; add its stack and heap)")


def _print_timings(result) -> None:
    """The phases of this run (runner.run.phases), in ms, on stderr."""
    if result.timings is None:
        print("unicore: timings: the guest did not reach its program or report its exit", file=sys.stderr)
        return
    total = sum(result.timings.values())
    for name, ms in result.timings.items():
        print(f"unicore: timings: {name:<12} {ms:9.2f} ms", file=sys.stderr)
    print(f"unicore: timings: {'total':<12} {total:9.2f} ms (from unicore's start; the Python "
          "interpreter's own start-up comes before)", file=sys.stderr)


def run(args) -> int:
    if is_ref(args.image):
        return _run_packaged(args)
    if Path(args.image).is_dir() and (Path(args.image) / "unicore.toml").is_file():
        return _run_project(args)
    return _run_file(args, Path(args.image), parse_env(args.env))


def _run_project(args) -> int:
    """`unicore run DIR`: the image `unicore build DIR` made (its first target's), with the
    project's [run] section under our flags: memory, env, volumes, ports, arguments."""
    from unicore.program.project import load
    proj = load(Path(args.image))
    _, image, _ = proj.images("")[0]
    spec = proj.run
    args.publish = [*spec.ports, *args.publish]
    args.mem = args.mem or spec.memory
    args.volume = [*spec.volumes, *args.volume]
    args.args = args.args or list(spec.args)
    if not image.is_file():
        raise BadInputError(f"{image} not found: build the project first (`unicore build {args.image}`)")
    return _run_file(args, image, {**spec.env, **parse_env(args.env)})


def _run_packaged(args) -> int:
    """An OCI image from `unicore pkg`: its arguments unless ours are given, its environment
    under ours, its argv0 and memory unless ours are given."""
    from unicore.oci.ref import parse_ref
    from unicore.oci.unpack import unpacked
    with unpacked(parse_ref(args.image)) as packaged:
        settings = packaged.run
        args.args = args.args or settings.args
        args.argv0 = args.argv0 or settings.argv0
        args.mem = args.mem or settings.mem_mb
        return _run_file(args, packaged.kernel, {**settings.env, **parse_env(args.env)}, launchable=False)


def _run_file(args, image: Path, env: dict[str, str], launchable: bool = True) -> int:
    """`launchable`: the image stays where it is (not unpacked for this run only), so the
    launcher may run it from its record (runner/launch.py)."""
    if not image.is_file():
        raise BadInputError(f"image not found: {image}")
    mem_default = default_mem_mb(image)
    if args.mem is None:
        args.mem = mem_default
    _check_memory(image, args.mem)
    if args.workdir is not None and not args.workdir.startswith("/"):
        raise BadInputError(f"-w {args.workdir}: the working directory must be an absolute guest path")
    network = prepare_net(image, args.publish, args.net)  # bad -p/--net: one line, before anything else
    if is_spt_image(image):
        accel, arch = "spt", "x86_64"
        notice = "unicore: platform spt (a sandboxed process, docs/spt.md)"
    else:
        arch = image_arch(image)
        accel, why = choose_accel(args.accel, arch)
        notice = f"unicore: accelerator {accel} ({why})"
    # stdin (a pipe, a file or a terminal) is streamed as the program reads it; a terminal is
    # lent to the guest (isatty, tcsetattr: runner/tty.py)
    stdin = None if sys.stdin is None else sys.stdin.buffer
    terminal = Terminal.of(stdin)
    # the launcher takes the common run: a network too when it is the plain user network (no
    # -p forwards, whose host ports are checked here, no --net)
    if launchable and terminal is None and not (args.volume or args.timings or args.publish or args.net) and \
            (args.timeout is None or args.timeout > 0):
        _launch(args, image, env, mem_default, accel, arch, notice, network)  # returns only without a launcher
    print(notice, file=sys.stderr)
    try:
        with forward_signals():
            result = run_image(image, args.args, env, args.mem, accel, args.timeout, stdin,
                               args.debug, args.boottime or args.timings, on_output=_output, argv0=args.argv0,
                               volumes=args.volume, volume_security=args.volume_security,
                               volume_lock=args.volume_lock, started=STARTED, terminal=terminal,
                               ports=args.publish, net=args.net, network=network, workdir=args.workdir)
    except Interrupted as exc:
        print(f"unicore: {exc}: guest stopped (exit {128 + exc.signum})", file=sys.stderr)
        return 128 + exc.signum
    if args.timings:
        _print_timings(result)
    if result.timed_out:
        print(f"unicore: guest did not finish within {args.timeout:g} s: stopped (exit {EXIT_TIMEOUT})",
              file=sys.stderr)
    elif result.crashed:
        print(f"unicore: guest crashed (signal {result.signal}, exit {result.exit_status})", file=sys.stderr)
    elif result.exit_status == EXIT_NO_STATUS:
        print(f"unicore: guest stopped without reporting an exit status (exit {EXIT_NO_STATUS})", file=sys.stderr)
    return result.exit_status


def _launch(args, image: Path, env: dict[str, str], mem_default: int, accel: str, arch: str, notice: str,
            network) -> None:
    """The common run under the C launcher (runner/launch.py): write the image's launch record,
    then exec the launcher, which supervises the VMM as run_image would; later runs of the image
    read the record before the CLI is even imported."""
    from unicore.runner import launch
    from unicore.runner.cmdline import kernel_cmdline
    from unicore.runner.run import QEMU_NORMAL_EXIT
    launcher = launch.launcher_path()
    if launcher is None:
        return
    tokens = network.tokens() if network and accel != "spt" else []  # spt has no network yet (run_image)
    if accel == "spt":
        opts, argv, deps = launch.spt_launch(image, args.mem)
    else:
        opts, argv, deps = launch.qemu_launch(image, args.mem, accel, arch, QEMU_NORMAL_EXIT[arch],
                                              network.qemu_args() if network else [])
    rec = launch.write_record(image, args.mem, mem_default, args.accel, notice, launcher, opts, argv, deps, tokens)
    cmdline = kernel_cmdline(list(args.args), env, args.debug, args.boottime, args.argv0, tokens, args.workdir)
    launch.exec_launcher(rec, cmdline, args.timeout)
