"""Helpers for the kernel tests (imported as `kbuild`): test programs and plans.

plan_for() is a plan of exactly the libraries LIBS (controller.plan.fixed_plan) with the chosen
syscalls, so these tests exercise the build system and the kernel without
depending on the controller's selection rules.
"""

from pathlib import Path

from unicore.controller.plan import fixed_plan

PROGRAMS = Path(__file__).parent / "programs"
LIBS = ["core", "syscall", "process", "posix-process", "posix-signal", "posix-mm", "posix-time", "posix-io", "tty", "random"]
# The kernel tests run on every target (conftest.py's `target` fixture): its platform libraries.
TARGETS = {"qemu/x86_64": ["arch-x86_64", "plat-qemu", "virtio"], "qemu/arm64": ["arch-arm64", "plat-qemu", "virtio"],
           "spt/x86_64": ["arch-x86_64-linux", "plat-spt"]}
# What a musl program typically needs at start, in stdio and in malloc.
BASE_SYSCALLS = ["read", "write", "writev", "readv", "ioctl", "lseek", "exit", "exit_group", "arch_prctl",
                 "set_tid_address", "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
                 "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "getpid", "gettid", "tkill", "getrandom"]


def plan_for(syscalls: list[str], name: str, target: str = "qemu/x86_64") -> dict:
    return fixed_plan(TARGETS[target] + LIBS, syscalls, target, program={"name": name})
