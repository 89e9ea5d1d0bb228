"""The base every Linux program expects to find, made for the guest: /tmp (writable, in ramfs),
the home directory, /etc/passwd and /etc/group with the user the program runs as (root: the
kernel gives uid and gid 0) and nobody, /etc/nsswitch.conf (files only), /etc/hosts.

/dev (null, zero, urandom...) comes from the kernel's devfs and /proc/self/exe from exec; they
are not files of the archive. A file the traced run read from the host (its /etc/passwd, say)
is kept instead of the made one: the program saw those bytes natively.
"""

import grp
import os
import pwd
from pathlib import Path

from unicore.image.rootfs import Entry

LOCAL_TIME = ("/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo/")
NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\n" \
           "protocols: files\nservices: files\nethers: files\nrpc: files\n"
HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"


def reads_local_time(paths: list[str]) -> bool:
    return any(p.startswith(LOCAL_TIME) for p in paths)


def _passwd_line(uid: int, fallback: str) -> str:
    try:
        p = pwd.getpwuid(uid)
        return f"{p.pw_name}:x:{p.pw_uid}:{p.pw_gid}:{p.pw_gecos}:{p.pw_dir}:{p.pw_shell}\n"
    except KeyError:
        return fallback


def _group_line(gid: int, fallback: str) -> str:
    try:
        return f"{grp.getgrgid(gid).gr_name}:x:{gid}:\n"
    except KeyError:
        return fallback


def files() -> dict[str, str]:
    """Guest path -> contents of the made files (the host's names for uid/gid 0 and 65534)."""
    return {
        "/etc/passwd": _passwd_line(0, "root:x:0:0:root:/root:/bin/sh\n")
        + _passwd_line(65534, "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
        "/etc/group": _group_line(0, "root:x:0:\n") + _group_line(65534, "nogroup:x:65534:\n"),
        "/etc/nsswitch.conf": NSSWITCH,
        "/etc/hosts": HOSTS,
    }


# merged /usr: Debian's top-level directories are links into /usr, and programs exec and open
# through either spelling (/bin/sh, /bin/diff, /lib64/ld-linux-x86-64.so.2)
MERGED_USR = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def _merged_usr_links() -> list[Entry]:
    """The host's merged-/usr links, as links (none on a host without merged /usr)."""
    return [Entry(d, Path(d), "merged /usr, as on the host", symlink=os.readlink(d))
            for d in MERGED_USR if os.path.islink(d)]


def entries(build_dir: Path, traced: list[str], host_links: bool = True) -> list[Entry]:
    """The base group's entries; made files are written under build_dir/base (the archive reads
    them). `host_links` False: not the host's merged-/usr links (a sysroot has its own layout)."""
    out = build_dir / "base"
    entries = [Entry("/tmp", None, "writable scratch directory (mkstemp, tac, sort)"),
               Entry(_home(), None, "the user's home directory"), *(_merged_usr_links() if host_links else [])]
    for guest, text in files().items():
        if guest in traced:
            continue
        host = out / guest.lstrip("/")
        host.parent.mkdir(parents=True, exist_ok=True)
        if not host.exists() or host.read_text() != text:
            host.write_text(text)
        entries.append(Entry(guest, host, "made for the guest: the user it runs as"))
    return entries


def _home() -> str:
    try:
        return pwd.getpwuid(0).pw_dir or "/root"
    except KeyError:
        return "/root"
