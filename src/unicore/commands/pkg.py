"""`unicore pkg IMAGE|DIR -o oci:DIR:TAG | oci-archive:FILE:TAG [-e KEY=VALUE]... [--volume GUESTDIR]...
[--argv0 NAME] [-m MB] [-- ARGS...]`: package an image (or a project's, with its [run] settings
under these flags) as an OCI image (docs/oci.md)."""

import sys
from pathlib import Path

from unicore.commands._intermixed import intermixed
from unicore.commands.run import parse_env


def add_parser(sub) -> None:
    p = sub.add_parser("pkg", help="package an image as an OCI image (layout or archive) for containerd, urunc, kraft")
    intermixed(p)
    p.add_argument("image", help="the image built by `unicore build`, or a project directory (its image, its [run])")
    p.add_argument("-o", "--output", required=True, metavar="REF", help="oci:DIR:TAG or oci-archive:FILE:TAG")
    p.add_argument("-e", "--env", action="append", default=[], metavar="KEY=VALUE", help="environment variable")
    p.add_argument("--volume", action="append", default=[], metavar="GUESTDIR",
                   help="a guest directory the engine mounts a volume at (its kernel token; repeatable)")
    p.add_argument("--argv0", help="argv[0] for the program (default: its name at build time)")
    p.add_argument("-m", "--mem", type=int, metavar="MB", help="guest RAM `unicore run` gives it (default: run's)")
    p.add_argument("args", nargs="*", help="the program's arguments (after --)")
    p.set_defaults(func=run)


def run(args) -> int:
    from unicore.oci.package import RunSettings, package
    from unicore.oci.ref import parse_ref
    ref = parse_ref(args.output)
    image, env = Path(args.image), parse_env(args.env)
    if image.is_dir() and (image / "unicore.toml").is_file():
        image, env = _project(args, image, env)
    settings = RunSettings(args.args, env, args.argv0, args.mem, args.volume)
    digest = package(image, ref, settings)
    print(f"unicore: packaged {image} as {ref} ({digest})", file=sys.stderr)
    return 0


def _project(args, directory: Path, env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A project's first target's image with its [run] under our flags (volumes: their guest paths)."""
    from unicore.program.project import load
    proj = load(directory)
    spec = proj.run
    args.args = args.args or list(spec.args)
    args.mem = args.mem or spec.memory
    args.volume = [v.split(":")[-2] if v.endswith((":ro", ":rw")) else v.split(":")[-1]
                   for v in spec.volumes] + args.volume
    return proj.images("")[0][1], {**spec.env, **env}
