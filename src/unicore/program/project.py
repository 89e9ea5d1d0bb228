"""The project file, `unicore.toml` (schema 1): the one reader.

A project directory names what to build (an external pool library's program, or an existing
executable), for which targets, what the image needs beyond the program's syscalls, and how it
runs (docs/external.md, docs/project.md):

    schema = 1
    targets = ["qemu/x86_64", ...]     (default: the build's --target)
    [program]  external = "<pool/external library>"        one of [program] and [binary]
    [binary]   path = "EXE", scenarios = ["FILE"...], policy = "SYSCALLS,FILES"
    [build]    configure, cflags, ldflags, tools (lists of strings), make_vars (table),
               target, program (strings): added to the pool recipe's ([program] only)
    [image]    with = [libraries], options = { UK_<LIB>_<NAME> = value }
    [run]      memory = MB, env = { KEY = "value" }, volumes = ["HOSTDIR:GUESTDIR[:ro]"],
               ports = ["[HOSTADDR:]HOSTPORT:GUESTPORT"], args = ["..."]

Relative paths (binary, scenarios, volumes' host directories) are relative to the project directory.

Reading is strict: an unknown table, key or schema version is one error naming it, never ignored
(a misspelt `[imgae]` would otherwise build a different image without a word).
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from unicore.errors import BadInputError

PROJECT_FILE = "unicore.toml"
SCHEMA = 1
TABLES = ("program", "binary", "build", "image", "run")
KEYS = {
    None: {"schema", "targets", *TABLES},
    "program": {"external"},
    "binary": {"path", "scenarios", "policy"},
    "build": {"configure", "cflags", "ldflags", "tools", "make_vars", "target", "program"},
    "image": {"with", "options"},
    "run": {"memory", "env", "volumes", "ports", "args"},
}


@dataclass(frozen=True)
class BinarySpec:
    path: Path                       # the executable, absolute
    scenarios: tuple[Path, ...] = ()
    policy: str | None = None        # SYSCALLS,FILES (docs/rootfs.md); None: the build's default


@dataclass(frozen=True)
class RunSpec:
    """[run]: what `unicore run DIR` adds to its own flags (which win)."""
    memory: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()    # HOSTDIR:GUESTDIR[:ro], HOSTDIR made absolute
    ports: tuple[str, ...] = ()
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    path: Path                    # the unicore.toml
    external: str | None          # the pool's external library that builds the program ([program])
    build: dict = field(default_factory=dict)       # [build], checked by the recipe (external.py)
    image_with: tuple[str, ...] = ()                # [image] with
    image_options: dict[str, str] = field(default_factory=dict)  # [image] options, as --option values
    binary: BinarySpec | None = None                # [binary]: an existing executable instead
    run: RunSpec = RunSpec()
    targets: tuple[str, ...] = ()                   # PLAT/ARCH each; () = the build's --target

    @property
    def directory(self) -> Path:
        return self.path.parent

    def images(self, default_target: str, output: Path | None = None) -> list[tuple[str, Path, Path]]:
        """(target, image, build directory) of each target: build/<dir>.img and build/<dir>/ for
        one; named by target for several, as `--target all` names them (pipeline.per_target):
        build/<dir>.<plat>-<arch>.img, build/<dir>/<plat>-<arch>/. `output` replaces build/<dir>.img."""
        name = self.directory.resolve().name
        base = Path(output) if output else Path("build") / f"{name}.img"
        targets = self.targets or (default_target,)
        if len(targets) == 1:
            return [(targets[0], base, Path("build") / name)]
        tags = [t.replace("/", "-") for t in targets]
        return [(t, base.with_name(f"{base.stem}.{tag}{base.suffix or '.img'}"), Path("build") / name / tag)
                for t, tag in zip(targets, tags)]


def is_project(directory: Path) -> bool:
    return (Path(directory) / PROJECT_FILE).is_file()


def load(directory: Path) -> Project:
    path = Path(directory) / PROJECT_FILE
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadInputError(f"{directory}: no {PROJECT_FILE}") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: unreadable: {exc}") from None
    _check_keys(data, path)
    program, image = data.get("program", {}), data.get("image", {})
    binary = _binary(data, path)
    if binary is None and not isinstance(program.get("external"), str):
        raise BadInputError(f"{path}: [program] needs external = \"<pool external library>\" "
                            "(or a [binary] table with path = \"EXE\")")
    return Project(path, program.get("external"), data.get("build", {}),
                   _image_with(image, path), _image_options(image, path), binary,
                   _run(data.get("run", {}), path), _targets(data, path))


def _strings(value, what: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInputError(f"{path}: {what} must be a list of strings")
    return tuple(value)


def _binary(data: dict, path: Path) -> BinarySpec | None:
    if "binary" not in data:
        return None
    table, here = data["binary"], path.parent
    if "program" in data or "build" in data:
        raise BadInputError(f"{path}: [binary] runs an existing executable: it takes no [program] or [build]")
    if not isinstance(table.get("path"), str) or not table["path"]:
        raise BadInputError(f"{path}: [binary] needs path = \"EXE\"")
    policy = table.get("policy")
    if policy is not None and not isinstance(policy, str):
        raise BadInputError(f"{path}: [binary] policy must be a string such as \"static,trace\"")
    scenarios = _strings(table.get("scenarios", []), "[binary] scenarios", path)
    return BinarySpec((here / table["path"]).absolute(), tuple((here / s).absolute() for s in scenarios), policy)


def _run(table: dict, path: Path) -> RunSpec:
    memory = table.get("memory")
    if memory is not None and (not isinstance(memory, int) or isinstance(memory, bool) or memory < 1):
        raise BadInputError(f"{path}: [run] memory must be a whole number of MiB")
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise BadInputError(f"{path}: [run] env must be a table of KEY = \"value\"")
    volumes = _strings(table.get("volumes", []), "[run] volumes", path)
    for v in volumes:
        if ":" not in v:
            raise BadInputError(f"{path}: [run] volume {v!r}: expected HOSTDIR:GUESTDIR[:ro]")
    return RunSpec(memory, dict(env), tuple(str(path.parent / v) if not v.startswith("/") else v for v in volumes),
                   _strings(table.get("ports", []), "[run] ports", path), _strings(table.get("args", []), "[run] args", path))


def _targets(data: dict, path: Path) -> tuple[str, ...]:
    targets = _strings(data.get("targets", []), "targets", path)
    for t in targets:
        plat, sep, arch = t.partition("/")
        if not sep or not plat or not arch or "/" in arch:
            raise BadInputError(f"{path}: target {t!r}: expected PLATFORM/ARCH such as \"qemu/x86_64\"")
    if len(set(targets)) != len(targets):
        raise BadInputError(f"{path}: targets lists a target twice")
    return targets


def _check_keys(data: dict, path: Path) -> None:
    if "schema" not in data:
        raise BadInputError(f"{path}: no schema version (the first line should be `schema = {SCHEMA}`)")
    if data["schema"] != SCHEMA:
        raise BadInputError(f"{path}: schema {data['schema']!r} is not supported (this unicore reads schema {SCHEMA})")
    for key in data:
        if key not in KEYS[None]:
            raise BadInputError(f"{path}: unknown {'table' if isinstance(data[key], dict) else 'key'} "
                                f"{key!r} (known: {', '.join(sorted(KEYS[None]))})")
    for table in TABLES:
        value = data.get(table, {})
        if not isinstance(value, dict):
            raise BadInputError(f"{path}: {table!r} must be a table ([{table}])")
        unknown = sorted(set(value) - KEYS[table])
        if unknown:
            raise BadInputError(f"{path}: unknown key {unknown[0]!r} in [{table}] "
                                f"(known: {', '.join(sorted(KEYS[table]))})")


def _image_with(image: dict, path: Path) -> tuple[str, ...]:
    value = image.get("with", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInputError(f"{path}: [image] with must be a list of library names")
    return tuple(value)


def _image_options(image: dict, path: Path) -> dict[str, str]:
    options = image.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(v, (str, int, bool)) for v in options.values()):
        raise BadInputError(f"{path}: [image] options must be a table of NAME = value")
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in options.items()}
