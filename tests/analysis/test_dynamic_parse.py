"""strace text parsing: split calls, escapes, -y decorations, and the facts folded from them.

The lines are verbatim strace 6.1 output (`-f -q -y`), so the expected values are exact.
"""

from unicore.analysis.dynamic.strace_parse import Call, Exit, Signal, parse_trace, split_args, string_arg, unescape
from unicore.analysis.dynamic.trace_facts import collect, format_address

INTERLEAVED = """\
7845  execve("/usr/bin/python3", ["/usr/bin/python3", "srv.py"], 0x7ffda82e9200 /* 35 vars */) = 0
7845  socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3<socket:[22098]>
7845  bind(3<socket:[22098]>, {sa_family=AF_INET, sin_port=htons(47999), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
7845  listen(3<socket:[22098]>, 5)      = 0
7845  accept4(3<socket:[22098]>,  <unfinished ...>
7846  socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 5<socket:[22104]>
7846  connect(5<socket:[22104]>, {sa_family=AF_INET, sin_port=htons(47999), sin_addr=inet_addr("127.0.0.1")}, 16 <unfinished ...>
7845  <... accept4 resumed>{sa_family=AF_INET, sin_port=htons(50436), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 4<socket:[22105]>
7846  <... connect resumed>)            = 0
7846  openat(AT_FDCWD</tmp/a, b (c)>, "x\\"y", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
7846  open("rel/../f", O_RDONLY|O_LARGEFILE) = 4</etc/f>
7846  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=7847, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
7847  execve("/bin/sh", ["sh", "-c", "echo a, b"], 0x7ffd89170a20 /* 35 vars */ <unfinished ...>
7847  <... execve resumed>)             = 0
7846  getdents64(3</usr/li\\x3eb>, 0x5613db9892e0 /* 28 entries */, 32768) = 744
7846  capget({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=1<<CAP_CHOWN|1<<CAP_KILL, permitted=0, inheritable=0}) = 0
7846  +++ exited with 0 +++
7845  read(0</dev/null>,  <unfinished ...>
7845  +++ killed by SIGKILL +++
"""


def events():
    return list(parse_trace(INTERLEAVED.splitlines(keepends=True)))


def test_resumed_calls_are_joined_per_pid():
    calls = [e for e in events() if isinstance(e, Call)]
    accept = next(c for c in calls if c.name == "accept4")
    assert accept.pid == 7845
    assert accept.args == ["3<socket:[22098]>",
                           '{sa_family=AF_INET, sin_port=htons(50436), sin_addr=inet_addr("127.0.0.1")}',
                           "[16]", "SOCK_CLOEXEC"]
    assert accept.result == "4<socket:[22105]>"
    assert [c.name for c in calls].count("connect") == 1


def test_errors_strings_and_decorations():
    openat = next(e for e in events() if isinstance(e, Call) and e.name == "openat")
    assert openat.args == ["AT_FDCWD</tmp/a, b (c)>", '"x\\"y"', "O_RDONLY|O_CLOEXEC"]
    assert openat.errno == "ENOENT" and not openat.ok
    assert string_arg(openat.args[1]) == 'x"y'


def test_signals_exits_and_a_call_cut_by_death():
    evs = events()
    assert [e.name for e in evs if isinstance(e, Signal)] == ["SIGCHLD"]
    assert [(e.pid, e.status, e.signal) for e in evs if isinstance(e, Exit)] == [(7846, 0, None),
                                                                                (7845, None, "SIGKILL")]
    last = evs[-1]
    assert isinstance(last, Call) and last.name == "read" and last.result is None


def test_shift_operators_are_not_decorations():
    capget = next(e for e in events() if isinstance(e, Call) and e.name == "capget")
    assert len(capget.args) == 2 and capget.result == "0"


def test_facts_from_the_trace():
    facts = collect(parse_trace(INTERLEAVED.splitlines()), "/start")
    assert facts.main_pid == 7845
    assert "execve" in facts.syscalls and facts.syscalls["execve"] == 1  # the launcher's is not counted
    assert facts.exec == [{"path": "/bin/sh", "argv": ["sh", "-c", "echo a, b"]}]
    assert facts.errors == {"openat": {"ENOENT": 1}}
    # open() has no dirfd: the cwd strace showed for that pid (AT_FDCWD</tmp/a, b (c)>) is used
    assert sorted(facts.files) == ["/tmp/a, b (c)/f", "/tmp/a, b (c)/x\"y"]
    assert facts.files["/tmp/a, b (c)/f"].exists and facts.files["/tmp/a, b (c)/f"].resolved == "/etc/f"
    assert not facts.files['/tmp/a, b (c)/x"y'].exists
    assert facts.directories == {"/usr/li>b"}
    listener = facts.sockets["22098"]
    assert (listener.bound, listener.listening, listener.accepted) == (["127.0.0.1:47999"], True, 1)
    assert facts.sockets["22104"].connected == ["127.0.0.1:47999"]
    assert facts.sockets["22105"].via_accept


def test_unescape_and_split():
    assert unescape(r"a\n\t\x41\101\0\\") == b"a\n\tAA\0\\"
    assert split_args('1, "a,b", {x=1, y=[2, 3]}, f(4, 5)') == ["1", '"a,b"', "{x=1, y=[2, 3]}", "f(4, 5)"]
    assert split_args("") == []


def test_addresses():
    assert format_address('{sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), '
                          'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}') == "[::1]:8080"
    assert format_address('{sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}') == "/var/run/nscd/socket"
    assert format_address('{sa_family=AF_UNIX, sun_path=@"abs"}') == "@abs"
    assert format_address("{sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}") == "netlink:0"


THREAD_EXECVE = """\
32657 execve("./te", ["./te"], 0x7ffe5ec12008 /* 35 vars */) = 0
32658 rt_sigprocmask(SIG_SETMASK, [],  <unfinished ...>
32657 rt_sigprocmask(SIG_SETMASK, [],  <unfinished ...>
32658 <... rt_sigprocmask resumed>NULL, 8) = 0
32657 <... rt_sigprocmask resumed>NULL, 8) = 0
32658 execve("/bin/true", ["true"], 0x7ffebb347928 /* 35 vars */ <unfinished ...>
32657 futex(0x405290, FUTEX_WAIT, 32658, NULL <unfinished ...>
32657 +++ superseded by execve in pid 32658 +++
32657 <... execve resumed>)             = 0
32657 openat(AT_FDCWD</tmp/dyn>, "caf\\303\\251", O_RDONLY) = -1 ENOENT (No such file or directory)
32657 newfstatat(AT_FDCWD</tmp/dyn>, "/usr/lib/python3.11/os.py", {st_mode=S_IFREG|0644, st_size=39504, ...}, 0) = 0
32657 newfstatat(3</usr/lib>, "", {st_mode=S_IFDIR|0755, st_size=4096, ...}, AT_EMPTY_PATH) = 0
32657 access("missing", R_OK) = -1 ENOENT (No such file or directory)
32657 readlinkat(AT_FDCWD</tmp/dyn>, "/proc/self/exe", "/bin/true", 4096) = 9
32657 exit_group(0)                     = ?
32657 +++ exited with 0 +++
"""


def test_execve_from_a_thread_resumes_under_the_leader():
    facts = collect(parse_trace(THREAD_EXECVE.splitlines()), "/")
    assert dict(facts.syscalls) == {"rt_sigprocmask": 2, "execve": 1, "futex": 1, "openat": 1, "exit_group": 1,
                                    "newfstatat": 2, "access": 1, "readlinkat": 1}
    assert {p.path: (p.syscall, p.found) for p in facts.probes.values()} == {
        "/usr/lib/python3.11/os.py": ("newfstatat", True), "/tmp/dyn/missing": ("access", False),
        "/proc/self/exe": ("readlinkat", True)}
    assert facts.exec == [{"path": "/bin/true", "argv": ["true"]}]
    assert list(facts.files) == ["/tmp/dyn/café"]
    assert facts.exits[32657].status == 0
