"""cpio "newc" archives: the one writer of the package.

newc is what the kernel's initrd library unpacks into ramfs (image/rootfs.py chooses what goes in)
and what Linux unpacks as an initramfs (bench/debian.py packs a Debian tree with it). A member is
one header of thirteen 8-digit hex fields, its NUL-terminated name and its data, each padded to
4 bytes; the archive ends with the member TRAILER!!!.
"""

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

TRAILER = "TRAILER!!!"


class Member(NamedTuple):
    name: str            # relative path ("." for the root)
    mode: int            # file type and permission bits (stat.S_IF* | perm)
    data: bytes = b""    # a regular file's contents, a symlink's target
    mtime: int = 0
    uid: int = 0
    gid: int = 0
    rdev: int = 0        # device number of a character or block device


def _pad(n: int) -> bytes:
    return b"\0" * (-n % 4)


def record(member: Member, ino: int) -> bytes:
    name = member.name.encode() + b"\0"
    fields = [ino, member.mode, member.uid, member.gid, 1, member.mtime, len(member.data),
              0, 0, os.major(member.rdev), os.minor(member.rdev), len(name), 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name
    return head + _pad(len(head)) + member.data + _pad(len(member.data))


def write(members: Iterable[Member], out: Path) -> int:
    """Write the archive at `out` (atomically: a partial archive never has the final name);
    return its size in bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("wb") as f:
        for ino, member in enumerate(members, start=1):
            f.write(record(member, ino))
        f.write(record(Member(TRAILER, 0), 0))
    tmp.replace(out)
    return out.stat().st_size


def tree_members(root: Path) -> Iterator[Member]:
    """Every entry under `root` as it is on disk (type, permissions, owner, mtime, device
    numbers), parents before children, in sorted order so that the archive is reproducible."""
    for path in sorted(_walk(root), key=lambda p: str(p.relative_to(root)).encode()):
        yield member_of(path, str(path.relative_to(root)))


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            yield Path(dirpath) / name


def member_of(path: Path, name: str) -> Member:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        data = os.readlink(path).encode()
    elif stat.S_ISREG(st.st_mode):
        data = path.read_bytes()
    else:
        data = b""  # directories, devices, fifos and sockets have no data
    return Member(name, st.st_mode, data, int(st.st_mtime), st.st_uid, st.st_gid, st.st_rdev)
