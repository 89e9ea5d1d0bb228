"""The platform/architecture contract and the symbol rules of docs/design.md, checked on the
pool itself: an image linking every lib, arch and plat library of the pool (hello, built for the
existing target x86_64/qemu through pool/include/uk/{plat,arch}.h) boots, and each library's
objects define only names with its own prefix."""

import re
import subprocess
import tomllib

import pytest
from kbuild import PROGRAMS

from unicore.controller.plan import fixed_plan
from unicore.image import build_image
from unicore.pool.manifest import POOL_DIR
from unicore.runner import run_image
from unicore.program.toolchain import compile_program

# The C library functions the compiler may emit calls to: core defines them (docs/design.md).
COMPILER_NAMES = {"memcpy", "memmove", "memset", "memcmp", "strlen", "strcmp", "strncmp"}


def _manifests() -> dict[str, tuple]:
    found = {}
    for path in POOL_DIR.rglob("library.toml"):
        data = tomllib.loads(path.read_text())
        if data["kind"] in ("lib", "arch", "plat"):
            found[data["name"]] = (path.parent, data)
    return found


@pytest.fixture(scope="module")
def every_library_image(tmp_path_factory):
    libs = _manifests()
    plan = fixed_plan(sorted(libs), None, program={"name": "hello"})
    work = tmp_path_factory.mktemp("contract")
    program = compile_program([PROGRAMS / "hello.c"], work / "hello")
    return build_image(plan, program, work / "hello.img", work / "build"), work / "build" / "obj", libs


def _prefixes(name: str, manifest: dict) -> tuple[str, ...]:
    if manifest["kind"] in ("arch", "plat"):
        own = f"uk_{manifest['kind']}_"
    else:
        own = "uk_" + name.replace("-", "_") + "_"
    caps = tuple("uk_" + c.replace("-", "_") + "_" for c in manifest["provides"].get("capabilities", []))
    return own, "uk_sys_", *caps


def _defined_globals(obj_dir) -> set[str]:
    out = subprocess.run(["nm", "-g", "--defined-only", *map(str, obj_dir.glob("*.o"))],
                         capture_output=True, text=True, check=True).stdout
    return {f[2] for f in (line.split() for line in out.splitlines()) if len(f) == 3}


def test_every_library_boots_through_the_contract(every_library_image):
    image, _, _ = every_library_image
    r = run_image(image, [], accel="tcg", timeout=60)
    assert (r.stdout, r.exit_status, r.crashed, r.timed_out) == (b"Hello from unicore!\n", 0, False, False)


def test_each_library_defines_only_its_prefix(every_library_image):
    _, obj_root, libs = every_library_image
    offenders = {}
    for name, (_, manifest) in libs.items():
        allowed = _prefixes(name, manifest)
        names = _defined_globals(obj_root / name)
        assert names or not manifest.get("sources"), f"{name}: no objects under {obj_root / name}"
        extra = COMPILER_NAMES if name == "core" else set()
        bad = sorted(s for s in names if not s.startswith(allowed) and s not in extra)
        if bad:
            offenders[name] = bad
    assert offenders == {}


def test_no_hand_written_extern_or_weak_prototype_outside_headers():
    """Cross-library prototypes come from headers (UK_OPTIONAL marks optional ones)."""
    pattern = re.compile(r"^\s*extern\s.*|^[^#\n]*__attribute__\(\(weak\)\);", re.M)
    found = [f"{p.relative_to(POOL_DIR)}: {m.group(0).strip()}"
             for p in sorted(POOL_DIR.rglob("*.c")) for m in pattern.finditer(p.read_text())]
    assert found == []
