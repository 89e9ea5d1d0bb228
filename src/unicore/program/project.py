"""The project file, `unicore.toml` (schema 1): the one reader.

A project directory names an external pool library to build and what the image needs beyond the
program's syscalls (docs/external.md):

    schema = 1
    [program]  external = "<pool/external library>"
    [build]    configure, cflags, ldflags, tools (lists of strings), make_vars (table),
               target, program (strings): added to the pool recipe's
    [image]    with = [libraries], options = { UK_<LIB>_<NAME> = value }

Reading is strict: an unknown table, key or schema version is one error naming it, never ignored
(a misspelt `[imgae]` would otherwise build a different image without a word).
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from unicore.errors import BadInputError

PROJECT_FILE = "unicore.toml"
SCHEMA = 1
KEYS = {
    None: {"schema", "program", "build", "image"},
    "program": {"external"},
    "build": {"configure", "cflags", "ldflags", "tools", "make_vars", "target", "program"},
    "image": {"with", "options"},
}


@dataclass(frozen=True)
class Project:
    path: Path                    # the unicore.toml
    external: str                 # the pool's external library that builds the program
    build: dict = field(default_factory=dict)       # [build], checked by the recipe (external.py)
    image_with: tuple[str, ...] = ()                # [image] with
    image_options: dict[str, str] = field(default_factory=dict)  # [image] options, as --option values


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
    if not isinstance(program.get("external"), str):
        raise BadInputError(f"{path}: [program] needs external = \"<pool external library>\"")
    return Project(path, program["external"], data.get("build", {}),
                   _image_with(image, path), _image_options(image, path))


def _check_keys(data: dict, path: Path) -> None:
    if "schema" not in data:
        raise BadInputError(f"{path}: no schema version (the first line should be `schema = {SCHEMA}`)")
    if data["schema"] != SCHEMA:
        raise BadInputError(f"{path}: schema {data['schema']!r} is not supported (this unicore reads schema {SCHEMA})")
    for key in data:
        if key not in KEYS[None]:
            raise BadInputError(f"{path}: unknown {'table' if isinstance(data[key], dict) else 'key'} "
                                f"{key!r} (known: {', '.join(sorted(KEYS[None]))})")
    for table in ("program", "build", "image"):
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
