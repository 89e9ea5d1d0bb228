"""The plan file (`unicore.plan`, docs/plan.md): its types, where it lives, reading and writing.

The one reader of plans: the image build, `unicore run` and `unicore verify` take plans through
`load_plan` / `check_plan`. Kept apart from the selection rules (plan.py) so that reading a plan
imports nothing heavier than json.
"""

import json
from pathlib import Path
from typing import TypedDict

from unicore.errors import BadInputError

PLAN_SCHEMA = "unicore.plan"
PLAN_VERSION = 3  # 2: each library carries its sources and capabilities (the build reads no manifest)
                  # 3: `stubbed` and `faked` syscalls from the report's exploration, with reasons
READ_VERSIONS = (2, 3)  # a version-2 plan reads as one with nothing stubbed or faked


class Target(TypedDict):
    arch: str
    plat: str


class PlanLibrary(TypedDict):
    # optional "external": {name, sources, include, port} for a library compiled with an
    # external source tree (net: lwIP); the build fetches and unpacks it (docs/plan.md)
    name: str
    dir: str            # absolute path of the library's folder (sources, include/)
    kind: str           # lib | arch | plat
    reasons: list[str]
    sources: list[str]  # relative to dir, from the manifest
    capabilities: list[str]  # what it provides, e.g. "host-volumes" (the runner checks -v with it)


class Plan(TypedDict):
    """docs/plan.md; the one file the image build reads."""
    schema: str
    version: int
    target: Target
    libraries: list[PlanLibrary]
    syscalls: dict[str, str]     # syscall -> library handling it
    stubbed: dict[str, str]      # syscall -> why it has no handler (returns -ENOSYS)
    faked: dict[str, str]        # syscall -> why it gets the shared return-0 entry
    missing: list[str]
    on_missing: str
    options: dict[str, object]   # every chosen library's options, resolved (UK_<LIB>_<NAME>)
    program: dict


def plan_of_image(image: Path) -> Path:
    """Where the plan an image was built from is kept: beside it, as IMAGE.plan.json (`unicore
    verify` finds the native program there, `unicore run` the image's capabilities)."""
    return Path(str(image) + ".plan.json")


def image_record(image: Path) -> tuple[Plan | None, dict | None]:
    """(plan, image facts) from the image's sidecar: (None, None) when it has none (built by hand);
    facts None when they were not recorded or the image changed since (its size differs)."""
    sidecar = plan_of_image(image)
    if not sidecar.is_file():
        return None, None
    plan = load_plan(sidecar)
    facts = plan.get("image")
    try:
        fresh = isinstance(facts, dict) and facts.get("bytes") == Path(image).stat().st_size
    except OSError:
        fresh = False
    return plan, facts if fresh else None


def write_plan(plan: Plan, path: Path) -> Path:
    path.write_text(json.dumps(plan, indent=1) + "\n")
    return path


def check_plan(plan: dict, where: str = "plan") -> Plan:
    """`plan` itself when it is a unicore plan of this version with every field the build reads."""
    if not isinstance(plan, dict) or plan.get("schema") != PLAN_SCHEMA:
        raise BadInputError(f"{where}: not a unicore plan")
    if plan.get("version") not in READ_VERSIONS:
        raise BadInputError(f"{where}: plan version {plan.get('version')!r} is not one of "
                            f"{', '.join(map(str, READ_VERSIONS))}; rebuild the image")
    if plan["version"] == 2:
        plan = {**plan, "version": PLAN_VERSION, "stubbed": {}, "faked": {}}
    missing = [k for k in Plan.__annotations__ if k not in plan]
    libs = plan.get("libraries")
    if not missing and isinstance(libs, list):
        missing = [f"libraries[{i}].{k}" for i, lib in enumerate(libs) for k in PlanLibrary.__annotations__
                   if not isinstance(lib, dict) or k not in lib][:1]
    if missing:
        raise BadInputError(f"{where}: plan lacks {missing[0]!r}")
    return plan  # type: ignore[return-value]


def load_plan(path: Path) -> Plan:
    try:
        plan = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: not a readable plan: {exc}") from None
    return check_plan(plan, str(path))
