"""Kernel tests: build test programs into images and boot them under QEMU TCG."""

import io

import pytest
from kbuild import BASE_SYSCALLS
from targets import ELF_ARCH, GUARD_CAUSE, NULL_CAUSE, arch_of, syscall_number

from unicore.runner import EXIT_TIMEOUT, run_image

pytestmark = pytest.mark.slow


def boot(image, *args, **kw):
    kw.setdefault("timeout", 60)
    return run_image(image, list(args), accel="tcg", **kw)


def test_hello_world(make_image):
    r = boot(make_image("hello"))
    assert (r.stdout, r.exit_status, r.crashed, r.timed_out) == (b"Hello from unicore!\n", 0, False, False)


def test_argv_env_and_exit_code(make_image):
    r = boot(make_image("argv_env"), "42", "two words", "100%", env={"GREETING": "hi there", "A": "1"})
    assert r.exit_status == 42
    assert r.stdout.decode() == ("argc=4\nargv[0]=argv_env\nargv[1]=42\nargv[2]=two words\nargv[3]=100%\n"
                                 "env GREETING=hi there\nenv A=1\nGREETING=hi there\n")


def test_missing_syscall_returns_enosys_and_debug_names_it(make_image, target):
    image = make_image("enosys")  # BASE_SYSCALLS has no getppid
    assert "getppid" not in BASE_SYSCALLS
    quiet = boot(image)
    assert (quiet.stdout, quiet.exit_status) == (b"getppid -> -1 errno=ENOSYS\n", 0)
    loud = boot(image, debug=True)  # kernel messages on their own stream, not the program's
    assert loud.stdout == b"getppid -> -1 errno=ENOSYS\n" and loud.stderr == b""
    number = syscall_number(target, "getppid")  # 110 on x86_64, 173 on arm64
    assert loud.kernel == f"unicore: syscall getppid ({number}) not in this image -> ENOSYS\n".encode()


def test_null_dereference_gives_crash_report(make_image, target):
    r = boot(make_image("null_deref", cflags=["-O0", "-fno-omit-frame-pointer"]))
    assert (r.stdout, r.stderr) == (b"about to crash\n", b"")  # the report is on the kernel stream only
    text = r.kernel.decode()
    assert text.startswith(f"unicore: crash: {NULL_CAUSE[arch_of(target)]}\n")
    assert "unmapped read from address 0x0" in text
    assert "<crash_here+0x" in text.splitlines()[2]  # rip line names the function
    assert "<main+0x" in text  # backtrace through the frame pointer
    assert (r.crashed, r.signal, r.exit_status) == (True, 11, 139)


def test_hang_is_stopped_by_timeout(make_image):
    r = boot(make_image("hang"), timeout=3)
    assert (r.timed_out, r.exit_status, r.stdout) == (True, EXIT_TIMEOUT, b"hanging\n")


@pytest.mark.parametrize("mode", ["bytes", "file object"])
def test_piped_stdin_reaches_the_program_with_eof(make_image, mode):
    data = bytes(range(256)) * 40 + b"\xff\xff\x00 end"
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    r = boot(make_image("stdin_sum"), stdin_bytes=data if mode.startswith("bytes") else io.BytesIO(data))
    assert r.stdout.decode() == f"bytes={len(data)} adler32={(b << 16) | a:08x}\n"
    assert r.exit_status == 0


def test_no_stdin_reads_eof(make_image):
    r = boot(make_image("stdin_sum"))
    assert r.stdout == b"bytes=0 adler32=00000001\n"


def test_100mb_of_mixed_allocations(make_image):
    r = boot(make_image("memory"), mem_mb=256, timeout=120)
    assert r.exit_status == 0, r.stdout
    assert r.stdout.decode().endswith(" errors\n") and ", 0 errors" in r.stdout.decode()
    assert int(r.stdout.split()[1]) >= 100


def test_clocks_and_nanosleep(make_image):
    r = boot(make_image("clock", BASE_SYSCALLS + ["clock_gettime", "nanosleep", "time", "gettimeofday"]))
    assert (r.stdout, r.exit_status) == (b"slept ok\nwall clock sane\n", 0)


def test_boottime_flag_reports_cycles(make_image):
    r = boot(make_image("hello"), boottime=True)
    assert r.kernel.startswith(b"unicore: boot ") and r.stdout == b"Hello from unicore!\n"
    assert r.boot_us is not None and r.boot_us > 0


CORE_PHASES = ["command line", "page allocator", "program load", "program stack"]


def test_boottime_flag_lists_the_boot_phases(make_image):
    """Each phase's line (uk_core_mark): the core ones in boot order on every target, each a time."""
    r = boot(make_image("hello"), boottime=True)
    phases = [line.removeprefix("unicore: boot phase ").rsplit(" ", 2) for line in r.kernel.decode().splitlines()
              if line.startswith("unicore: boot phase ")]
    names = [p[0] for p in phases]
    assert [n for n in names if n in CORE_PHASES] == CORE_PHASES and names[-1] == "program stack"
    assert all(unit == "us" and float(value) >= 0 for _, value, unit in phases)
    assert sum(float(value) for _, value, _ in phases) <= r.boot_us + 1


@pytest.mark.only_target("qemu/x86_64")
def test_stack_backed_on_demand_when_ram_cannot_hold_it(make_image):
    """2.25 MiB of guest RAM cannot hold the program (at 2 MiB) and its 1 MiB stack in one piece:
    the stack is then a demand mapping (posix-mm) and the program runs."""
    r = boot(make_image("hello"), mem_mb=2.25)
    assert (r.stdout, r.exit_status, r.crashed) == (b"Hello from unicore!\n", 0, False)


POSIX_SYSCALLS = BASE_SYSCALLS + ["getuid", "getgid", "geteuid", "uname", "kill", "tgkill"]


def test_posix_basics_and_abort(make_image, target):
    r = boot(make_image("posix", POSIX_SYSCALLS, ["-O2", "-lm"]))
    assert r.stdout.decode() == (f"ids 1 0 0 0\nuname Linux {ELF_ARCH[arch_of(target)]} 1\ngetrandom 32 1\nsigprocmask 1\nin handler\nhandler 10\n"
                                 "isatty 0 errno ENOTTY\nsse 1.414214 0.667\nmmap 1 munmap 0\n")
    assert r.kernel == b"unicore: program killed by signal 6\n"
    assert (r.exit_status, r.crashed) == (134, False)


def test_stack_overflow_hits_the_guard_page(make_image, target):
    r = boot(make_image("stack_overflow", cflags=["-O0"]))
    assert r.stdout == b"recursing\n"
    text = r.kernel.decode()
    assert text.startswith(f"unicore: crash: {GUARD_CAUSE[arch_of(target)]}\n")
    assert text.splitlines()[2] == "unicore:   (next to the stack pointer: stack overflow?)"
    assert "<deeper+0x" in text.splitlines()[3]
    assert "unicore:     ... the frame above " in text and "<main+0x" in text  # recursion folded, then main
    assert (r.crashed, r.exit_status) == (True, 139)


def load_range(image) -> tuple[int, int]:
    """The page-rounded RAM the image's program occupies, read from its ELF (make_image keeps the
    program beside the image, under the image's stem)."""
    from elftools.elf.elffile import ELFFile
    with (image.parent / image.stem).open("rb") as f:
        loads = [s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
        lo = min(s["p_vaddr"] for s in loads) & ~0xFFF
        hi = max(s["p_vaddr"] + s["p_memsz"] for s in loads)
    return lo, (hi + 0xFFF) & ~0xFFF


def test_large_program_runs_or_says_it_needs_memory(make_image):
    image = make_image("big_bss")
    r = boot(image, "x", mem_mb=256)
    assert (r.stdout, r.exit_status) == (b"1\n", 0)
    small = boot(image, "x", mem_mb=64)
    lo, hi = load_range(image)
    assert small.kernel == (f"unicore: panic: out of memory: the program needs RAM {lo:#x}-{hi:#x}: "
                            "boot with more memory (-m)\n").encode()
    assert small.exit_status == 134


def payload_kib(image) -> int:
    """The pages of the image's payload (packed program and rootfs archive) in KiB, from its
    kernel's symbols: what the kernel says it cannot move."""
    from elftools.elf.elffile import ELFFile
    with (image.parent / "build" / "kernel.elf").open("rb") as f:
        syms = {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    start, end = syms["_uk_payload_start"] & ~0xFFF, (syms["_uk_payload_end"] + 0xFFF) & ~0xFFF
    return (end - start) // 1024


def test_large_payload_is_not_held_twice_or_says_the_program_needs_memory(make_image):
    """big_data's 3 MiB payload ends inside its program's pages: those pages become the program's
    (uk_core_payload_yield_tail, loaded top-down) instead of a second copy, so 8 MiB is enough."""
    image = make_image("big_data")
    assert payload_kib(image) > 3000  # big_data's 3 MiB initialised array
    for mem_mb in (16, 8):
        r = boot(image, "x", mem_mb=mem_mb)
        assert (r.stdout, r.exit_status) == (b"1 2\n", 0)
    small = boot(image, "x", mem_mb=5)
    lo, hi = load_range(image)
    assert small.kernel == (f"unicore: panic: out of memory: the program needs RAM {lo:#x}-{hi:#x}: "
                            "boot with more memory (-m)\n").encode()
    assert small.exit_status == 134
