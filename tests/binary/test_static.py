"""Unmodified static executables (musl, glibc, glibc static-pie) in the unikernel: stdout and
exit status equal to the native run; the syscalls glibc needs answer exactly."""

import subprocess

import pytest
from bbuild import GLIBC_SYSCALLS, compile_c, plan_for

from unicore.image import build_image
from unicore.image.rootfs import Entry, merge, write_cpio
from unicore.runner import run_image

pytestmark = pytest.mark.slow
ARGS = ["7", "two words", "100%"]
ENV = {"GREETING": "hi there", "LANG": "C"}


def native(program, args, env, argv0):
    proc = subprocess.run([argv0, *args], executable=program, env=env, capture_output=True, timeout=30)
    return proc.stdout, proc.returncode


@pytest.mark.parametrize("kind", ["musl", "static", "static-pie"])
def test_static_program_matches_native(kind, binary_workdir, make_binary_image):
    program = compile_c("hello", kind, binary_workdir)
    image = make_binary_image(f"hello-{kind}", program, GLIBC_SYSCALLS)
    r = run_image(image, ARGS, env=ENV, accel="tcg", timeout=60)
    assert (r.stdout, r.exit_status) == native(program, ARGS, ENV, program.name)
    assert r.exit_status == 7 and b"argv[2]=two words\n" in r.stdout


def test_glibc_syscalls_of_one_process_on_one_cpu(binary_workdir, make_binary_image):
    program = compile_c("syscalls", "static", binary_workdir)
    syscalls = GLIBC_SYSCALLS + ["getrlimit", "setrlimit", "readlink", "getpriority", "newfstatat", "openat",
                                 "close", "read"]
    image = make_binary_image("syscalls", program, syscalls, fs=True, name="/bin/syscalls-test")
    r = run_image(image, accel="tcg", timeout=60)
    assert r.exit_status == 0, r.stdout
    assert r.stdout.decode() == (
        "sched_getaffinity -> 0, cpus 1\n"
        "nprocs 1\n"
        "nofile 1024 1024\n"
        "setrlimit -> 0\n"
        "nofile now 256\n"
        "stack 1048576\n"
        "futex wake -> 0\n"
        "futex wait mismatch -> -1 Resource temporarily unavailable\n"
        "futex wait timeout -> -1 Connection timed out, waited >= 20 ms: 1\n"
        "mutex trylock while held -> 16\n"
        "exe /bin/syscalls-test (18)\n"
        "getpriority -> 0\n")


def test_left_out_syscall_is_named_with_debug_and_widening_fixes_it(binary_workdir, make_binary_image):
    program = compile_c("syscalls", "static", binary_workdir)
    narrow = make_binary_image("syscalls-narrow", program, GLIBC_SYSCALLS + ["getrlimit", "setrlimit"])
    r = run_image(narrow, accel="tcg", timeout=60, debug=True)
    assert b"unicore: syscall getpriority (140) not in this image -> ENOSYS\n" in r.kernel
    assert b"getpriority -> -1\n" in r.stdout
    wide = make_binary_image("syscalls-wide", program, GLIBC_SYSCALLS + ["getrlimit", "setrlimit", "getpriority"])
    r = run_image(wide, accel="tcg", timeout=60, debug=True)
    assert b"getpriority (140) not in this image" not in r.kernel and b"getpriority -> 0\n" in r.stdout


def test_futex_deadlock_is_reported(binary_workdir, make_binary_image):
    program = compile_c("deadlock", "static", binary_workdir)
    image = make_binary_image("deadlock", program, GLIBC_SYSCALLS)
    r = run_image(image, accel="tcg", timeout=60)
    assert r.stdout == b"waiting\n"
    text = r.kernel.decode()
    assert text.startswith("unicore: futex wait on 0x")
    assert "with no timeout, and no other thread to wake it: deadlock\nunicore: panic: deadlock in futex wait\n" in text
    assert (r.crashed, r.exit_status) == (True, 134)


def test_missing_program_in_rootfs_exits_127(binary_workdir, make_binary_image):
    image = make_binary_image("no-program", None, GLIBC_SYSCALLS + ["openat", "close", "lseek"], fs=True,
                              name="/bin/nowhere")
    r = run_image(image, accel="tcg", timeout=60)
    assert (r.stdout, r.stderr, r.exit_status) == (b"", b"", 127)
    assert r.kernel == b"unicore: exec /bin/nowhere: no such file in the root file system\n"


def test_process_information_and_memory_extras(binary_workdir, make_binary_image):
    program = compile_c("procinfo", "static", binary_workdir)
    image = make_binary_image("procinfo", program, None)
    r = run_image(image, accel="tcg", timeout=60)
    assert (r.stdout.decode(), r.exit_status) == (
        "sysinfo 0 procs 1 ram>0 1 unit 1\n"
        "times 1\n"
        "getrusage 0\n"
        "name renamed dumpable 1\n"
        "personality 0\n"
        "pgrp 1 pgid 1 sid 1 setpgid 0\n"
        "sigaltstack 0 old flags 2\n"
        "msync 0 mlock 0 mincore 0 11\n", 0)


def test_file_system_extras(binary_workdir, make_binary_image):
    program = compile_c("fsextra", "static", binary_workdir)
    hostname = binary_workdir / "hostname"
    hostname.write_text("unicore\n")
    rootfs = binary_workdir / "fsextra.cpio"
    write_cpio(merge([Entry("/etc/hostname", hostname, "data")]), rootfs)
    image = make_binary_image("fsextra", program, None, rootfs=rootfs, fs=True)
    r = run_image(image, accel="tcg", timeout=60)
    assert (r.stdout.decode(), r.exit_status) == (
        "statfs 0 type 1021994 bsize 4096\n"
        "statfs missing -1 No such file or directory\n"
        "lgetxattr -1 No data available\n"
        "listxattr 0\n"
        "setxattr -1 Operation not supported\n"
        "fadvise 0\n"
        "poll 3: 1 4 20\n"  # POLLNVAL counts, as on Linux
        "select 1 1\n"
        "close_range 0, read after: -1 Bad file descriptor\n", 0)


def test_guest_path_of_a_binary_is_its_proc_self_exe(binary_workdir, tmp_path):
    """The build gives exec the plan's program.guest_path (UK_EXEC_PATH): /proc/self/exe points
    there even though argv[0] is the bare name."""
    program = compile_c("syscalls", "static", binary_workdir)
    plan = plan_for(None, "syscalls", fs=True)
    plan["program"]["guest_path"] = "/opt/tools/syscalls"
    image = build_image(plan, program, tmp_path / "exe.img", tmp_path / "build")
    r = run_image(image, accel="tcg", timeout=60)
    assert b"exe /opt/tools/syscalls (19)\n" in r.stdout and r.exit_status == 0
