"""`unicore fetch PACKAGE[=VERSION] [--unpack DIR]`: get a verified Debian source package."""

import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from unicore.program.fetch import fetch, unpack_source


def add_parser(sub) -> None:
    p = sub.add_parser("fetch", help="fetch a Debian source package into the verified source cache")
    p.add_argument("package", metavar="PACKAGE[=VERSION]", help="Debian source package, e.g. sqlite3")
    p.add_argument("--unpack", metavar="DIR", type=Path, help="also unpack it (with Debian patches) into DIR")
    p.set_defaults(func=run)


def progress_bar() -> Progress:
    """The progress display every external-source step reports to (stderr, vanishes when done)."""
    console = Console(stderr=True)
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def run(args) -> int:
    with progress_bar() as progress:
        source = fetch(args.package, progress=progress)
        unpacked = unpack_source(source, args.unpack, progress=progress) if args.unpack else None
    print(f"{source.package} {source.version}: {source.directory}")
    for f in source.files:
        print(f"  {f.name}  {f.size} bytes  sha256 {f.sha256}")
    if unpacked:
        print(f"unpacked into {unpacked}")
    sys.stdout.flush()
    return 0
