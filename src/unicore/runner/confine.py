"""Confining QEMU: its seccomp sandbox and the identity it runs as.

`-sandbox on,...` (QEMU's seccomp filter, Debian's build has it: it links libseccomp) denies
obsolete system calls, privilege changes, fork/exec and resource-control calls.

Identity, when `unicore` runs as root (otherwise QEMU runs as the caller):
- no volumes: `nobody`; volumes whose host directories all belong to one non-root user: that
  user (so files the guest creates belong to the owner of the directory);
- root stays for what needs it: volumes owned by root or by several users, `passthrough`
  volumes (ownership changes as any user), or a volume the chosen user cannot reach.
KVM adds /dev/kvm's group. The run directory is chowned to the identity and the image copied in,
so QEMU needs nothing else readable.
"""

import functools
import os
import pwd
from pathlib import Path
from typing import NamedTuple

from unicore.runner.hostcache import cached, file_stamp
from unicore.runner.volumes import Volume

SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"
KVM_DEV = Path("/dev/kvm")


@functools.lru_cache(maxsize=4)
def has_seccomp(qemu: str) -> bool:
    """Whether this QEMU binary was built with seccomp (-sandbox); cached per binary (hostcache.py)."""
    try:
        stamp = file_stamp(qemu)
    except OSError:
        return False
    return cached(f"seccomp:{qemu}", stamp, lambda: _links_seccomp(qemu))


def _links_seccomp(qemu: str) -> bool:
    """It links libseccomp, whose soname is then in its dynamic string table (a 20 MB scan)."""
    import mmap
    try:
        with open(qemu, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(b"libseccomp.so") >= 0
    except (OSError, ValueError):
        return False


def sandbox_args(qemu: str) -> list[str]:
    return ["-sandbox", SANDBOX] if has_seccomp(qemu) else []


class Identity(NamedTuple):
    uid: int
    gid: int
    groups: tuple[int, ...] = ()

    def triple(self) -> tuple[int, int, tuple[int, ...]]:
        return self.uid, self.gid, self.groups


def _nobody() -> Identity:
    try:
        entry = pwd.getpwnam("nobody")
        return Identity(entry.pw_uid, entry.pw_gid)
    except KeyError:
        return Identity(65534, 65534)


def _owner(uid: int, fallback_gid: int) -> Identity:
    try:
        return Identity(uid, pwd.getpwuid(uid).pw_gid)
    except KeyError:
        return Identity(uid, fallback_gid)


def _rwx(path: Path, who: Identity) -> int:
    """The rwx triple of `path`'s mode that applies to `who` (ACLs are not consulted)."""
    st = os.stat(path)
    if st.st_uid == who.uid:
        return (st.st_mode >> 6) & 7
    return (st.st_mode >> 3) & 7 if st.st_gid in (who.gid, *who.groups) else st.st_mode & 7


def can_access(path: Path, who: Identity, want: int) -> bool:
    """Whether `who` can search every ancestor of `path` and has the rwx bits `want` (7, 5, 1) on it."""
    try:
        return all(_rwx(p, who) & 1 for p in path.parents) and _rwx(path, who) & want == want
    except OSError:
        return False


def _candidate(volumes: list[Volume], model: str) -> tuple[Identity | None, str]:
    if volumes and model == "passthrough":
        return None, "passthrough volumes set ownership as any user"
    owners = {os.stat(v.host).st_uid: v for v in volumes}
    if 0 in owners:
        return None, f"volume {owners[0].host} belongs to root"
    if len(owners) > 1:
        return None, "the volumes belong to different users"
    if owners:
        (uid, v), = owners.items()
        return _owner(uid, os.stat(v.host).st_gid), "owner of the volumes"
    return _nobody(), "no volumes"


def qemu_identity(volumes: list[Volume], model: str, accel: str, run_parent: Path) -> tuple[Identity | None, str]:
    """(identity for QEMU or None to keep the caller's, why). See the module doc."""
    if os.geteuid() != 0:
        return None, "as the calling user"
    who, why = _candidate(volumes, model)
    if who is None:
        return None, f"root: {why}"
    for v in volumes:
        if not can_access(v.host, who, 5 if v.readonly else 7):
            return None, f"root: {v.host} is not reachable for uid {who.uid}"
    if not can_access(run_parent, who, 1):
        return None, f"root: the temporary directory {run_parent} is not reachable for uid {who.uid}"
    if accel == "kvm" and KVM_DEV.exists() and not KVM_DEV.stat().st_mode & 0o006:
        who = Identity(who.uid, who.gid, (KVM_DEV.stat().st_gid,))
    return who, f"uid {who.uid} ({why})"
