"""Building external projects: Debian sources built by their own configure/make.

A project directory holds `unicore.toml` naming an external pool library (pool/external/<name>/
library.toml: Debian source package, version and build recipe) plus the project's own additions
(configure arguments, CFLAGS, make target, program path). `build_project` fetches and verifies
the source (unicore.program.fetch), unpacks it once, configures out of tree with CC set to the unicore
compiler wrapper (static non-PIE musl) or another compiler (e.g. "gcc" for a native build of the
same source with the same flags), runs make, and keeps the program in a cache keyed by the
source's hash, the compiler and every flag, so an unchanged rebuild only copies a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from unicore.errors import BadInputError, ToolMissingError, UnicoreError
from unicore.paths import builds_cache
from unicore.program import project
from unicore.program.fetch import Fetcher, Source, step, unpack_source
from unicore.program.toolchain import COMPILE_FLAGS, LINK_FLAGS, wrapper_cc
from unicore.pool.manifest import POOL_DIR, parse_manifest

EXTERNAL_DIR = POOL_DIR / "external"
RECIPE_FORMAT = 1  # bump when the build procedure changes, so cached programs are rebuilt
LIST_KEYS = ("configure", "cflags", "ldflags", "tools")


@dataclass(frozen=True)
class Recipe:
    """How to build one program from one Debian source package."""
    name: str
    package: str
    version: str | None = None      # exact Debian version, or
    upstream: str | None = None     # any Debian revision of this upstream version (newest)
    configure: tuple[str, ...] = ()
    cflags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    make_vars: dict[str, str] = field(default_factory=dict)
    target: str = "all"
    program: str = ""
    tools: tuple[str, ...] = ("make",)


def _table(data: dict, key: str, where: Path) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise BadInputError(f"{where}: [{key}] must be a table")
    return value


def _strings(value, key: str, where: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInputError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def load_external(name: str, root: Path = EXTERNAL_DIR) -> Recipe:
    """The recipe an external pool library declares in its library.toml."""
    path = root / name / "library.toml"
    if not path.is_file():
        known = sorted(p.parent.name for p in root.glob("*/library.toml"))
        raise BadInputError(f"no external library {name!r} in the pool (known: {', '.join(known) or 'none'})")
    lib = parse_manifest(path)
    if lib.kind != "external":
        raise BadInputError(f"{path}: kind is {lib.kind!r}, not 'external'")
    source = _table(lib.raw, "source", path)
    if not isinstance(source.get("debian"), str):
        raise BadInputError(f"{path}: [source] needs debian = \"<source package>\"")
    recipe = Recipe(lib.name, source["debian"], source.get("version"), source.get("upstream"))
    return _extend(recipe, _table(lib.raw, "build", path), path)


def _extend(recipe: Recipe, build: dict, where: Path) -> Recipe:
    """`recipe` with `build`'s lists appended and its scalars replaced."""
    changes: dict = {k: getattr(recipe, k) + _strings(build[k], k, where) for k in LIST_KEYS if k in build}
    for key in ("target", "program"):
        if key in build:
            if not isinstance(build[key], str) or not build[key]:
                raise BadInputError(f"{where}: {key!r} must be a non-empty string")
            changes[key] = build[key]
    if "make_vars" in build:
        changes["make_vars"] = {**recipe.make_vars, **_table(build, "make_vars", where)}
    return Recipe(**{**asdict(recipe), **changes})


def load_project(project_dir: Path) -> Recipe:
    """The recipe of a project: its external library's, extended by the project's [build]."""
    proj = project.load(project_dir)
    recipe = _extend(load_external(proj.external), proj.build, proj.path)
    if not recipe.program:
        raise BadInputError(f"{proj.path}: no program path (set [build] program)")
    return recipe


# ---------------------------------------------------------------------------------------------
# compilers and cache keys


def compiler_command(cc: str, arch: str = "x86_64") -> str:
    """CC= for `cc`: "unicore" is the static musl wrapper of this installation (for `arch`); else as given."""
    if cc == "unicore":
        return wrapper_cc(arch)
    return cc


def compiler_identity(cc_cmd: str) -> str:
    """What makes the compiler's output differ: its version line and, for the wrapper, its flags."""
    try:
        proc = subprocess.run([*shlex.split(cc_cmd), "--version"], capture_output=True, text=True)
    except OSError:
        raise ToolMissingError(f"compiler {cc_cmd!r} not found") from None
    if proc.returncode != 0:
        raise ToolMissingError(f"compiler {cc_cmd!r} does not run: {proc.stderr.strip()[:200]}")
    wrapper = COMPILE_FLAGS + LINK_FLAGS if "unicore" in cc_cmd else []
    return json.dumps([proc.stdout.splitlines()[:1], wrapper])


def build_key(source: Source, recipe: Recipe, cc_identity: str) -> str:
    """The cache key of a build: source hash, compiler, every flag, the recipe format."""
    blob = json.dumps([RECIPE_FORMAT, source.dsc_sha256, asdict(recipe), cc_identity], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# building


def build_project(project_dir: Path, build_dir: Path, *, cc: str = "unicore", progress=None,
                  arch: str = "x86_64") -> Path:
    """Build the project's program (static musl for `arch` with cc="unicore"); return its path in build_dir."""
    return build_recipe(load_project(Path(project_dir)), Path(build_dir), cc=cc, progress=progress, arch=arch)


def external_source(name: str, build_dir: Path, *, progress=None, fetcher: Fetcher | None = None) -> Path:
    """The unpacked, verified source tree of external pool library `name` (for libraries the
    kernel build compiles itself, e.g. lwIP): <build_dir>/ext/src/<package>_<version>."""
    recipe = load_external(name)
    source = (fetcher or Fetcher(progress=progress)).fetch(recipe.package, recipe.version, recipe.upstream)
    return unpack_source(source, Path(build_dir) / "ext" / "src" / source.directory.name, progress=progress)


def build_recipe(recipe: Recipe, build_dir: Path, *, cc: str = "unicore", progress=None,
                 fetcher: Fetcher | None = None, arch: str = "x86_64") -> Path:
    """Build `recipe`; an identical earlier build (same key) is reused from the cache."""
    cc_cmd = compiler_command(cc, arch)
    source = (fetcher or Fetcher(progress=progress)).fetch(recipe.package, recipe.version, recipe.upstream)
    key = build_key(source, recipe, compiler_identity(cc_cmd))
    cached = builds_cache() / f"{recipe.name}-{key[:16]}" / Path(recipe.program).name
    if not cached.is_file():
        _check_tools(recipe)
        built = _configure_and_make(recipe, source, build_dir, cc_cmd, key, progress)
        _store(built, cached)
    return _deliver(cached, build_dir / "ext" / f"{recipe.name}-{key[:16]}")


def _check_tools(recipe: Recipe) -> None:
    missing = [t for t in recipe.tools if shutil.which(t) is None]
    if missing:
        raise ToolMissingError(f"building {recipe.name} needs {', '.join(missing)}: run scripts/install-deps")


def _configure_and_make(recipe: Recipe, source: Source, build_dir: Path, cc_cmd: str,
                        key: str, progress) -> Path:
    build_dir = build_dir.resolve()  # configure runs from the object directory: no relative paths
    src = unpack_source(source, build_dir / "ext" / "src" / source.directory.name, progress=progress)
    obj = build_dir / "ext" / f"{recipe.name}-{key[:16]}.obj"
    shutil.rmtree(obj, ignore_errors=True)  # a half-finished earlier attempt is not trusted
    obj.mkdir(parents=True)
    env = _build_env(recipe, cc_cmd)
    cross = [f"--host={_host_triplet(cc_cmd)}"] if "--unicore-arch=" in cc_cmd else []
    with step(progress, f"configuring {recipe.name} ({source.version})"):
        _run([str(src / "configure"), *cross, *recipe.configure], obj, env, "configure")
    make_vars = [f"{k}={v}" for k, v in recipe.make_vars.items()]
    if cross:  # Debian's build-tool convention (sqlite3's lemon, mkkeywordhash): built with the host's gcc
        make_vars.append("CROSS_BUILDING=yes")
    with step(progress, f"building {recipe.name}: make {recipe.target}"):
        _run(["make", f"-j{os.cpu_count() or 1}", recipe.target, *make_vars], obj, env, "make")
    program = obj / recipe.program
    if not program.is_file():
        raise UnicoreError(f"make {recipe.target} for {recipe.name} did not produce {recipe.program}")
    return program


def _host_triplet(cc_cmd: str) -> str:
    """configure's --host for a cross build with the wrapper (it cannot run what it compiles)."""
    from unicore.program.cross import CROSS
    arch = cc_cmd.split("--unicore-arch=")[1].split()[0]
    return CROSS[arch][0]


def _build_env(recipe: Recipe, cc_cmd: str) -> dict[str, str]:
    """configure and make read the compiler and flags from the environment."""
    return {**os.environ, "CC": cc_cmd, "CFLAGS": " ".join(recipe.cflags),
            "LDFLAGS": " ".join(recipe.ldflags), "LC_ALL": "C"}


def _run(cmd: list[str], cwd: Path, env: dict, what: str) -> None:
    """Run a build step, its output in <cwd>/<what>.log; a failure names the log and its tail."""
    log = cwd / f"{what}.log"
    with log.open("w") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-12:]
        raise UnicoreError(f"{what} failed (full log: {log}):\n" + "\n".join(tail))


def _store(built: Path, cached: Path) -> None:
    """Copy into the cache under a unique temporary name, then rename: never a half-written
    program, and concurrent builds of the same key simply replace each other's identical file."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{cached.name}.", dir=cached.parent)
    os.close(fd)
    shutil.copy2(built, partial)
    os.replace(partial, cached)


def _deliver(cached: Path, out_dir: Path) -> Path:
    """The cached program, copied into the build directory (unless already identical there)."""
    target = out_dir / cached.name
    if target.is_file() and target.stat().st_size == cached.stat().st_size \
            and target.read_bytes() == cached.read_bytes():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(cached, target)
    return target
