"""Existing executables as unikernels: the analysis and root file system for `unicore build --binary`.

The binary is not rebuilt: it goes into the image's root file system at its own path, with its
whole library closure (the dynamic loader included) at the paths ld.so searches, and the files
the dynamic analysis saw it open. The kernel is specialised to `needs.syscalls`.
"""

from pathlib import Path

from unicore.analysis.report import make_report, write_report
from unicore.errors import BadInputError
from unicore.image.rootfs import Entry

DEFAULT_RUN_TIMEOUT = 5.0
# ELF e_machine -> the architecture names targets use (controller.plan.TARGETS)
MACHINES = {3: "i386", 40: "arm", 62: "x86_64", 183: "aarch64", 243: "riscv64", 8: "mips", 20: "ppc", 21: "ppc64",
            22: "s390x"}


def elf_arch(path: Path) -> str | None:
    """The architecture of an ELF file (from e_machine), None when it is no ELF file."""
    with open(path, "rb") as f:
        header = f.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return MACHINES.get(machine, f"ELF machine {machine}")


def check_binary(path: Path, arch: str = "x86_64") -> Path:
    """The executable as an absolute path; refused (one line) when it is missing, no ELF file,
    or built for another architecture than the target's `arch` (it could only fail at boot)."""
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if not path.is_file():
        raise BadInputError(f"{path}: not a regular file")
    found = elf_arch(path)
    if found is None:
        raise BadInputError(f"{path}: not an ELF executable")
    if found != arch:
        raise BadInputError(f"{path} is an executable for {found}; the target's architecture is {arch}")
    return path.absolute()


def check_analysis_runs(report: dict, force: bool) -> list[str]:
    """Runs of the dynamic analysis in which the program itself crashed: an error (the image would
    be specialised to a crash) unless `force`, then the same sentences as warnings."""
    crashed = [r for r in (report.get("dynamic") or {}).get("runs", []) if r.get("crashed")]
    lines = [f"the program crashed natively ({r.get('signal')}) in its analysis run "
             f"'{r.get('scenario') or 'default'}'" for r in crashed]
    if lines and not force:
        raise BadInputError(f"{lines[0]}: its syscalls may be incomplete; fix the program or scenario, "
                            "or pass --force to build anyway")
    return lines


def analyze_binary(binary: Path, scenarios: list[Path], policy: str, build_dir: Path, progress=None) -> dict:
    """Static and/or dynamic analysis of the unmodified binary, saved as build_dir/report.json."""
    from unicore.analysis.dynamic.analyze import analyze_dynamic
    from unicore.analysis.dynamic.scenario import load_scenario
    from unicore.analysis.static.analyze import analyze_static
    static = analyze_static(binary, progress=progress) if policy != "dynamic" else None
    dynamic = None
    if policy != "static":
        loaded = [load_scenario(p) for p in scenarios]
        dynamic = analyze_dynamic(binary, [], loaded, timeout=DEFAULT_RUN_TIMEOUT, progress=progress)
    report = make_report(binary, static, dynamic, policy)
    write_report(report, build_dir / "report.json")
    return report


def closure_entries(binary: Path, report: dict) -> list[Entry]:
    """The program and every shared object it loads, at the paths the loader will open."""
    entries = [Entry(str(binary), binary, "the program")]
    static = report.get("static")
    if static:
        for lib in static["libraries"]:
            why = "the dynamic loader" if lib["path"] == report["program"].get("interp") else "shared library"
            entries.append(Entry(lib["path"], Path(lib["path"]), f"{why} {lib.get('soname') or ''}".strip()))
        interp = report["program"].get("interp")
        if interp and Path(interp).exists():
            entries.append(Entry(interp, Path(interp), "the program's interpreter (PT_INTERP)"))
    else:  # dynamic-only: the shared objects the run opened
        for f in (report.get("dynamic") or {}).get("files", []):
            if f.get("exists") and ".so" in Path(f["path"]).name:
                entries.append(Entry(f["path"], Path(f["path"]), "shared object opened by the run"))
    return entries
