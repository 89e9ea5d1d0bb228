"""build_image: turn a plan (docs/plan.md) and a static program into one bootable image.

Steps, all as ninja edges under build_dir (incremental: a rebuild with nothing changed runs
nothing): compile each chosen library's sources and the generated syscall table with
-ffunction-sections/-fdata-sections; pack the program and embed it (.uk_app) with the optional
root file system archive (.uk_initrd); link pass 1 with
an empty symbol table; extract function symbols; link pass 2 with them; strip into the image.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from unicore.controller.plan import TARGETS
from unicore.controller.planfile import Plan, check_plan
from unicore.errors import BadInputError, ToolMissingError, UnicoreError
from unicore.image import generate as gen
from unicore.image.ninja import NinjaFile, esc
from unicore.image.payload import check_program, is_fixed_static
from unicore.pool.manifest import include_dirs

CFLAGS = ("-std=gnu11 -Os -ffreestanding -nostdlib -fno-pie -fno-pic -mgeneral-regs-only "
          "-fno-stack-protector -fno-omit-frame-pointer -ffunction-sections -fdata-sections -fno-common "
          "-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-tree-loop-distribute-patterns "
          "-Wall -Wextra -Wno-unused-parameter "
          "-Werror=implicit-function-declaration -Werror=int-conversion -Werror=incompatible-pointer-types")
LDFLAGS = "-nostdlib -static -n --gc-sections --build-id=none -z noexecstack"


@dataclass(frozen=True)
class KernelToolchain:
    """How one architecture's kernel is compiled, linked and turned into the image QEMU boots."""
    prefix: str          # binutils/gcc name prefix ("" for the host's)
    cflags: str
    ldflags: str
    image: str           # objcopy flags from kernel.elf to the image: ELF (PVH note) or raw (arm64 Image)


TOOLCHAINS = {
    "x86_64": KernelToolchain("", "-mno-red-zone -fcf-protection=none", "-m elf_x86_64", ""),
    # -mstrict-align: device registers (virtio config space) must not see a merged or unaligned access
    "arm64": KernelToolchain("aarch64-linux-gnu-", "-mstrict-align -mbranch-protection=none", "-m aarch64elf",
                             "-O binary"),
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise ToolMissingError(f"{name} not found: run `make deps` (scripts/install-deps)")
    return path


def _check_plan(plan: dict) -> Plan:
    plan = check_plan(plan)
    target = plan["target"]
    if f"{target.get('plat')}/{target.get('arch')}" not in TARGETS:
        raise BadInputError(f"the build supports targets {', '.join(TARGETS)}, not {target.get('plat')}/{target.get('arch')}")
    kinds = [lib["kind"] for lib in plan["libraries"]]
    if "arch" not in kinds or "plat" not in kinds:
        raise BadInputError("the plan has no arch or plat library")
    return plan


def _external_tree(ext: dict) -> tuple[Path, list[Path]]:
    """The unpacked, verified external source tree (shared in the builds cache: one unpack for
    every image) and the include dirs its sources and the library using it compile with."""
    from unicore.paths import builds_cache
    from unicore.program.external import external_source
    root = external_source(ext["name"], builds_cache() / "kernel")
    return root, [*map(Path, ext["port"]), *(root / d for d in ext["include"])]


def _sources(plan: Plan, obj_dir: Path) -> tuple[list[tuple[Path, Path, list[Path]]], list[Path], dict, Path]:
    """(source, object, extra include dirs) triples, include dirs, option values and the plat
    library's linker script, all from the plan (the controller resolved them; no manifest is read
    here). An external tree's objects go under obj/ext-<name>/ (not the library's own prefix)."""
    pairs, includes, script = [], [], None
    for lib in plan["libraries"]:
        libdir = Path(lib["dir"])
        includes.append(libdir / "include")
        extra: list[Path] = []
        if lib.get("external"):
            root, extra = _external_tree(lib["external"])
            ext_obj = obj_dir / f"ext-{lib['external']['name']}"
            pairs += [(root / src, ext_obj / (src + ".o"), extra) for src in lib["external"]["sources"]]
        for src in lib["sources"]:
            # a source shared from the parent library (arch/x86_64/linux: "../thread_x86_64.c")
            pairs.append((libdir / src, obj_dir / lib["name"] / (src.replace("../", "up-") + ".o"), extra))
        if lib["kind"] == "plat":
            script = libdir / f"link_{plan['target']['arch']}.ld"
    options = dict(plan["options"])
    if not options.get("UK_EXEC_PATH"):  # the plan's options carry the manifest default ""
        options.update(_exec_path(plan))
    return pairs, includes, options, script


def _exec_path(plan: dict) -> dict[str, str]:
    """For a binary built with its guest path (plan program.guest_path), the exec library's
    UK_EXEC_PATH: /proc/self/exe points there, and it is what runs when nothing is embedded."""
    guest = plan.get("program", {}).get("guest_path")
    if guest and any(lib["name"] == "exec" for lib in plan["libraries"]):
        return {"UK_EXEC_PATH": str(guest)}
    return {}


def _generate(plan: dict, program: Path | None, gen_dir: Path, options: dict, rootfs: Path | None) -> None:
    name = plan.get("program", {}).get("name") or (program.stem if program else "program")
    gen.write_if_changed(gen_dir / "initrd.S", gen.initrd_asm(rootfs))
    gen.write_if_changed(gen_dir / "uk_config.h", gen.config_header(options, name))
    gen.write_if_changed(gen_dir / "syscall_table.c", gen.syscall_table(plan["syscalls"], plan["target"]["arch"],
                                                                        list(plan["faked"])))
    gen.write_if_changed(gen_dir / "app.S", gen.app_asm(gen_dir / "app.bin" if program else None))
    gen.write_if_changed(gen_dir / "sites.c", gen.syscall_sites(plan.get("program", {}).get("syscall_sites", [])))
    gen.write_if_changed(gen_dir / "ksyms_empty.S", gen.ksyms_empty())


def _app(n: NinjaFile, program: Path | None, gen_dir: Path, obj_dir: Path) -> Path:
    """The embedded program, packed; an empty section when the image has none."""
    if program is None:
        return n.build(obj_dir / "gen" / "app.o", "cc", [gen_dir / "app.S"])
    n.build(gen_dir / "app.bin", "pack", [program])
    return n.build(obj_dir / "gen" / "app.o", "cc", [gen_dir / "app.S"], [gen_dir / "app.bin"])


def _ninja_file(plan: dict, program: Path | None, output: Path, build_dir: Path, debug: bool,
                rootfs: Path | None) -> NinjaFile:
    gen_dir, obj_dir = build_dir / "gen", build_dir / "obj"
    pairs, includes, options, script = _sources(plan, obj_dir)
    _generate(plan, program, gen_dir, options, rootfs)
    target = plan["target"]
    dirs = [gen_dir, *includes, *include_dirs(target["arch"], target["plat"])]
    incs = " ".join(f"-I{esc(d)}" for d in dict.fromkeys(dirs))
    tc = TOOLCHAINS[target["arch"]]
    n = NinjaFile({"cc": esc(_tool(tc.prefix + "gcc")), "ld": esc(_tool(tc.prefix + "ld")),
                   "objcopy": esc(_tool(tc.prefix + "objcopy")),
                   "cflags": f"{CFLAGS} {tc.cflags}{' -g' if debug else ''} {incs}", "ldflags": f"{LDFLAGS} {tc.ldflags}",
                   "stripflags": tc.image or ("" if debug else "--strip-all")})
    objs = [n.build(o, "cc", [s], **_extra_includes(extra)) for s, o, extra in pairs]
    objs.append(n.build(obj_dir / "gen" / "syscall_table.o", "cc", [gen_dir / "syscall_table.c"]))
    objs.append(_app(n, program, gen_dir, obj_dir))
    objs.append(n.build(obj_dir / "gen" / "sites.o", "cc", [gen_dir / "sites.c"]))
    objs.append(n.build(obj_dir / "gen" / "initrd.o", "cc", [gen_dir / "initrd.S"], [rootfs] if rootfs else []))
    empty = n.build(obj_dir / "gen" / "ksyms_empty.o", "cc", [gen_dir / "ksyms_empty.S"])
    pre = n.build(build_dir / "kernel.pre.elf", "ld", [*objs, empty], [script], script=esc(script))
    # a PIE or dynamic program's link-time addresses are not where it runs: no symbols from it
    n.build(gen_dir / "ksyms.S", "ksyms", [pre, program] if program and is_fixed_static(program) else [pre])
    syms = n.build(obj_dir / "gen" / "ksyms.o", "cc", [gen_dir / "ksyms.S"])
    elf = n.build(build_dir / "kernel.elf", "ld", [*objs, syms], [script], script=esc(script))
    n.build(output, "strip", [elf])
    return n


def _extra_includes(extra: list[Path]) -> dict[str, str]:
    return {"cflags": "$cflags " + " ".join(f"-I{esc(d)}" for d in extra)} if extra else {}


def run_ninja(build_dir: Path) -> str:
    """Run ninja in build_dir; its output, or UnicoreError with the compiler's messages in full."""
    proc = subprocess.run([_tool("ninja"), "-C", str(build_dir)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UnicoreError(f"image build failed:\n{(proc.stdout + proc.stderr).rstrip()}")
    return proc.stdout


def _check_program(plan: dict, program: Path | None) -> None:
    """Static non-PIE programs only, unless the plan has the exec library (PIE, static-pie and
    dynamically linked ones; no embedded program at all: it runs argv[0] from the rootfs)."""
    has_exec = any(lib["name"] == "exec" for lib in plan["libraries"])
    if program is None and not has_exec:
        raise BadInputError("an image without an embedded program needs the exec library in its plan")
    if program is not None:
        check_program(program, plan["target"]["arch"], any_elf=has_exec)


def build_image(plan: dict, program: Path | None, output: Path, build_dir: Path, debug: bool = False,
                rootfs: Path | None = None) -> Path:
    """Build the image for `plan` with `program` embedded (None: the exec library runs argv[0]
    from the root file system), and `rootfs` (a cpio newc archive for the initrd library) linked
    in when given; returns `output` (an ELF, PVH entry)."""
    program = Path(program).resolve() if program is not None else None
    output, build_dir = Path(output).resolve(), Path(build_dir).resolve()
    rootfs = Path(rootfs).resolve() if rootfs else None
    plan = _check_plan(plan)
    _check_program(plan, program)
    if rootfs and not rootfs.is_file():
        raise BadInputError(f"root file system archive not found: {rootfs}")
    build_dir.mkdir(parents=True, exist_ok=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    ninja = _ninja_file(plan, program, output, build_dir, debug, rootfs)
    gen.write_if_changed(build_dir / "build.ninja", ninja.text(output))
    run_ninja(build_dir)
    return output
