"""Helpers for the kernel tests (imported as `kbuild`): test programs and plans.

plan_for() is a plan of exactly the libraries LIBS (controller.plan.fixed_plan) with the chosen
syscalls, so these tests exercise the build system and the kernel without
depending on the controller's selection rules.
"""

from pathlib import Path

from unicore.controller.plan import fixed_plan

PROGRAMS = Path(__file__).parent / "programs"
LIBS = ["arch-{arch}", "plat-qemu", "virtio", "core", "syscall", "process", "posix-process", "posix-mm",
        "posix-time", "posix-io", "random"]
# What a musl program typically needs at start, in stdio and in malloc.
BASE_SYSCALLS = ["read", "write", "writev", "readv", "ioctl", "lseek", "exit", "exit_group", "arch_prctl",
                 "set_tid_address", "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
                 "rt_sigprocmask", "rt_sigaction", "getpid", "gettid", "tkill", "getrandom"]


def plan_for(syscalls: list[str], name: str, target: str = "qemu/x86_64") -> dict:
    """A plan of LIBS for `target` (its arch library); syscalls the arch lacks (arch_prctl on
    arm64) are left out by the controller."""
    libs = [lib.format(arch=target.split("/")[1]) for lib in LIBS]
    return fixed_plan(libs, syscalls, target, program={"name": name})
