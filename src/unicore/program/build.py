"""Building the application program itself, before the kernel: a C file, a directory of C files,
a Makefile project (built with `unicore cc` as CC), or an external project (unicore.toml).

The result is always one static musl ELF, the program the image will run.
"""

import os
import subprocess
from pathlib import Path

from unicore.errors import BadInputError, UnicoreError
from unicore.formats.elf import is_elf
from unicore.program.external import build_project
from unicore.program.project import PROJECT_FILE, is_project
from unicore.program.toolchain import compile_program, wrapper_cc


def program_name(path: Path) -> str:
    return path.stem if path.is_file() else path.resolve().name


def build_program(path: Path, build_dir: Path, cflags: list[str] | None = None, progress=None,
                  arch: str = "x86_64") -> Path:
    """Build the program at `path` for `arch` into `build_dir`; return the static ELF."""
    if not path.exists():
        raise BadInputError(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix != ".c":
            raise BadInputError(f"{path}: expected a .c file, a directory or a project (use --binary for an executable)")
        return compile_program([path], build_dir / program_name(path), cflags, arch)
    if is_project(path):
        return build_project(path, build_dir, progress=progress, arch=arch)
    if (path / "Makefile").is_file():
        return _make_project(path, arch)
    sources = sorted(path.glob("*.c"))
    if not sources:
        raise BadInputError(f"{path}: no C sources, Makefile or {PROJECT_FILE} found")
    return compile_program(sources, build_dir / program_name(path), cflags, arch)


def _make_project(path: Path, arch: str) -> Path:
    """Run the project's own make with the wrapper as CC; the program is the newest ELF it built."""
    env = dict(os.environ, CC=wrapper_cc(arch))
    proc = subprocess.run(["make", "-C", str(path), f"CC={env['CC']}"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UnicoreError(f"make in {path} failed:\n{(proc.stdout + proc.stderr).rstrip()}")
    elves = [p for p in path.rglob("*") if p.is_file() and os.access(p, os.X_OK) and is_elf(p)]
    if not elves:
        raise UnicoreError(f"make in {path} built no executable")
    return max(elves, key=lambda p: p.stat().st_mtime)
