"""`unicore cc ARGS...`: a C compiler wrapper (use as CC=) producing static musl programs."""

import os
import sys

from unicore.program.toolchain import cc_command


def add_parser(sub) -> None:
    p = sub.add_parser("cc", help="C compiler wrapper for unikernel programs (use as CC=)")
    p.add_argument("args", nargs="*")
    p.set_defaults(func=lambda a: main(a.args))


def main(args: list[str]) -> int:
    cmd = cc_command(args)
    sys.stdout.flush()
    os.execv(cmd[0], cmd)  # replace ourselves: make/configure see the compiler's own exit status
    return 127
