"""Memory like Linux's (issue 20): demand-paged anonymous maps, a truthful mincore, enforced
protection, /proc/self/maps and status from the kernel's mapping list. Programs of our own
(tests/binary/programs), dynamically linked glibc, run from the rootfs; their output is compared
with the native run where Linux gives the same answer."""

import subprocess

import pytest
from bbuild import compile_c, rootfs_for

from unicore.runner import run_image

pytestmark = pytest.mark.slow


def image_of(name, binary_workdir, make_binary_image):
    program = compile_c(name, "dynamic", binary_workdir)
    rootfs = rootfs_for(program, binary_workdir / f"{name}.cpio")
    return program, make_binary_image(f"mem-{name}", None, None, rootfs=rootfs, fs=True, name=str(program))


def native(program) -> tuple[bytes, int]:
    proc = subprocess.run([str(program)], capture_output=True, timeout=60)
    return proc.stdout, proc.returncode


def test_one_gib_reserved_in_a_32_mib_guest_and_8_mib_touched(binary_workdir, make_binary_image):
    program, image = image_of("demand", binary_workdir, make_binary_image)
    r = run_image(image, mem_mb=32, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == native(program)
    assert b"touched 8 MiB: rss grew 8 MiB\n" in r.stdout


def test_mincore_scan_of_the_whole_address_space_ends(binary_workdir, make_binary_image):
    program, image = image_of("scan", binary_workdir, make_binary_image)
    r = run_image(image, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == native(program)
    assert r.stdout.endswith(b"steps unmapped\nstack page 1\n")


def test_guard_page_faults_with_sigsegv(binary_workdir, make_binary_image):
    program, image = image_of("guard", binary_workdir, make_binary_image)
    r = run_image(image, accel="tcg", timeout=120)
    assert native(program) == (b"buffer written\n", -11)
    assert r.exit_status == 139
    assert r.stdout == b"buffer written\n"  # the crash report is the kernel stream (COM1), not stdout
    assert b"unicore: crash: page fault (vector 14)" in r.kernel
    frames = [line for line in r.kernel.decode().splitlines() if line.lstrip("unicore: ").startswith("#")]
    assert frames and frames[0].endswith("[program]")  # main, in the PIE the image does not record
    assert not [f for f in frames if f.endswith("[program]") and "<" in f]  # never a kernel symbol


def test_proc_self_maps_parsed_by_a_program(binary_workdir, make_binary_image):
    program, image = image_of("maps", binary_workdir, make_binary_image)
    r = run_image(image, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == native(program)
    assert r.stdout == b"stack 1 rw\ncode 1 r\nmapping 1 r--p\nafter mprotect 1 rw-p\nafter munmap 0\n"


def test_mprotect_below_4_gib_is_enforced(binary_workdir, make_binary_image):
    program, image = image_of("protect", binary_workdir, make_binary_image)
    r = run_image(image, accel="tcg", timeout=120)
    proc = subprocess.run([str(program)], capture_output=True, timeout=60)
    assert (proc.stdout, proc.returncode) == (b"read-only page reads a, neighbours written\nrights back: written d\n", -11)
    assert (r.stdout, r.exit_status) == (proc.stdout, 139)
    assert r.stderr == b"buffer below 4 GiB: 1\n" and proc.stderr == b"buffer below 4 GiB: 0\n"


def test_munmap_gives_page_tables_back(binary_workdir, make_binary_image):
    program, image = image_of("ptfree", binary_workdir, make_binary_image)
    r = run_image(image, mem_mb=32, accel="tcg", timeout=300)
    assert (r.stdout, r.exit_status) == native(program) == (b"64 rounds of 512 page tables\n", 0)
