"""What one strace run tells about a program: syscall and error counts, files, directories,
executed programs, sockets, signals and how the first process ended.

Built from `strace_parse` events. Sockets are identified by their inode (`-y` prints every socket
fd as `N<socket:[INODE]>`), so threads, forks and dup'ed fds need no fd-table bookkeeping.
Relative paths are made absolute with the `-y` decoration of the directory fd (`AT_FDCWD</cwd>`)
or, for `open()`/`creat()` that have none, the last working directory seen for that process.
"""

import platform
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field

from unicore.analysis.dynamic.strace_parse import Call, Event, Exit, Signal, decoration, string_arg, string_list
from unicore.syscalls import name_of

_UNNAMED_RE = re.compile(r"^syscall_((?:0x)?[0-9a-fA-F]+)$")
_SOCKET_RE = re.compile(r"^socket:\[(\d+)\]$")
_MISSING_ERRNOS = {"ENOENT", "ENOTDIR"}  # the only open errors that prove a path does not exist


@dataclass
class FileUse:
    path: str
    syscall: str
    flags: set[str] = field(default_factory=set)
    errors: set[str] = field(default_factory=set)
    opened: bool = False  # at least one open succeeded
    resolved: str | None = None  # the kernel's path for the opened fd (symlinks resolved)
    opens: int = 0

    @property
    def exists(self) -> bool:
        return self.opened or bool(self.errors - _MISSING_ERRNOS)


@dataclass
class Probe:
    """A path looked at without being opened (stat, access, readlink): `found` unless ENOENT/ENOTDIR."""

    path: str
    syscall: str
    found: bool = False


@dataclass
class SocketUse:
    family: str
    type: str
    protocol: str
    bound: list[str] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)
    listening: bool = False
    accepted: int = 0
    via_accept: bool = False  # created by accept(): described by its listening socket


@dataclass
class TraceFacts:
    syscalls: Counter = field(default_factory=Counter)
    errors: dict[str, Counter] = field(default_factory=dict)
    files: dict[str, FileUse] = field(default_factory=dict)
    directories: set[str] = field(default_factory=set)
    probes: dict[str, "Probe"] = field(default_factory=dict)
    exec: list[dict] = field(default_factory=list)
    processes: int = 0  # fork, vfork, clone/clone3 without CLONE_THREAD: new processes
    sockets: dict[str, SocketUse] = field(default_factory=dict)
    signals: set[str] = field(default_factory=set)
    exits: dict[int, Exit] = field(default_factory=dict)
    main_pid: int | None = None
    launch_error: str | None = None  # errno of the launcher's execve when it failed
    cwd: dict[int, str] = field(default_factory=dict)
    default_cwd: str = "/"


def collect(events, cwd: str) -> TraceFacts:
    """Fold a trace's events into facts; the first call (the launcher's execve) is not counted."""
    facts = TraceFacts(default_cwd=cwd)
    for event in events:
        if facts.main_pid is None and isinstance(event, Call) and _is_launch(event, facts):
            continue
        _fold(event, facts)
    return facts


def _is_launch(call: Call, facts: TraceFacts) -> bool:
    """The first call is the execve strace performs to start the program: the launcher's."""
    facts.main_pid = call.pid
    if call.name not in ("execve", "execveat"):
        return False
    facts.launch_error = call.errno
    return True


def _fold(event: Event, facts: TraceFacts) -> None:
    if isinstance(event, Signal):
        facts.signals.add(event.name)
    elif isinstance(event, Exit):
        facts.exits[event.pid] = event  # a fatal signal was already seen as `--- SIG ---` if delivered
    else:
        _count(event, facts)
        handler = _HANDLERS.get(event.name)
        if handler:
            handler(event, facts)


def _count(call: Call, facts: TraceFacts) -> None:
    name = syscall_name(call.name)
    facts.syscalls[name] += 1
    if call.errno:
        facts.errors.setdefault(name, Counter())[call.errno] += 1


def syscall_name(name: str, arch: str | None = None) -> str:
    """strace's name, with numbers it cannot name (`syscall_0x1cc`) named from the UAPI tables."""
    m = _UNNAMED_RE.match(name)
    if not m:
        return name
    return name_of(arch or _host_arch(), int(m.group(1), 0))


def _host_arch() -> str:
    machine = platform.machine()
    return "aarch64" if machine == "arm64" else machine


def _cwd(call: Call, facts: TraceFacts) -> str:
    return facts.cwd.get(call.pid, facts.default_cwd)


def _dir_of(call: Call, facts: TraceFacts, dirfd_arg: str | None) -> str:
    """The directory a relative path is resolved against (dirfd decoration or tracked cwd)."""
    if dirfd_arg is None:
        return _cwd(call, facts)
    value, path = decoration(dirfd_arg)
    if value == "AT_FDCWD" and path:
        facts.cwd[call.pid] = path  # the kernel's own view of the cwd: keep it current
    return path or _cwd(call, facts)


def _absolute(path: str, base: str) -> str:
    return posixpath.normpath(posixpath.join(base, path)) if path else base


def _open_like(call: Call, facts: TraceFacts, dirfd: str | None, path_arg: str, flags: str) -> None:
    path = string_arg(path_arg)
    if path is None:
        return
    full = _absolute(path, _dir_of(call, facts, dirfd))
    use = facts.files.setdefault(full, FileUse(full, call.name))
    use.opens += 1
    use.flags.update(f for f in flags.split("|") if f)
    if call.errno:
        use.errors.add(call.errno)
    elif call.ok:
        use.opened = True
        resolved = decoration(call.result.split(" ")[0])[1] if call.result else None
        if resolved and resolved != full:
            use.resolved = resolved


def _on_open(call: Call, facts: TraceFacts) -> None:
    if len(call.args) >= 2:
        _open_like(call, facts, None, call.args[0], call.args[1])


def _on_openat(call: Call, facts: TraceFacts) -> None:
    if len(call.args) >= 3:
        _open_like(call, facts, call.args[0], call.args[1], call.args[2])


def _on_openat2(call: Call, facts: TraceFacts) -> None:
    if len(call.args) >= 3:
        m = re.search(r"flags=([^,}]*)", call.args[2])
        _open_like(call, facts, call.args[0], call.args[1], m.group(1) if m else "")


def _on_creat(call: Call, facts: TraceFacts) -> None:
    if call.args:
        _open_like(call, facts, None, call.args[0], "O_CREAT|O_WRONLY|O_TRUNC")


# syscall -> (index of the dirfd argument or None, index of the path argument)
_PROBES = {"stat": (None, 0), "lstat": (None, 0), "newfstatat": (0, 1), "statx": (0, 1),
           "access": (None, 0), "faccessat": (0, 1), "faccessat2": (0, 1),
           "readlink": (None, 0), "readlinkat": (0, 1)}


def _on_probe(call: Call, facts: TraceFacts) -> None:
    dirfd, path_at = _PROBES[call.name]
    path = string_arg(call.args[path_at]) if len(call.args) > path_at else None
    if not path:
        return  # an fd-based call (AT_EMPTY_PATH with ""): nothing new about the file system
    base = _dir_of(call, facts, call.args[dirfd] if dirfd is not None else None)
    full = _absolute(path, base)
    probe = facts.probes.setdefault(full, Probe(full, call.name))
    if call.result is not None and (call.errno or "") not in _MISSING_ERRNOS:
        probe.found = True


def _on_getdents(call: Call, facts: TraceFacts) -> None:
    path = decoration(call.args[0])[1] if call.args else None
    if path and not call.errno:
        facts.directories.add(path)


def _on_chdir(call: Call, facts: TraceFacts) -> None:
    path = string_arg(call.args[0]) if call.args else None
    if path is not None and call.ok:
        facts.cwd[call.pid] = _absolute(path, _cwd(call, facts))


def _on_fchdir(call: Call, facts: TraceFacts) -> None:
    path = decoration(call.args[0])[1] if call.args else None
    if path and call.ok:
        facts.cwd[call.pid] = path


def _on_execve(call: Call, facts: TraceFacts) -> None:
    if call.ok and len(call.args) >= 2:
        path = string_arg(call.args[0])
        facts.exec.append({"path": _absolute(path or "", _cwd(call, facts)), "argv": string_list(call.args[1])})


def _on_process(call: Call, facts: TraceFacts) -> None:
    """A new process rather than a thread: fork, vfork, or a clone without CLONE_THREAD."""
    if call.ok and not any("CLONE_THREAD" in a for a in call.args):
        facts.processes += 1


def _on_execveat(call: Call, facts: TraceFacts) -> None:
    if call.ok and len(call.args) >= 3:
        base = _dir_of(call, facts, call.args[0])
        path = _absolute(string_arg(call.args[1]) or "", base)
        facts.exec.append({"path": path, "argv": string_list(call.args[2])})


def _inode(value: str | None) -> str | None:
    """The socket inode of a decorated fd or result (`3<socket:[123]>`), else None."""
    if not value:
        return None
    path = decoration(value.split(" ")[0])[1]
    m = _SOCKET_RE.match(path or "")
    return m.group(1) if m else None


def _socket_type(text: str) -> str:
    """`SOCK_STREAM|SOCK_CLOEXEC` -> `SOCK_STREAM` (creation flags are not the socket's type)."""
    kinds = [t for t in text.split("|") if t not in ("SOCK_CLOEXEC", "SOCK_NONBLOCK")]
    return "|".join(kinds) or text


def _on_socket(call: Call, facts: TraceFacts) -> None:
    inode = _inode(call.result)
    if inode and len(call.args) >= 3:
        facts.sockets[inode] = SocketUse(call.args[0], _socket_type(call.args[1]), call.args[2])


def _on_socketpair(call: Call, facts: TraceFacts) -> None:
    if len(call.args) < 4 or not call.ok:
        return
    for fd in call.args[3].strip("[]").split(","):
        inode = _inode(fd.strip())
        if inode:
            facts.sockets[inode] = SocketUse(call.args[0], _socket_type(call.args[1]), call.args[2])


def _socket_of(call: Call, facts: TraceFacts, address: str | None = None) -> SocketUse | None:
    """The socket an fd argument names; one met first here (inherited) is described from `address`."""
    inode = _inode(call.args[0]) if call.args else None
    if inode is None:
        return None
    if inode not in facts.sockets:
        family = re.search(r"sa_family=(\w+)", address or "")
        facts.sockets[inode] = SocketUse(family.group(1) if family else "unknown", "unknown", "unknown")
    return facts.sockets[inode]


def _on_bind(call: Call, facts: TraceFacts) -> None:
    address = call.args[1] if len(call.args) > 1 else ""
    sock = _socket_of(call, facts, address)
    if sock is not None and call.errno != "EBADF":
        _add_unique(sock.bound, format_address(address))


def _on_connect(call: Call, facts: TraceFacts) -> None:
    address = call.args[1] if len(call.args) > 1 else ""
    sock = _socket_of(call, facts, address)
    if sock is not None and call.errno != "EBADF":
        _add_unique(sock.connected, format_address(address))


def _on_sendto(call: Call, facts: TraceFacts) -> None:
    """A datagram sent to an explicit address counts as a peer, like connect()."""
    address = call.args[4] if len(call.args) > 4 else "NULL"
    if address.startswith("{"):
        sock = _socket_of(call, facts, address)
        if sock is not None:
            _add_unique(sock.connected, format_address(address))


def _on_listen(call: Call, facts: TraceFacts) -> None:
    sock = _socket_of(call, facts)
    if sock is not None and call.ok:
        sock.listening = True


def _on_accept(call: Call, facts: TraceFacts) -> None:
    listener = _socket_of(call, facts)
    inode = _inode(call.result)
    if listener is None or inode is None:
        return
    listener.accepted += 1
    facts.sockets[inode] = SocketUse(listener.family, listener.type, listener.protocol, via_accept=True)


def _add_unique(items: list[str], item: str) -> None:
    if item and item not in items:
        items.append(item)


def format_address(text: str) -> str:
    """A sockaddr as strace prints it -> `127.0.0.1:80`, `[::1]:80`, `/run/x`, `@abstract`..."""
    if "AF_UNSPEC" in text:
        return ""  # connect(AF_UNSPEC) dissolves a datagram socket's association: no peer
    port = re.search(r"sin6?_port=htons\((\d+)\)", text)
    ip4 = re.search(r'sin_addr=inet_addr\("([^"]*)"\)', text)
    ip6 = re.search(r'inet_pton\(AF_INET6, "([^"]*)"', text)
    if port and ip4:
        return f"{ip4.group(1)}:{port.group(1)}"
    if port and ip6:
        return f"[{ip6.group(1)}]:{port.group(1)}"
    unix = re.search(r'sun_path=(@?)("(?:[^"\\]|\\.)*")', text)
    if unix:
        return unix.group(1) + (string_arg(unix.group(2)) or "")
    netlink = re.search(r"nl_pid=(\d+)", text)
    if netlink:
        return f"netlink:{netlink.group(1)}"
    return text


_HANDLERS = {
    **{name: _on_probe for name in _PROBES},
    "open": _on_open,
    "openat": _on_openat,
    "openat2": _on_openat2,
    "creat": _on_creat,
    "getdents": _on_getdents,
    "getdents64": _on_getdents,
    "chdir": _on_chdir,
    "fchdir": _on_fchdir,
    "execve": _on_execve,
    "execveat": _on_execveat,
    **{name: _on_process for name in ("fork", "vfork", "clone", "clone3")},
    "socket": _on_socket,
    "socketpair": _on_socketpair,
    "bind": _on_bind,
    "connect": _on_connect,
    "sendto": _on_sendto,
    "listen": _on_listen,
    "accept": _on_accept,
    "accept4": _on_accept,
}
