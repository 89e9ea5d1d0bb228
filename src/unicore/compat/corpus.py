"""The corpus file (TOML): one `[[case]]` per invocation, programs shared between cases.

```toml
[[case]]
name = "tac-stdin"            # unique
program = "/usr/bin/tac"      # the Debian binary, built with `unicore build --binary PROGRAM`
args = ["-s", ","]            # "{data}" is the case's scratch copy of the inputs directory
stdin = "a\nb\n"              # or stdin_file = "text.txt" (in the inputs directory); default empty
env = { TZ = "Asia/Tokyo" }   # on top of PATH, for both runs
scenario = "x.toml"           # only where a user would need one to build (inputs directory)
fast = true                   # in the subset `make test` runs
known = "why it fails today"  # a root-caused failure (docs/compat.md); a pass is then news
mem = 256                     # guest MiB (default: as `unicore run` picks)
```
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from unicore.errors import BadInputError

FIELDS = {"name", "program", "args", "stdin", "stdin_file", "env", "scenario", "fast", "known", "mem", "timeout"}


@dataclass(frozen=True)
class Case:
    name: str
    program: Path
    args: tuple[str, ...] = ()
    stdin: bytes = b""
    env: tuple[tuple[str, str], ...] = ()
    scenario: Path | None = None
    fast: bool = False
    known: str = ""
    mem: int | None = None
    timeout: float = 60.0
    inputs: Path = field(default=Path("."), compare=False)


def _case(raw: dict, inputs: Path, where: str) -> Case:
    unknown = set(raw) - FIELDS
    if unknown:
        raise BadInputError(f"{where}: unknown field {sorted(unknown)[0]!r}")
    if not isinstance(raw.get("name"), str) or not isinstance(raw.get("program"), str):
        raise BadInputError(f"{where}: a case needs a name and a program")
    args = raw.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise BadInputError(f"{where}: args must be a list of strings")
    stdin = raw.get("stdin", "").encode()
    if "stdin_file" in raw:
        stdin = (inputs / raw["stdin_file"]).read_bytes()
    env = raw.get("env", {})
    if not isinstance(env, dict):
        raise BadInputError(f"{where}: env must be a table")
    scenario = inputs / raw["scenario"] if "scenario" in raw else None
    return Case(raw["name"], Path(raw["program"]), tuple(args), stdin, tuple(sorted(env.items())), scenario,
                bool(raw.get("fast", False)), raw.get("known", ""), raw.get("mem"),
                float(raw.get("timeout", 60.0)), inputs)


def load_corpus(path: Path) -> list[Case]:
    """The cases of a corpus file; its inputs are the `inputs` directory beside it."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInputError(f"{path}: {exc}") from None
    inputs = Path(path).resolve().parent / "inputs"
    cases = [_case(c, inputs, f"{path}: case {i + 1}") for i, c in enumerate(raw.get("case", []))]
    names = [c.name for c in cases]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise BadInputError(f"{path}: case name {duplicate!r} is used twice")
    return cases
