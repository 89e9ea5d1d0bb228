"""The image cache: a linked image under the content hash of everything its link reads.

Key (sha256, docs/image.md): the plan without host paths (each chosen library's folder is
replaced by the hash of its files, the program's path by the hash of its bytes), every header on
the pool's include path (the contract's, and each library's, linked or not: an optional
dependency includes its provider's header), the program, the root file system archive, this package's own sources (the
generator and the flags), the debug switch and the versions of the compiler and the linker.
Two builds with the same key give the same bytes (the link is reproducible, tests/test_cache.py),
so the cache can live in a shared directory (`UNICORE_CACHE`: a CI farm's builders share it):
an image is written there atomically and copied out on a hit.
"""

import functools
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from unicore.image.build import TOOLCHAINS
from unicore.paths import images_cache

POOL = Path(__file__).resolve().parents[1] / "pool"
GENERATOR = Path(__file__).resolve().parent


def _tree_digest(root: Path) -> str:
    """Names and bytes of every file under `root`, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _headers_digest() -> str:
    """Every `include/` folder of the pool (image/build.py puts them all on the include path)."""
    digest = hashlib.sha256()
    for folder in sorted(POOL.rglob("include")):
        if folder.is_dir():
            digest.update(str(folder.relative_to(POOL)).encode() + b"\0" + _tree_digest(folder).encode())
    return digest.hexdigest()


def _file_digest(path: Path | None) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else ""


@functools.lru_cache(maxsize=4)
def toolchain(prefix: str = "") -> str:
    """The first line of `PREFIXgcc --version` and `PREFIXld --version`: the target's compiler and
    linker (image/build.py TOOLCHAINS; another version, another key)."""
    lines = []
    for tool in (prefix + "gcc", prefix + "ld"):
        try:
            out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30).stdout
        except OSError:
            out = ""
        lines.append(out.splitlines()[0] if out else f"{tool}: none")
    return "\n".join(lines)


def image_key(plan: dict, program: Path | None, rootfs: Path | None, debug: bool = False) -> str:
    libraries = [{**lib, "dir": _tree_digest(Path(lib["dir"]))} for lib in plan["libraries"]]
    info = {k: v for k, v in plan.get("program", {}).items() if k != "path"}
    inputs = {"plan": {**plan, "libraries": libraries, "program": info}, "program": _file_digest(program),
              "rootfs": _file_digest(rootfs), "include": _headers_digest(),
              "generator": _tree_digest(GENERATOR), "debug": debug,
              "toolchain": toolchain(TOOLCHAINS[plan["target"]["arch"]].prefix)}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def entry(key: str) -> Path:
    return images_cache() / key[:2] / f"{key}.img"


def fetch(key: str, output: Path) -> bool:
    """Copy the cached image for `key` to `output`; False when there is none."""
    cached = entry(key)
    if not cached.is_file():
        return False
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, output)
    return True


def store(key: str, image: Path) -> None:
    """Keep `image` under `key` (written beside, then renamed: readers never see half a file)."""
    cached = entry(key)
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, tmp)
        os.replace(tmp, cached)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only shared cache still lets the build finish
