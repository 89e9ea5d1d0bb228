"""`unicore run IMAGE [-m MEM] [-e KEY=VALUE]... [-v HOSTDIR:GUESTDIR[:ro]]... [--accel auto|kvm|tcg]
[--timeout S] [--debug] [--boottime] [-- ARGS...]`: boot an image on QEMU microvm and exit with the program's status."""

import sys
from pathlib import Path

from unicore.commands._intermixed import intermixed
from unicore.errors import BadInputError
from unicore.formats import elf
from unicore.runner import EXIT_NO_STATUS, EXIT_TIMEOUT, choose_accel, run_image
from unicore.runner.run import image_arch
from unicore.runner.lifetime import Interrupted, forward_signals
from unicore.runner.volumes import DEFAULT_SECURITY, SECURITY_MODELS
from unicore.runner.memory import default_mem_mb


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="boot an image on QEMU microvm (the program's stdin, stdout, stderr and exit status)")
    intermixed(p)
    p.add_argument("image", help="the image built by `unicore build`")
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
    p.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto")
    p.add_argument("--timeout", type=float, metavar="S", help="kill the guest after S seconds (exit 124)")
    p.add_argument("--debug", action="store_true", help="kernel names syscalls missing from the image")
    p.add_argument("--boottime", action="store_true", help="kernel prints cycles and us from entry to the program")
    p.add_argument("--argv0", help="argv[0] for the program (default: its name at build time)")
    p.add_argument("args", nargs="*", help="the program's arguments (after --)")
    p.set_defaults(func=run)


def _env(pairs: list[str]) -> dict[str, str]:
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
    """Where the image's segments, and those of the fixed-address program it embeds (section
    .uk_app, docs/image.md), end in RAM; 0 if it is no ELF."""
    data = image.read_bytes()
    try:
        header = elf.parse(data)
        app = elf.section_data(data, header, ".uk_app")
        program = elf.parse(app) if app else None
    except BadInputError:
        return 0
    fixed = program is not None and program.type == elf.ET_EXEC
    return max(header.load_end(), program.load_end() if fixed else 0)


def _check_memory(image: Path, mem_mb: int) -> None:
    """QEMU cannot place segments beyond RAM and exits without a word: say so before booting.
    Above that, a guest short of memory says so itself (kernel panic "out of memory", exit 134)."""
    floor = -(-_image_end(image) // (1 << 20))
    if mem_mb < max(floor, 1):
        raise BadInputError(f"-m {mem_mb}: this image needs more than {max(floor, 1) - 1} MiB (its program and "
                            f"payload end at {_image_end(image):#x}; add its stack and heap)")


def run(args) -> int:
    env = _env(args.env)
    if not Path(args.image).is_file():
        raise BadInputError(f"image not found: {args.image}")
    if args.mem is None:
        args.mem = default_mem_mb(Path(args.image))
    _check_memory(Path(args.image), args.mem)
    accel, why = choose_accel(args.accel, image_arch(Path(args.image)))
    print(f"unicore: accelerator {accel} ({why})", file=sys.stderr)
    # stdin (a pipe, a file or a terminal) is streamed as the program reads it
    stdin = None if sys.stdin is None else sys.stdin.buffer
    try:
        with forward_signals():
            result = run_image(args.image, args.args, env, args.mem, accel, args.timeout, stdin,
                               args.debug, args.boottime, on_output=_output, argv0=args.argv0,
                               volumes=args.volume, volume_security=args.volume_security,
                               volume_lock=args.volume_lock)
    except Interrupted as exc:
        print(f"unicore: {exc}: guest stopped (exit {128 + exc.signum})", file=sys.stderr)
        return 128 + exc.signum
    if result.timed_out:
        print(f"unicore: guest did not finish within {args.timeout:g} s: stopped (exit {EXIT_TIMEOUT})",
              file=sys.stderr)
    elif result.crashed:
        print(f"unicore: guest crashed (signal {result.signal}, exit {result.exit_status})", file=sys.stderr)
    elif result.exit_status == EXIT_NO_STATUS:
        print(f"unicore: guest stopped without reporting an exit status (exit {EXIT_NO_STATUS})", file=sys.stderr)
    return result.exit_status
