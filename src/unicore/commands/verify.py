"""`unicore verify IMAGE [-- ARGS]`: run natively and as a unikernel; compare stdout, stderr and exit
status, each on its own, and say which differed."""

import sys
from pathlib import Path

from unicore.commands._intermixed import intermixed
from unicore.controller.planfile import load_plan, plan_of_image
from unicore.errors import BadInputError
from unicore.runner.memory import default_mem_mb
from unicore.runner.verify import verify


def add_parser(sub) -> None:
    p = intermixed(sub.add_parser("verify", help="compare a unikernel's behaviour with the native program's"))
    p.add_argument("image", type=Path)
    p.add_argument("args", nargs="*", help="program arguments (after --)")
    p.add_argument("--native", type=Path, help="native program (default: the one the image was built from)")
    p.add_argument("--stdin", type=Path, help="file fed to both runs' stdin (default: this process's stdin if piped)")
    p.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("-m", "--memory", type=int, help="guest memory in MiB (default as for `unicore run`)")
    p.add_argument("--accel", choices=["auto", "kvm", "tcg"], default="auto")
    p.add_argument("--timeout", type=float, default=60.0)
    p.set_defaults(func=run)


def _native_program(image: Path, given: Path | None) -> Path:
    if given:
        return given
    sidecar = plan_of_image(image)
    if not sidecar.exists():
        raise BadInputError(f"{image}: no {sidecar.name} beside it; give the native program with --native")
    path = load_plan(sidecar)["program"].get("path")
    if not path:
        raise BadInputError(f"{sidecar}: records no program; give the native program with --native")
    return Path(path)


def _stdin(path: Path | None) -> bytes | None:
    if path:
        if not path.exists():
            raise BadInputError(f"{path}: no such file")
        return path.read_bytes()
    return None if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read()


def run(args) -> int:
    if not args.image.exists():
        raise BadInputError(f"{args.image}: no such image")
    env = dict(e.split("=", 1) for e in args.env if "=" in e)
    verdict = verify(args.image, _native_program(args.image, args.native), args.args, env,
                     _stdin(args.stdin), mem_mb=args.memory or default_mem_mb(args.image), accel=args.accel, timeout=args.timeout)
    if verdict.same:
        native = verdict.native
        print(f"same behaviour: {len(native.stdout)} bytes of stdout, {len(native.stderr)} bytes of stderr, "
              f"exit status {native.exit_status}")
        return 0
    for name, same in verdict.verdicts().items():
        print(f"{name + ':':13} {'same' if same else 'DIFFERENT'}")
    for line in verdict.differences():
        print(f"DIFFERENT {line}")
    if verdict.unikernel.kernel:
        sys.stdout.write("unikernel's kernel messages:\n" + verdict.unikernel.kernel.decode(errors="replace"))
    return 1
