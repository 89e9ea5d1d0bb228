"""Reading the library pool: every directory holding a `library.toml` is one micro-library.

The manifest schema (version 1) is documented in docs/design.md. Parsing is strict: a broken
manifest names its file and field instead of half-loading.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from unicore.errors import BadInputError

POOL_DIR = Path(__file__).parent
SCHEMA = 1
KINDS = ("lib", "arch", "plat", "external")


def include_dirs(arch: str, plat: str) -> list[Path]:
    """The C include path for a target: the contract headers (pool/include: uk/plat.h,
    uk/arch.h, uk/image.h, uk/link.h), the target's arch and plat headers, and every library's
    public header, linked or not (an optional dependency includes its provider's header and
    marks the symbol UK_OPTIONAL)."""
    dirs = [POOL_DIR / "include", POOL_DIR / "arch" / arch / "include", POOL_DIR / "plat" / plat / "include"]
    dirs += sorted(POOL_DIR.glob("lib/*/include"))
    return [d for d in dirs if d.is_dir()]


@dataclass(frozen=True)
class Option:
    name: str
    type: str
    default: object
    help: str = ""
    min: int | None = None   # int/hex options: the values the library works with (checked at build time)
    max: int | None = None


@dataclass(frozen=True)
class Library:
    name: str
    kind: str
    dir: Path
    description: str
    sources: tuple[str, ...]
    provides_syscalls: frozenset[str]
    provides_caps: frozenset[str]
    requires_libs: tuple[str, ...]
    requires_caps: tuple[str, ...]
    arch: tuple[str, ...]
    plat: tuple[str, ...]
    options: tuple[Option, ...] = field(default=())
    raw: dict = field(default_factory=dict, compare=False, hash=False)
    arch_sources: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)

    def supports(self, arch: str, plat: str) -> bool:
        return (not self.arch or arch in self.arch) and (not self.plat or plat in self.plat)

    def sources_for(self, arch: str) -> tuple[str, ...]:
        """`sources`, then the `[arch_sources]` list of `arch` (a platform's per-arch files)."""
        return self.sources + self.arch_sources.get(arch, ())


def _field(data: dict, key: str, kind: type, path: Path, default=None):
    value = data.get(key, default)
    if value is None or not isinstance(value, kind):
        raise BadInputError(f"{path}: field {key!r} must be a {kind.__name__}")
    return value


def _options(data: dict, path: Path) -> tuple[Option, ...]:
    result = []
    for opt in data.get("options", []):
        if not isinstance(opt, dict) or "name" not in opt or "default" not in opt:
            raise BadInputError(f"{path}: each [[options]] needs 'name' and 'default'")
        kind = opt.get("type", type(opt["default"]).__name__)
        kind = {"str": "string"}.get(kind, kind)
        low, high = _bounds(opt, kind, path)
        result.append(Option(opt["name"], kind, opt["default"], opt.get("help", ""), low, high))
    return tuple(result)


def _bounds(opt: dict, kind: str, path: Path) -> tuple[int | None, int | None]:
    """An int option's `min`/`max` (optional); its default must lie between them."""
    low, high = opt.get("min"), opt.get("max")
    if low is None and high is None:
        return None, None
    if kind not in ("int", "hex") or not all(v is None or type(v) is int for v in (low, high)):
        raise BadInputError(f"{path}: option {opt['name']}: 'min'/'max' are integers, for int options")
    if (low is not None and opt["default"] < low) or (high is not None and opt["default"] > high):
        raise BadInputError(f"{path}: option {opt['name']}: default {opt['default']} is outside [{low}, {high}]")
    return low, high


def parse_manifest(path: Path) -> Library:
    """Parse one library.toml into a Library."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: unreadable manifest: {exc}") from None
    if data.get("schema", SCHEMA) != SCHEMA:
        raise BadInputError(f"{path}: manifest schema {data.get('schema')} is not {SCHEMA}")
    kind = _field(data, "kind", str, path, "lib")
    if kind not in KINDS:
        raise BadInputError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    provides = _field(data, "provides", dict, path, {})
    requires = _field(data, "requires", dict, path, {})
    support = _field(data, "support", dict, path, {})
    return Library(
        name=_field(data, "name", str, path), kind=kind, dir=path.parent,
        description=data.get("description", ""),
        sources=tuple(_field(data, "sources", list, path, [])),
        provides_syscalls=frozenset(provides.get("syscalls", [])),
        provides_caps=frozenset(provides.get("capabilities", [])),
        requires_libs=tuple(requires.get("libraries", [])),
        requires_caps=tuple(requires.get("capabilities", [])),
        arch=tuple(support.get("arch", [])), plat=tuple(support.get("plat", [])),
        options=_options(data, path), raw=data, arch_sources=_arch_sources(data, path),
    )


def _arch_sources(data: dict, path: Path) -> dict[str, tuple[str, ...]]:
    table = _field(data, "arch_sources", dict, path, {})
    for arch, files in table.items():
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise BadInputError(f"{path}: arch_sources.{arch} must be a list of file names")
    return {arch: tuple(files) for arch, files in table.items()}


def load_pool(root: Path = POOL_DIR) -> dict[str, Library]:
    """Every library under `root`, by name; duplicate names are an error."""
    pool: dict[str, Library] = {}
    for path in sorted(root.rglob("library.toml")):
        lib = parse_manifest(path)
        if lib.name in pool:
            raise BadInputError(f"library {lib.name!r} defined twice: {pool[lib.name].dir} and {lib.dir}")
        pool[lib.name] = lib
    return pool
