"""The platform/architecture contract and the symbol rules of docs/design.md, checked on the
pool itself: for each target (qemu/x86_64, qemu/arm64, spt/x86_64), an image linking every lib, arch and plat
library of the pool that supports it (hello, built through pool/include/uk/{plat,arch}.h) boots,
and each library's objects define only names with its own prefix."""

import re
import subprocess
import tomllib

import pytest
from kbuild import PROGRAMS

from unicore.controller.plan import fixed_plan
from unicore.image import build_image
from unicore.pool.manifest import POOL_DIR, load_pool
from unicore.runner import run_image
from unicore.program.toolchain import compile_program

# The C library functions the compiler may emit calls to: core defines them (docs/design.md).
COMPILER_NAMES = {"memcpy", "memmove", "memset", "memcmp", "strlen", "strcmp", "strncmp"}


def _manifests(target: str) -> dict[str, tuple]:
    plat, arch = target.split("/")
    found = {}
    for path in POOL_DIR.rglob("library.toml"):
        data = tomllib.loads(path.read_text())
        support = data.get("support", {})
        if data["kind"] in ("lib", "arch", "plat") and all(
                not support.get(k) or v in support[k] for k, v in (("arch", arch), ("plat", plat))):
            found[data["name"]] = (path.parent, data)
    return found


TARGET_LIBS = {"qemu/x86_64": ("plat-qemu", "arch-x86_64"), "qemu/arm64": ("plat-qemu", "arch-arm64"),
               "spt/x86_64": ("plat-spt", "arch-x86_64-linux")}


def test_only_arch_libraries_are_architecture_specific():
    """Every lib library builds for both architectures (support.arch says the truth: the boot
    test below links each of them for each target); only arch libraries (and a platform that
    exists on one, spt) name a single one."""
    narrow = {n: lib.arch for n, lib in load_pool().items()
              if lib.kind == "lib" and lib.arch and set(lib.arch) != {"x86_64", "arm64"}}
    assert narrow == {}


@pytest.fixture(scope="module", params=sorted(TARGET_LIBS))
def every_library_image(tmp_path_factory, request):
    libs = _manifests(request.param)
    plan = fixed_plan(sorted(libs), None, request.param, program={"name": "hello"})
    work = tmp_path_factory.mktemp("contract")
    program = compile_program([PROGRAMS / "hello.c"], work / "hello", arch=request.param.split("/")[1])
    return build_image(plan, program, work / "hello.img", work / "build"), work / "build" / "obj", libs, request.param


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
    image, _, _, _ = every_library_image
    r = run_image(image, [], accel="tcg", timeout=60)
    assert (r.stdout, r.exit_status, r.crashed, r.timed_out) == (b"Hello from unicore!\n", 0, False, False)


def test_each_library_defines_only_its_prefix(every_library_image):
    _, obj_root, libs, _ = every_library_image
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


INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def _headers_under(*parts: str) -> set[str]:
    """Include names ("uk/x86_64.h") of the headers in pool/<part>/**/include."""
    return {str(h.relative_to(d)) for part in parts for d in POOL_DIR.glob(f"{part}/**/include")
            for h in d.rglob("*.h")}


def _includes(path) -> set[str]:
    return set(INCLUDE.findall(path.read_text()))


def _sources(part: str) -> list:
    """The image's C and assembly sources under pool/<part> (not plat/spt's tender: a host program)."""
    return sorted(p for ext in ("*.c", "*.h", "*.S") for p in (POOL_DIR / part).rglob(ext) if "tender" not in p.parts)


# Headers every arch provides under the same name as part of the contract (uk/arch.h says so):
# the machine definitions, and Linux's struct stat, whose layout differs per architecture.
ARCH_CONTRACT_HEADERS = {"uk/arch_defs.h", "uk/arch_abi.h"}


def test_libraries_use_only_the_contract_of_arch_and_plat():
    """A library reaches the machine through uk/arch.h and uk/plat.h only: no arch- or
    platform-private header, no inline assembly (a new arch or plat is a new folder)."""
    private = _headers_under("arch", "plat") - ARCH_CONTRACT_HEADERS
    found = [f"{p.relative_to(POOL_DIR)}: {h}" for p in _sources("lib") for h in _includes(p) if h in private]
    found += [f"{p.relative_to(POOL_DIR)}: asm" for p in _sources("lib") if "__asm__" in p.read_text()]
    assert found == []


def test_arch_and_plat_depend_on_the_contract_not_on_libraries():
    """Platform and architecture code includes the contract (pool/include), its own headers and
    its arch's, uk_config.h, and of the libraries only the syscall-handler macro (uk/syscall.h)
    and the virtio transport (uk/virtio.h: plat/qemu's console is a virtio device)."""
    contract = {str(h.relative_to(POOL_DIR / "include")) for h in (POOL_DIR / "include").rglob("*.h")}
    allowed = contract | _headers_under("arch", "plat") | {"uk_config.h", "uk/syscall.h", "uk/errno.h", "qemu.h", "spt.h", "linux.h",
                                                           "uk/virtio.h"}
    allowed |= {"stdint.h", "stddef.h", "stdbool.h", "stdarg.h"}
    found = [f"{p.relative_to(POOL_DIR)}: {h}" for part in ("arch", "plat") for p in _sources(part)
             for h in _includes(p) if h not in allowed and not (p.parent / h).is_file()]  # or its own folder's
    assert found == []
    assert "uk/plat.h" in contract and "uk/arch.h" in contract


def test_every_contract_function_is_implemented_by_each_arch_and_plat(every_library_image):
    """Every uk_plat_/uk_arch_ function the contract headers declare is defined by the target's
    plat and arch library (what a new platform or architecture folder must provide)."""
    _, obj_root, _, target = every_library_image
    decl = re.compile(r"\b(uk_(?:plat|arch)_[a-z0-9_]+)\s*\(")
    plat_lib, arch_lib = TARGET_LIBS[target]
    for kind, header, lib in (("plat", "plat.h", plat_lib), ("arch", "arch.h", arch_lib)):
        text = re.sub(r"/\*.*?\*/", "", (POOL_DIR / "include" / "uk" / header).read_text(), flags=re.S)
        declared = {m for m in decl.findall(text) if m.startswith(f"uk_{kind}_")}
        assert declared, header
        assert declared - _defined_globals(obj_root / lib) == set(), lib
