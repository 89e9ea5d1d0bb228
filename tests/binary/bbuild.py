"""Helpers for the binary tests (imported as `bbuild`): plans for unmodified executables.

compile_c() builds the test programs with the host's gcc/musl-gcc; rootfs_for() writes a root
file system (cpio, unicore.guestfs) with a binary's library closure (from ldd).
plan_for() writes the plan dict from the pool's manifests (like tests/kernel/kbuild.py), with the
exec library and the syscall libraries glibc needs, so that these tests exercise the kernel
without depending on the controller's selection rules.
"""

import re
import subprocess
import tomllib
from pathlib import Path


from unicore.guestfs import Entry, merge, write_cpio
from unicore.pool.manifest import POOL_DIR

BASE_LIBS = ["arch-x86_64", "plat-qemu", "virtio", "core", "syscall", "process", "posix-process", "posix-mm",
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


PROGRAMS = Path(__file__).parent / "programs"
COMPILERS = {"musl": ["musl-gcc", "-static"], "musl-dynamic": ["musl-gcc"], "static": ["gcc", "-static"],
             "static-pie": ["gcc", "-static-pie"], "dynamic": ["gcc"], "dynamic-nopie": ["gcc", "-no-pie"]}


def compile_c(name: str, kind: str, out_dir: Path) -> Path:
    out = out_dir / f"{name}-{kind}"
    if not out.exists():
        cmd = [*COMPILERS[kind], "-O2", "-o", str(out), str(PROGRAMS / f"{name}.c")]
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def library_closure(binary: Path) -> list[Path]:
    """The shared objects ld.so loads for `binary` (ldd), the loader included."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return [Path(p) for p in re.findall(r"(/\S+) \(0x", out)]


def rootfs_for(binary: Path, out: Path, files: list[tuple[Path, str]] = (), with_binary: bool = True) -> Path:
    """A cpio with the binary at its own path, its library closure, and (host, guest) files."""
    entries = [Entry(str(lib), lib, "shared library") for lib in library_closure(binary)]
    if with_binary:
        entries.append(Entry(str(binary), binary, "the program"))
    entries += [Entry(guest, host, "data") for host, guest in files]
    write_cpio(merge(entries), out)
    return out
