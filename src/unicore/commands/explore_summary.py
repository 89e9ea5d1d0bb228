"""The `unicore analyze` summary of a version-2 report: exploration table, fuzzing, soundness."""

from rich.table import Table


def print_exploration(console, report: dict) -> None:
    explore, fuzz, sound = report.get("explore"), report.get("fuzz"), report.get("soundness") or {}
    if explore:
        _per_syscall(console, explore)
        _counts(console, explore)
    if fuzz:
        console.print(f"fuzzing: {fuzz['inputs']} inputs tried, {len(fuzz['kept'])} kept as scenarios; "
                      f"added {len(fuzz.get('added_syscalls', []))} syscalls "
                      f"({' '.join(fuzz.get('added_syscalls', [])) or '-'}) and {len(fuzz.get('added_files', []))} files")
    if sound.get("outside_static"):
        console.print(f"[red]analysis bug[/]: the runs used {', '.join(sound['outside_static'])}, "
                      "outside the static reachable set")


def _per_syscall(console, explore: dict) -> None:
    table = Table("syscall", "class", "evidence", title=f"exploration ({explore['mechanism']})")
    for name, entry in explore["syscalls"].items():
        table.add_row(name, entry["class"], evidence(entry))
    console.print(table)
    confirm = explore["confirm"]
    if confirm["passed"]:
        console.print("all stubs and fakes together: every scenario passed")
    else:
        console.print(f"[yellow]all stubs and fakes together failed[/] ({_failed(confirm['failed'])}); "
                      f"backed off: {', '.join(confirm['backed_off']) or 'none'}")


def evidence(entry: dict) -> str:
    """One phrase: why the class was chosen."""
    if entry["class"] == "stub":
        return "stubbed: " + ", ".join(entry["stub"]["passed_scenarios"]) + " passed"
    stub = "stub: " + _failed(entry["stub"]["failed"])
    if entry["class"] == "fake":
        return f"{stub}; faked: all passed"
    combined = f"; combined: {_failed(entry['combined'])}" if entry.get("combined") else ""
    return f"{stub}; fake: {_failed(entry['fake']['failed'])}{combined}"


def _failed(failed: dict | None) -> str:
    return f"{failed['scenario']} {failed['how']}" if failed else "passed"


def _counts(console, explore: dict) -> None:
    c = explore["counts"]
    used = c["used"] or 1
    table = Table("used", "required", "stubbable", "fakeable", "chosen stub", "chosen fake", title="syscall needs")
    table.add_row(str(c["used"]), *(f"{c[k]} ({100 * c[k] / used:.0f}%)"
                                    for k in ("required", "stubbable", "fakeable", "stub", "fake")))
    console.print(table)
