"""Helpers for the kernel tests (imported as `kbuild`): test programs and plans.

plan_for() builds the plan dict itself from the pool's manifests (every library of this pool
part, the chosen syscalls), so these tests exercise the build system and the kernel without
depending on the controller's selection rules.
"""

import tomllib
from pathlib import Path

from unicore.pool.manifest import POOL_DIR

PROGRAMS = Path(__file__).parent / "programs"
LIBS = ["arch-x86_64", "plat-qemu", "virtio", "core", "syscall", "process", "posix-process", "posix-mm",
        "posix-time", "posix-io", "random"]
# What a musl program typically needs at start, in stdio and in malloc.
BASE_SYSCALLS = ["read", "write", "writev", "readv", "ioctl", "lseek", "exit", "exit_group", "arch_prctl",
                 "set_tid_address", "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
                 "rt_sigprocmask", "rt_sigaction", "getpid", "gettid", "tkill", "getrandom"]


def pool_libraries() -> dict[str, tuple[Path, dict]]:
    found = {}
    for path in POOL_DIR.rglob("library.toml"):
        data = tomllib.loads(path.read_text())
        if data["name"] in LIBS:
            found[data["name"]] = (path.parent, data)
    return found


def plan_for(syscalls: list[str], name: str) -> dict:
    libs = pool_libraries()
    providers = {s: n for n, (_, d) in libs.items() for s in d.get("provides", {}).get("syscalls", [])}
    return {"schema": "unicore.plan", "version": 1, "target": {"arch": "x86_64", "plat": "qemu"},
            "libraries": [{"name": n, "dir": str(libs[n][0]), "kind": libs[n][1]["kind"], "reasons": ["test"]}
                          for n in LIBS],
            "syscalls": {s: providers[s] for s in syscalls}, "options": {},
            "program": {"name": name}}
