"""Helpers for the binary tests (imported as `bbuild`): plans for unmodified executables.

compile_c() builds the test programs with the host's gcc/musl-gcc; rootfs_for() writes a root
file system (cpio, unicore.image.rootfs) with a binary's library closure (from ldd).
plan_for() is a plan of fixed libraries (controller.plan.fixed_plan, like tests/kernel/kbuild.py), with the
exec library and the syscall libraries glibc needs, so that these tests exercise the kernel
without depending on the controller's selection rules.
"""

import re
import subprocess
from pathlib import Path


from unicore.image.rootfs import Entry, merge, write_cpio
from unicore.controller.plan import fixed_plan

BASE_LIBS = ["arch-x86_64", "plat-qemu", "virtio", "core", "syscall", "process", "posix-process", "posix-signal", "posix-mm",
             "posix-time", "random", "posix-rlimit", "posix-sched", "futex", "exec", "posix-procinfo", "mm-extra"]
FS_LIBS = ["vfs", "ramfs", "devfs", "initrd", "fs-extra"]
# What glibc's start-up (static or ld.so) and stdio need; a superset of musl's.
GLIBC_SYSCALLS = ["read", "write", "writev", "readv", "ioctl", "lseek", "exit", "exit_group", "arch_prctl",
                  "set_tid_address", "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
                  "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "getpid", "gettid", "tkill", "getrandom",
                  "set_robust_list", "prlimit64", "futex", "sched_getaffinity", "clock_gettime"]
FILE_SYSCALLS = ["openat", "open", "close", "newfstatat", "fstat", "stat", "lstat", "pread64", "readlink",
                 "access", "faccessat", "getdents64", "getcwd", "fcntl", "dup", "dup2", "statx", "readlinkat"]


def plan_for(syscalls: list[str] | None, name: str, fs: bool = False, options: dict | None = None) -> dict:
    """A plan with the base libraries (and the file system ones when `fs`), handling `syscalls`
    (None: every syscall those libraries provide)."""
    names = BASE_LIBS + (FS_LIBS if fs else ["posix-io"])
    return fixed_plan(names, syscalls, options=options, program={"name": name})


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
