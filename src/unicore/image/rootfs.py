"""The guest's root file system: which host files go into the image, why, and the cpio archive.

Sources, each recorded with its reason: the files the dynamic analysis saw the program open
successfully (only under the allowed prefixes: never the user's home or secrets unless listed),
a user's `--rootfs DIR` tree, and `--file HOST:GUEST` pairs. The archive is cpio "newc", the
format the kernel's initrd library unpacks into ramfs (written by unicore.formats.cpio).
"""

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from unicore.errors import BadInputError
from unicore.formats import cpio

DEFAULT_PREFIXES = ("/etc/", "/usr/share/", "/usr/lib/", "/lib/")
NEVER = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/", "/root/", "/home/", "/proc/", "/sys/", "/dev/")


@dataclass(frozen=True)
class Entry:
    guest: str          # absolute guest path
    host: Path | None   # None for a directory made for the tree
    reason: str
    symlink: str | None = None


def _guest_path(text: str) -> str:
    path = PurePosixPath("/" + text.lstrip("/"))
    if ".." in path.parts:
        raise BadInputError(f"guest path {text!r} must not contain '..'")
    return str(path)


def allowed(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path.startswith(p) for p in prefixes) and not any(path.startswith(n) for n in NEVER)


def from_report(files: list[str], prefixes: tuple[str, ...] = DEFAULT_PREFIXES,
                sysroot: Path | None = None) -> tuple[list[Entry], list[str]]:
    """Entries for the files the program opened; and the paths left out, for the user to see.
    With `sysroot` (a run under qemu-user -L) each comes from where QEMU found it: the sysroot's
    copy when there is one, else the host's."""
    chosen, skipped = [], []
    for path in files:
        inside = Path(sysroot) / path.lstrip("/") if sysroot else None
        host = inside if inside is not None and inside.is_file() else Path(path)
        if allowed(path, prefixes) and host.is_file():
            chosen.append(Entry(_guest_path(path), host, "opened by the program (dynamic analysis)"))
        else:
            skipped.append(path)
    return chosen, skipped


def from_pairs(pairs: list[str]) -> list[Entry]:
    """`HOST:GUEST` pairs given with --file."""
    entries = []
    for pair in pairs:
        host, sep, guest = pair.partition(":")
        if not sep or not guest:
            raise BadInputError(f"--file wants HOST:GUEST, got {pair!r}")
        if not Path(host).is_file():
            raise BadInputError(f"--file {pair}: {host} is not a file")
        entries.append(Entry(_guest_path(guest), Path(host), "listed with --file"))
    return entries


def from_tree(root: Path) -> list[Entry]:
    """Every file, directory and symlink under `root`, placed at the guest's /."""
    if not root.is_dir():
        raise BadInputError(f"--rootfs {root}: not a directory")
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames) + sorted(filenames):
            host = Path(dirpath) / name
            guest = "/" + str(host.relative_to(root))
            link = os.readlink(host) if host.is_symlink() else None
            entries.append(Entry(guest, host, f"from --rootfs {root}", link))
    return entries


def merge(*groups: list[Entry]) -> list[Entry]:
    """One entry per guest path (the first source wins), with every parent directory made."""
    by_path: dict[str, Entry] = {}
    for entry in (e for group in groups for e in group):
        for parent in reversed(PurePosixPath(entry.guest).parents[:-1]):
            by_path.setdefault(str(parent), Entry(str(parent), None, "parent directory"))
        by_path.setdefault(entry.guest, entry)
    return [by_path[p] for p in sorted(by_path)]


def _content(entry: Entry) -> tuple[int, bytes]:
    if entry.symlink is not None:
        return stat.S_IFLNK | 0o777, entry.symlink.encode()
    if entry.host is None or entry.host.is_dir():
        return stat.S_IFDIR | 0o755, b""
    perm = entry.host.stat().st_mode & 0o777
    return stat.S_IFREG | perm, entry.host.read_bytes()


def _mtime(entry: Entry) -> int:
    """The host file's modification time (programs compare them: gzip, Python's .pyc caches);
    0 for directories the build made up. With SOURCE_DATE_EPOCH set, times after it are clamped
    to it (the reproducible-builds convention: the same files give the same archive whenever
    they were last touched)."""
    if entry.host is None:
        return 0
    mtime = int(entry.host.lstat().st_mtime)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return min(mtime, int(epoch)) if epoch.isdigit() else mtime


def write_cpio(entries: list[Entry], out: Path) -> int:
    """Write a newc archive of `entries` (paths relative, as the kernel expects); return its size."""
    return cpio.write((_member(e) for e in entries), out)


def _member(entry: Entry) -> cpio.Member:
    mode, data = _content(entry)
    return cpio.Member(entry.guest.lstrip("/") or ".", mode, data, _mtime(entry))


def guest_path(host: Path | str, sysroot: Path | None = None) -> str:
    """Where the host file `host` is in the guest: the same path, or its path inside `sysroot`."""
    if sysroot is None:
        return str(host)
    return "/" + str(Path(host).absolute().relative_to(Path(sysroot).absolute()))


def closure_entries(binary: Path, report: dict, sysroot: Path | None = None) -> list[Entry]:
    """An unmodified executable (`build --binary`) and every shared object it loads, at the paths
    the loader will open (inside `sysroot` when given): from the static analysis's closure, else
    the shared objects the run opened."""
    entries = [Entry(guest_path(binary, sysroot), binary, "the program")]
    static = report.get("static")
    if static:
        interp = report["program"].get("interp")
        host_interp = str(Path(sysroot) / interp.lstrip("/")) if sysroot and interp else interp
        for lib in static["libraries"]:
            why = "the dynamic loader" if lib["path"] == host_interp else "shared library"
            entries.append(Entry(guest_path(lib["path"], sysroot), Path(lib["path"]),
                                 f"{why} {lib.get('soname') or ''}".strip()))
        if host_interp and Path(host_interp).exists():
            entries.append(Entry(interp, Path(host_interp), "the program's interpreter (PT_INTERP)"))
    else:  # dynamic-only: the shared objects the run opened
        for f in (report.get("dynamic") or {}).get("files", []):
            if f.get("exists") and ".so" in Path(f["path"]).name:
                entries.append(Entry(f["path"], Path(f["path"]), "shared object opened by the run"))
    return entries
