"""Host volumes (`-v HOSTDIR:GUESTDIR[:ro]`): parsing, checks before boot, leases, QEMU arguments.

Checked before QEMU starts, each failure one line: the host directory exists; the guest path is
absolute, not `/` (the root is the image's ramfs), not given twice and not inside another
volume (the guest mounts devices in probing order, so nesting would be arbitrary); the devices
fit microvm's 24 virtio-mmio slots; mapped-xattr volumes are on a file system with user xattrs.

Leases: QEMU's 9p server answers every TLOCK with success without locking anything on the host
(hw/9pfs/9p.c v9fs_lock), so guest record locks protect nothing across guests. Instead each run
takes a BSD lock (flock) on each volume's host directory, exclusive for a writable volume and
shared for a read-only one, plus shared locks on its ancestors (so nested host directories
exclude each other too). The locks are inherited by QEMU and last until it ends. A second run
that would write the same tree is refused in one line naming the holder's pid (/proc/locks);
`--no-volume-lock` opts out. Host processes that flock the directory are excluded the same way.
"""

import errno
import fcntl
import os
import posixpath
from pathlib import Path
from typing import NamedTuple

from unicore.errors import BadInputError

VIRTIO_SLOTS = 24  # microvm's virtio-mmio transports (HOST-NOTES)
SECURITY_MODELS = ("mapped-xattr", "passthrough", "none")
DEFAULT_SECURITY = "mapped-xattr"


class Volume(NamedTuple):
    host: Path       # resolved host directory
    guest: str       # normalised absolute guest path
    readonly: bool = False


def parse_volume(spec: str) -> Volume:
    """HOSTDIR:GUESTDIR[:ro|:rw] -> Volume. The host path may hold colons (the guest path is
    after the last one); the guest path may not."""
    rest, sep, mode = spec.rpartition(":")
    readonly = sep and mode == "ro"
    host, sep, guest = (rest if sep and mode in ("ro", "rw") else spec).rpartition(":")
    if not sep or not host or not guest:
        raise BadInputError(f"volume {spec!r}: expected HOSTDIR:GUESTDIR[:ro]")
    if not Path(host).is_dir():
        raise BadInputError(f"volume {spec!r}: host directory {host} does not exist")
    if not guest.startswith("/"):
        raise BadInputError(f"volume {spec!r}: the guest path must be absolute")
    guest = "/" + posixpath.normpath(guest).lstrip("/")
    if guest == "/":
        raise BadInputError(f"volume {spec!r}: cannot mount a volume at / (the image's root file "
                            "system); mount it at a directory such as /data")
    return Volume(Path(host).resolve(), guest, bool(readonly))


def check_volumes(volumes: list[Volume], other_virtio: int = 0) -> None:
    """Duplicate or nested guest paths, and more devices than microvm has slots: one line each."""
    seen = {}
    for v in volumes:
        if v.guest in seen:
            raise BadInputError(f"guest path {v.guest} is given twice (volumes {seen[v.guest]} and {v.host})")
        seen[v.guest] = v.host
    for v in volumes:
        for w in volumes:
            if v is not w and v.guest.startswith(w.guest + "/"):
                raise BadInputError(f"guest path {v.guest} is inside volume {w.guest}: mount volumes side by side")
    if len(volumes) + other_virtio > VIRTIO_SLOTS:
        raise BadInputError(f"{len(volumes)} volumes: microvm has {VIRTIO_SLOTS} virtio slots"
                            + (f" ({other_virtio} taken by other devices)" if other_virtio else ""))


def check_security(volumes: list[Volume], model: str) -> None:
    if model not in SECURITY_MODELS:
        raise BadInputError(f"volume security {model!r}: valid: {', '.join(SECURITY_MODELS)}")
    if model != "mapped-xattr":
        return
    for v in volumes:
        try:
            os.getxattr(v.host, "user.virtfs.mode")
        except OSError as exc:
            if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
                raise BadInputError(f"volume {v.host}: its file system has no user extended attributes, "
                                    "which --volume-security mapped-xattr needs; use passthrough") from None


def qemu_opt(value: str) -> str:
    """A value inside a QEMU option list (`key=value,...`): QEMU's parser reads ',,' as one comma."""
    return value.replace(",", ",,")


def volume_tag(i: int) -> str:
    return f"vol{i}"


def volume_args(volumes: list[Volume], model: str = DEFAULT_SECURITY) -> list[str]:
    args = []
    for i, v in enumerate(volumes):
        ro = ",readonly=on" if v.readonly else ""
        args += ["-fsdev", f"local,id=uk9p{i},path={qemu_opt(str(v.host))},security_model={model}{ro}",
                 "-device", f"virtio-9p-device,fsdev=uk9p{i},mount_tag={volume_tag(i)}"]
    return args


def _lock_plan(volumes: list[Volume]) -> dict[Path, int]:
    """Directory -> flock mode: exclusive for writable volumes, shared for read-only ones and for
    every ancestor (so a run writing /a and one writing /a/b exclude each other)."""
    plan: dict[Path, int] = {}
    for v in volumes:
        for parent in v.host.parents:
            plan.setdefault(parent, fcntl.LOCK_SH)
    for v in volumes:
        if plan.get(v.host) != fcntl.LOCK_EX:
            plan[v.host] = fcntl.LOCK_SH if v.readonly else fcntl.LOCK_EX
    return plan


def holder(path: Path) -> str:
    """Who holds a flock on `path`, from /proc/locks ("pid N (comm)"), or "another process"."""
    st = os.stat(path)
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == dev and fields[4] != str(os.getpid()):
            pid = fields[4]
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                return f"pid {pid}"
            return f"pid {pid} ({comm})"
    return "another process"


def take_leases(volumes: list[Volume]) -> list[int]:
    """Lock the volumes' directories (see the module doc); the fds, to pass to QEMU and close after.
    A directory another run holds: one line naming it and its holder."""
    fds = []
    try:
        for path, mode in sorted(_lock_plan(volumes).items()):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                continue  # an ancestor we may not read: its descendants are still locked
            fds.append(fd)
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BadInputError(_busy(path, mode, volumes)) from None
    except BaseException:
        release(fds)
        raise
    return fds


def _busy(path: Path, mode: int, volumes: list[Volume]) -> str:
    what = "written" if mode == fcntl.LOCK_EX else "used"
    return (f"volume {path} is in use by {holder(path)}: it cannot be {what} by two guests at once "
            f"(wait for it, or pass --no-volume-lock to share it anyway)")


def release(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
    fds.clear()
