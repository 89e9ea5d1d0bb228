"""The analysis report: static and dynamic results merged into what the build needs.

Format: docs/report.md, JSON Schemas in unicore/schemas/report-v1.json and report-v2.json. The
`needs` section is the only part later stages read; `static` and `dynamic` are kept so a person
can see why. Version 2 adds exploration and fuzzing (`explore`, `fuzz`, `soundness`,
`needs.stub`, `needs.fake`, `needs.reasons`); a report without them is still written as version 1,
and both versions are read.
"""

import datetime
import json
from pathlib import Path

from unicore import __version__
from unicore.errors import BadInputError

REPORT_SCHEMA = "unicore.report"
REPORT_VERSION = 2
READ_VERSIONS = (1, 2)
POLICIES = ("static+dynamic", "static", "dynamic")


def needed_files(dynamic: dict | None) -> list[str]:
    """Files the program opened successfully or checked for and found (stat, access): a program
    may look before it opens (Python looks for its modules so). Directories and devices are
    left out later, by the build."""
    if not dynamic:
        return []
    seen = dynamic.get("files", []) + dynamic.get("probes", [])
    return sorted({f["path"] for f in seen if f.get("exists")})


def needed_syscalls(static: dict | None, dynamic: dict | None, policy: str) -> list[str]:
    """The syscall set the build uses, chosen by `policy` from the available halves."""
    if policy not in POLICIES:
        raise BadInputError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    wanted = set()
    if static and policy in ("static+dynamic", "static"):
        wanted |= set(static.get("syscalls", []))
    if dynamic and policy in ("static+dynamic", "dynamic"):
        wanted |= set(dynamic.get("syscalls", {}))
    return sorted(wanted)


def make_report(program: Path, static: dict | None, dynamic: dict | None,
                policy: str = "static+dynamic", explore: dict | None = None, fuzz: dict | None = None) -> dict:
    """Assemble a report from the static and/or dynamic results; version 2 with exploration or
    fuzzing results, else version 1."""
    info = dict(static["program"]) if static else {"path": str(program), "arch": dynamic.get("arch", "x86_64")}
    report = {
        "schema": REPORT_SCHEMA, "version": 1, "unicore": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "program": info, "static": static, "dynamic": dynamic,
        "needs": {"policy": policy, "syscalls": needed_syscalls(static, dynamic, policy),
                  "files": needed_files(dynamic)},
    }
    if explore is not None or fuzz is not None:
        from unicore.analysis.dynamic.explore import apply_to_report
        apply_to_report(report, explore, fuzz)
    return report


def write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=1, sort_keys=False) + "\n")
    tmp.replace(path)  # atomic: a crash never leaves half a report over a good one


def load_report(path: Path) -> dict:
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: not a readable report: {exc}") from None
    if not isinstance(report, dict) or report.get("schema") != REPORT_SCHEMA:
        raise BadInputError(f"{path}: not a unicore report")
    if report.get("version") not in READ_VERSIONS:
        raise BadInputError(f"{path}: report version {report.get('version')} is not one of "
                            f"{', '.join(map(str, READ_VERSIONS))}")
    if not isinstance(report.get("needs", {}).get("syscalls"), list):
        raise BadInputError(f"{path}: report has no needs.syscalls list")
    return report
