"""The dynamic half for a foreign-architecture binary in a sysroot: its runs under QEMU user mode
(`qemu-aarch64 -L SYSROOT -strace`, Debian qemu-user), since strace on the host sees QEMU's own
syscalls, not the guest's. From QEMU's -strace lines ("PID name(args) = result", on stderr) come
the syscall names and counts, and the file facts in the strace run's format (docs/report.md): the
absolute paths opened (`files`, with their flags, errors and whether they exist) and looked at
(`probes`: faccessat, newfstatat, statx, readlinkat). They are guest paths: QEMU's -L looks in
SYSROOT first, then on the host, and the rootfs takes each file from where QEMU found it
(image/rootfs.py from_report). Paths inside the run's directory are not needs, nor the host's
/etc/ld.so.cache that ld.so opens when the sysroot has none. One run per
scenario (its args, env, stdin), or one with no arguments and empty stdin, each in a fresh empty
directory."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from unicore.errors import ToolMissingError

QEMU_USER = {"aarch64": "qemu-aarch64"}
LINE = re.compile(rb"^\d+ ([a-z_][a-z0-9_]*)\(", re.M)
# openat(AT_FDCWD,"/etc/ld.so.cache",O_RDONLY|O_CLOEXEC) = 3, or = -1 errno=2 (No such file or directory)
PATH_CALL = re.compile(rb'^\d+ ([a-z0-9_]+)\((?:AT_FDCWD|-100),"([^"]*)",?([^)]*)\) = (-?\d+)(?: errno=(\d+))?', re.M)
OPENS = {"openat", "open"}
PROBES = {"faccessat", "faccessat2", "newfstatat", "statx", "readlinkat"}
MISSING = {2, 20}  # ENOENT, ENOTDIR: the only errors that prove a path does not exist
HOST_ONLY_CACHE = "/etc/ld.so.cache"  # a sysroot has none (no ldconfig ran: docs/arm64.md)
ERRNO_NAMES = {1: "EPERM", 2: "ENOENT", 13: "EACCES", 20: "ENOTDIR", 21: "EISDIR", 40: "ELOOP"}


def user_mode_half(program: Path, sysroot: Path, arch: str, scenarios: list, timeout: float,
                   args: list[str] = ()) -> dict:
    """The `dynamic` section of the report: syscalls (name -> count), files and probes over the
    runs, and the runs (without scenarios one, with `args`)."""
    qemu = shutil.which(QEMU_USER.get(arch, f"qemu-{arch}"))
    if not qemu:
        raise ToolMissingError(f"qemu-{arch} not found: install Debian's qemu-user (make deps)")
    facts = {"syscalls": {}, "files": {}, "probes": {}}
    runs = [_run(qemu, program, sysroot, s, timeout, facts, list(args)) for s in scenarios or [None]]
    probes = [p for path, p in sorted(facts["probes"].items()) if path not in facts["files"]]
    files = [{**f, "flags": sorted(f["flags"]), "errors": sorted(f["errors"])} for _, f in sorted(facts["files"].items())]
    return {"tracer": f"{Path(qemu).name} -strace -L {sysroot}", "syscalls": dict(sorted(facts["syscalls"].items())),
            "files": files, "probes": probes, "runs": runs}


def _run(qemu: str, program: Path, sysroot: Path, scenario, timeout: float, facts: dict,
         default_args: list[str]) -> dict:
    guest = "/" + str(program.absolute().relative_to(sysroot.absolute()))
    args = list(scenario.args or []) if scenario else default_args
    with tempfile.TemporaryDirectory(prefix="unicore-user-") as cwd:
        env = {"PATH": "/usr/bin:/bin", "HOME": cwd, **(scenario.env if scenario else {})}
        try:
            proc = subprocess.run([qemu, "-strace", "-L", str(sysroot), str(program), *args],
                                  input=scenario.stdin if scenario else b"", capture_output=True, cwd=cwd,
                                  env=env, timeout=(scenario.timeout if scenario and scenario.timeout else timeout))
            status, timed_out = proc.returncode, False
            trace = proc.stderr
        except subprocess.TimeoutExpired as exc:
            status, timed_out, trace = None, True, exc.stderr or b""
        _collect(trace, cwd, sysroot, facts)
    return {"scenario": scenario.name if scenario else "default", "argv": [guest, *args], "exit_status": status, "timed_out": timed_out, "crashed": status is not None and status < 0,
            "signal": f"signal {-status}" if status is not None and status < 0 else None}


def _collect(trace: bytes, cwd: str, sysroot: Path, facts: dict) -> None:
    for m in LINE.finditer(trace):
        name = m.group(1).decode()
        facts["syscalls"][name] = facts["syscalls"].get(name, 0) + 1
    for m in PATH_CALL.finditer(trace):
        name, path = m.group(1).decode(), m.group(2).decode(errors="replace")
        result, errno = int(m.group(4)), int(m.group(5) or 0)
        if not path.startswith("/") or path == cwd or path.startswith(cwd + "/"):
            continue  # relative (inside the run's directory) or in it: not a need
        if path == HOST_ONLY_CACHE and not (sysroot / path.lstrip("/")).exists():
            continue  # QEMU gave ld.so the host's cache, of another architecture: it uses no entry
        if name in OPENS:
            _file(facts["files"], name, path, m.group(3).decode(), result, errno)
        elif name in PROBES:
            probe = facts["probes"].setdefault(path, {"path": path, "syscall": name, "exists": False})
            probe["exists"] = probe["exists"] or result >= 0 or errno not in MISSING


def _file(files: dict, name: str, path: str, args: str, result: int, errno: int) -> None:
    entry = files.setdefault(path, {"path": path, "flags": set(), "exists": False, "syscall": name,
                                    "errors": set(), "opens": 0})
    entry["flags"] |= {f for f in args.split(",")[0].split("|") if f.startswith("O_")}
    entry["opens"] += 1
    if result >= 0:
        entry["exists"] = True
    else:
        entry["errors"].add(ERRNO_NAMES.get(errno, f"errno {errno}"))
        entry["exists"] = entry["exists"] or errno not in MISSING
