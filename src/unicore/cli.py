"""The `unicore` command: a thin adapter that hands each sub-command to its module.

Each module in unicore.commands exposes `add_parser(subparsers)` and `run(args) -> int`.
"""

import time

STARTED = time.monotonic()  # `unicore run --timings` counts host set-up from here

import importlib  # noqa: E402  (after the clock: their import is host set-up too)
import sys  # noqa: E402

from unicore import __version__  # noqa: E402
from unicore.errors import UnicoreError  # noqa: E402

COMMANDS = ["analyze", "build", "run", "pkg", "verify", "cc", "fetch", "bench", "compat"]


def _parser(argv: list[str]):
    """The parser; with a known command first, only that command's module is imported
    (importing all of them costs tens of milliseconds on every `unicore run`)."""
    import argparse  # not before the launch fast path (main)
    parser = argparse.ArgumentParser(prog="unicore", description="Turn an existing Linux application "
                                     "into a specialised unikernel, and run it.")
    parser.add_argument("--version", action="version", version=f"unicore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = argv[:1] if argv[:1] and argv[0] in COMMANDS else COMMANDS
    for name in names:
        try:
            module = importlib.import_module(f"unicore.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"unicore.commands.{name}":
                continue  # command not written yet
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["run"]:
        # the common run of an image run before becomes the launcher (os.execv) from its launch
        # record before anything else is imported (runner/launch.py); otherwise this returns
        from unicore.runner.launch import fast_run
        fast_run(sys.argv[2:])
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "cc":  # compiler wrapper: pass every flag through untouched
        from unicore.commands import cc
        return _guarded(lambda: cc.main(argv[1:]))
    args = _parser(argv).parse_args(argv)
    return _guarded(lambda: args.func(args))


def _guarded(action) -> int:
    try:
        return int(action() or 0)
    except UnicoreError as exc:
        print(f"unicore: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("unicore: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a host error no stage foresaw (a file gone, a disk full): one line, not a traceback
        print(f"unicore: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
