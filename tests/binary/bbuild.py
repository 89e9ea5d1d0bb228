"""Helpers for the binary tests (imported as `bbuild`): plans for unmodified executables.

compile_c() builds the test programs with the host's gcc/musl-gcc; rootfs_for() writes a root
file system (cpio, unicore.image.rootfs) with a binary's library closure (from ldd, or for a
foreign target the static closure inside its sysroot).
plan_for() is a plan of fixed libraries (controller.plan.fixed_plan, like tests/kernel/kbuild.py), with the
exec library and the syscall libraries glibc needs, so that these tests exercise the kernel
without depending on the controller's selection rules.

The Debian programs of these tests run on every target (the `target` fixture): debian() is the
program for the target (the host's own on x86_64, the same package's arm64 build unpacked into a
sysroot, program/sysroot.py, on arm64) and reference() its run the unikernel is compared with
(natively, or under qemu-aarch64 -L SYSROOT, Debian qemu-user).
"""

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from targets import arch_of

from unicore.analysis.static import closure, elf
from unicore.controller.plan import fixed_plan
from unicore.image.rootfs import Entry, guest_path, merge, write_cpio
from unicore.program.sysroot import debian_sysroot

PLATFORM_LIBS = {"qemu/x86_64": ["arch-x86_64", "plat-qemu", "virtio"], "qemu/arm64": ["arch-arm64", "plat-qemu", "virtio"],
                 "spt/x86_64": ["arch-x86_64-linux", "plat-spt"]}
BASE_LIBS = ["core", "syscall", "process", "posix-process", "posix-signal", "posix-mm",
             "posix-time", "random", "posix-rlimit", "posix-sched", "futex", "exec", "posix-procinfo", "mm-extra"]
FS_LIBS = ["vfs", "ramfs", "devfs", "initrd", "fs-extra"]
# What glibc's start-up (static or ld.so) and stdio need; a superset of musl's.
GLIBC_SYSCALLS = ["read", "write", "writev", "readv", "ioctl", "lseek", "exit", "exit_group", "arch_prctl",
                  "set_tid_address", "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
                  "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "getpid", "gettid", "tkill", "getrandom",
                  "set_robust_list", "prlimit64", "futex", "sched_getaffinity", "clock_gettime"]
FILE_SYSCALLS = ["openat", "open", "close", "newfstatat", "fstat", "stat", "lstat", "pread64", "readlink",
                 "access", "faccessat", "getdents64", "getcwd", "fcntl", "dup", "dup2", "statx", "readlinkat"]


def plan_for(syscalls: list[str] | None, name: str, fs: bool = False, options: dict | None = None,
             target: str = "qemu/x86_64") -> dict:
    """A plan with the target's platform and base libraries (and the file system ones when `fs`),
    handling `syscalls` (None: every syscall those libraries provide)."""
    names = PLATFORM_LIBS[target] + BASE_LIBS + (FS_LIBS if fs else ["posix-io"])
    return fixed_plan(names, syscalls, target, options=options, program={"name": name})


PROGRAMS = Path(__file__).parent / "programs"
COMPILERS = {"musl": ["musl-gcc", "-static"], "musl-dynamic": ["musl-gcc"], "static": ["gcc", "-static"],
             "static-pie": ["gcc", "-static-pie"], "dynamic": ["gcc"], "dynamic-nopie": ["gcc", "-no-pie"]}


def compile_c(name: str, kind: str, out_dir: Path) -> Path:
    out = out_dir / f"{name}-{kind}"
    if not out.exists():
        cmd = [*COMPILERS[kind], "-O2", "-o", str(out), str(PROGRAMS / f"{name}.c")]
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def library_closure(binary: Path, sysroot: Path | None = None) -> list[Path]:
    """The shared objects ld.so loads for `binary` (ldd; inside `sysroot`: the static closure),
    the loader included."""
    if sysroot:
        found = closure.resolve(elf.load(binary), sysroot=str(sysroot))
        assert not found.missing, found.missing
        return [Path(p) for _, p in found.libraries]
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return [Path(p) for p in re.findall(r"(/\S+) \(0x", out)]


def closure_entries(binary: Path, sysroot: Path | None = None) -> list[Entry]:
    """`binary` and its libraries at their guest paths (their paths inside `sysroot` when given)."""
    return [Entry(guest_path(lib, sysroot), lib, "shared library") for lib in library_closure(binary, sysroot)] + \
        [Entry(guest_path(binary, sysroot), binary, "the program")]


def rootfs_for(binary: Path, out: Path, files: list[tuple[Path, str]] = (), with_binary: bool = True) -> Path:
    """A cpio with the binary at its own path, its library closure, and (host, guest) files."""
    entries = [Entry(str(lib), lib, "shared library") for lib in library_closure(binary)]
    if with_binary:
        entries.append(Entry(str(binary), binary, "the program"))
    entries += [Entry(guest, host, "data") for host, guest in files]
    write_cpio(merge(entries), out)
    return out


# The Debian packages of the programs these tests run (coreutils: cat, env, head, ls, sha256sum, true).
PACKAGES = ["coreutils", "sqlite3"]


@dataclass(frozen=True)
class Debian:
    """A Debian program for a target: `path` in the guest, `host` the file, `sysroot` its root
    (None: the host's own system)."""
    path: str
    host: Path
    sysroot: Path | None


@functools.cache
def sysroot_for(target: str) -> Path | None:
    """Where the target's Debian programs come from: None for the host's architecture."""
    return None if arch_of(target) == "x86_64" else debian_sysroot(PACKAGES, arch_of(target))


def debian(target: str, path: str) -> Debian:
    root = sysroot_for(target)
    host = Path(path) if root is None else root / path.lstrip("/")
    assert host.is_file(), f"{host}: not installed (Debian package of {path})"
    return Debian(path, host, root)


def reference(prog: Debian, args: list[str], env: dict, stdin: bytes | None = None) -> tuple[bytes, int]:
    """(stdout, exit status) of `prog` run on the host (argv[0] its guest path), natively or under
    qemu-aarch64 -L SYSROOT: what the unikernel must print."""
    cmd = [prog.path, *args] if prog.sysroot is None else \
        ["qemu-aarch64", "-L", str(prog.sysroot), "-0", prog.path, str(prog.host), *args]
    if prog.sysroot is not None:  # qemu-user hands the guest its environment last variable first
        env = dict(reversed(env.items()))
    proc = subprocess.run(cmd, env=env, input=stdin, capture_output=True, timeout=120)
    return proc.stdout, proc.returncode
