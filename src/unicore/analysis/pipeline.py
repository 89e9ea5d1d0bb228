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


def check_binary(path: Path) -> Path:
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if not path.is_file():
        raise BadInputError(f"{path}: not a regular file")
    return path.absolute()


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
