"""Helpers for the binary tests (imported as `bbuild`): plans for unmodified executables.

plan_for() writes the plan dict from the pool's manifests (like tests/kernel/kbuild.py), with the
exec library and the syscall libraries glibc needs, so that these tests exercise the kernel
without depending on the controller's selection rules.
"""

import tomllib
from pathlib import Path

from unicore.pool.manifest import POOL_DIR

BASE_LIBS = ["arch-x86_64", "plat-qemu", "core", "syscall", "process", "posix-process", "posix-mm",
             "posix-time", "random", "posix-rlimit", "posix-sched", "futex", "exec", "posix-procinfo", "mm-extra"]
FS_LIBS = ["vfs", "ramfs", "devfs", "initrd", "fs-extra"]
# What glibc's start-up (static or ld.so) and stdio need; a superset of musl's.
GLIBC_SYSCALLS = ["read", "write", "writev", "readv", "ioctl", "lseek", "exit", "exit_group", "arch_prctl",
                  "set_tid_address", "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
                  "rt_sigprocmask", "rt_sigaction", "getpid", "gettid", "tkill", "getrandom",
                  "set_robust_list", "prlimit64", "futex", "sched_getaffinity", "clock_gettime"]
FILE_SYSCALLS = ["openat", "open", "close", "newfstatat", "fstat", "stat", "lstat", "pread64", "readlink",
                 "access", "faccessat", "getdents64", "getcwd", "fcntl", "dup", "dup2", "statx", "readlinkat"]


def pool_libraries(names: list[str]) -> dict[str, tuple[Path, dict]]:
    found = {}
    for path in POOL_DIR.rglob("library.toml"):
        data = tomllib.loads(path.read_text())
        if data["name"] in names:
            found[data["name"]] = (path.parent, data)
    return found


def plan_for(syscalls: list[str] | None, name: str, fs: bool = False, options: dict | None = None) -> dict:
    """A plan with the base libraries (and the file system ones when `fs`), handling `syscalls`
    (None: every syscall those libraries provide)."""
    names = BASE_LIBS + (FS_LIBS if fs else ["posix-io"])
    libs = pool_libraries(names)
    providers = {s: n for n, (_, d) in libs.items() for s in d.get("provides", {}).get("syscalls", [])}
    if fs:
        names = [n for n in names if n != "posix-io"]
    return {"schema": "unicore.plan", "version": 1, "target": {"arch": "x86_64", "plat": "qemu"},
            "libraries": [{"name": n, "dir": str(libs[n][0]), "kind": libs[n][1]["kind"], "reasons": ["test"]}
                          for n in names],
            "syscalls": {s: providers[s] for s in (providers if syscalls is None else syscalls) if s in providers},
            "options": options or {},
            "program": {"name": name}}
