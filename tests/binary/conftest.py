"""Fixtures for the binary tests: compile test programs with the host's gcc/musl-gcc, make root
file systems (cpio, unicore.guestfs) holding a binary's library closure (from ldd), and build
images through unicore.buildsys with plans from bbuild (cached per session)."""

import importlib
import re
import subprocess
from pathlib import Path

import pytest
from bbuild import plan_for

from unicore.buildsys import build_image
from unicore.guestfs import Entry, merge, write_cpio

PROGRAMS = Path(__file__).parent / "programs"
COMPILERS = {"musl": ["musl-gcc", "-static"], "static": ["gcc", "-static"],
             "static-pie": ["gcc", "-static-pie"], "dynamic": ["gcc"], "dynamic-nopie": ["gcc", "-no-pie"]}


def _buildsys_runs_any_elf() -> bool:
    return hasattr(importlib.import_module("unicore.buildsys.program"), "is_fixed_static")


# Until the build system embeds PIE/dynamic programs, images without a program, and a rootfs.
needs_any_elf = pytest.mark.skipif(not _buildsys_runs_any_elf(),
                                   reason="the build system does not embed PIE/dynamic programs or a rootfs yet")


@pytest.fixture(scope="session")
def binary_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("binary")


def compile_c(name: str, kind: str, out_dir: Path) -> Path:
    out = out_dir / f"{name}-{kind}"
    if not out.exists():
        cmd = [*COMPILERS[kind], "-O2", "-o", str(out), str(PROGRAMS / f"{name}.c")]
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def library_closure(binary: Path) -> list[Path]:
    """The shared objects ld.so loads for `binary` (ldd), the loader included."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return [Path(p) for p in re.findall(r"(/\S+) \(0x", out)]


def rootfs_for(binary: Path, out: Path, files: list[tuple[Path, str]] = (), with_binary: bool = True) -> Path:
    """A cpio with the binary at its own path, its library closure, and (host, guest) files."""
    entries = [Entry(str(lib), lib, "shared library") for lib in library_closure(binary)]
    if with_binary:
        entries.append(Entry(str(binary), binary, "the program"))
    entries += [Entry(guest, host, "data") for host, guest in files]
    write_cpio(merge(entries), out)
    return out


@pytest.fixture(scope="session")
def make_binary_image(binary_workdir):
    """make_binary_image(key, program, syscalls, rootfs=None, fs=False, name=None) -> image (cached)."""
    cache: dict[str, Path] = {}

    def make(key: str, program: Path | None, syscalls: list[str] | None, rootfs: Path | None = None,
             fs: bool = False, name: str | None = None) -> Path:
        if key not in cache:
            work = binary_workdir / "images" / key
            plan = plan_for(syscalls, name or (program.name if program else "program"), fs=fs)
            extra = {"rootfs": rootfs} if rootfs else {}
            cache[key] = build_image(plan, program, work / f"{key}.img", work / "build", **extra)
        return cache[key]

    return make
