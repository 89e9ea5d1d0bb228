"""Cross toolchains: a static musl for an architecture Debian ships no musl for (arm64).

Debian has `musl-tools` for x86_64 only, but the `musl` source package and the cross compiler
(`gcc-aarch64-linux-gnu`) for arm64. `musl_prefix("arm64")` fetches and verifies the source
(program/fetch.py), configures it with the cross compiler, installs it under the builds cache
keyed by the source's .dsc hash, the compiler's version and this recipe, and returns that prefix:
its `lib/musl-gcc.specs` turns the cross gcc into a musl gcc, as Debian's musl-gcc does for
x86_64. Built once per machine (about a minute), shared by every checkout like the SQLite build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from unicore.errors import ToolMissingError, UnicoreError
from unicore.paths import builds_cache
from unicore.program.fetch import Fetcher, step, unpack_source

# target arch -> (GNU triplet of Debian's cross compiler, musl's name for the arch)
CROSS = {"arm64": ("aarch64-linux-gnu", "aarch64")}  # (triplet, ELF/uname machine name)
MUSL_UPSTREAM = "1.2.3"
RECIPE = 1  # bump when the configure line changes


def cross_gcc(arch: str) -> str:
    """Debian's cross gcc for `arch` (gcc-aarch64-linux-gnu)."""
    triplet = CROSS[arch][0]
    path = shutil.which(f"{triplet}-gcc")
    if not path:
        raise ToolMissingError(f"{triplet}-gcc not found: install Debian's gcc-{triplet} (make deps)")
    return path


def cross_tool(arch: str, tool: str) -> str:
    """A binutils tool of the cross toolchain (ld, objcopy, nm)."""
    path = shutil.which(f"{CROSS[arch][0]}-{tool}")
    if not path:
        raise ToolMissingError(f"{CROSS[arch][0]}-{tool} not found: install Debian's binutils-{CROSS[arch][0]}")
    return path


def _key(dsc_sha256: str, gcc: str) -> str:
    version = subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    return hashlib.sha256(json.dumps([RECIPE, dsc_sha256, version]).encode()).hexdigest()[:16]


def musl_prefix(arch: str, progress=None, fetcher: Fetcher | None = None) -> Path:
    """The installed musl for `arch` (include/, lib/ with libc.a and musl-gcc.specs), built on
    first use from Debian's musl source package."""
    gcc = cross_gcc(arch)
    source = (fetcher or Fetcher(progress=progress)).fetch("musl", None, MUSL_UPSTREAM)
    prefix = builds_cache() / f"musl-{arch}-{_key(source.dsc_sha256, gcc)}"
    if (prefix / "lib" / "musl-gcc.specs").is_file():
        return prefix
    with tempfile.TemporaryDirectory(prefix="unicore-musl-") as tmp:
        src = unpack_source(source, Path(tmp) / "src", progress=progress)
        staging = Path(tmp) / "prefix"
        with step(progress, f"building musl {source.version} for {arch}"):
            _build(src, staging, arch, gcc)
        _install(staging, prefix)
    return prefix


def _build(src: Path, staging: Path, arch: str, gcc: str) -> None:
    env = {**os.environ, "CC": gcc, "LC_ALL": "C", "CFLAGS": "-O2"}
    configure = [str(src / "configure"), f"--target={CROSS[arch][0]}", f"--prefix={staging}",
                 "--disable-shared", "--enable-wrapper=gcc", f"--syslibdir={staging}/lib"]
    for cmd in (configure, ["make", f"-j{os.cpu_count() or 1}"], ["make", "install"]):
        proc = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
            raise UnicoreError(f"building musl for {arch}: {' '.join(cmd[:2])} failed:\n{tail}")


def _install(staging: Path, prefix: Path) -> None:
    """Move the staged install to its cache path, rewriting the specs file's paths (musl's
    configure wrote the staging prefix into it); a concurrent identical build may win the rename."""
    specs = staging / "lib" / "musl-gcc.specs"
    specs.write_text(specs.read_text().replace(str(staging), str(prefix)))
    prefix.parent.mkdir(parents=True, exist_ok=True)
    partial = prefix.with_name(prefix.name + f".{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(staging, partial, symlinks=True)
    try:
        partial.rename(prefix)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another build installed the same key first


def musl_cc(arch: str) -> list[str]:
    """The compiler command producing static musl programs for `arch` (cross gcc + musl specs)."""
    return [cross_gcc(arch), "-specs", str(musl_prefix(arch) / "lib" / "musl-gcc.specs")]
