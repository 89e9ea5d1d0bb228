"""`unicore pkg IMAGE -o oci:DIR:TAG | oci-archive:FILE:TAG [-e KEY=VALUE]... [--argv0 NAME] [-m MB]
[-- ARGS...]`: package an image as an OCI image (docs/oci.md)."""

import sys

from unicore.commands._intermixed import intermixed
from unicore.commands.run import parse_env


def add_parser(sub) -> None:
    p = sub.add_parser("pkg", help="package an image as an OCI image (layout or archive) for containerd, urunc, kraft")
    intermixed(p)
    p.add_argument("image", help="the image built by `unicore build`")
    p.add_argument("-o", "--output", required=True, metavar="REF", help="oci:DIR:TAG or oci-archive:FILE:TAG")
    p.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE", help="environment variable")
    p.add_argument("--argv0", help="argv[0] for the program (default: its name at build time)")
    p.add_argument("-m", "--mem", type=int, metavar="MB", help="guest RAM `unicore run` gives it (default: run's)")
    p.add_argument("args", nargs="*", help="the program's arguments (after --)")
    p.set_defaults(func=run)


def run(args) -> int:
    from unicore.oci.package import RunSettings, package
    from unicore.oci.ref import parse_ref
    ref = parse_ref(args.output)
    digest = package(args.image, ref, RunSettings(args.args, parse_env(args.env), args.argv0, args.mem))
    print(f"unicore: packaged {args.image} as {ref} ({digest})", file=sys.stderr)
    return 0
