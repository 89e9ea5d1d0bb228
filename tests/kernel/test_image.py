"""Image tests: dead code stays out, builds are incremental, the symbol table is consistent."""

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from kbuild import BASE_SYSCALLS, PROGRAMS, plan_for

from unicore.image import build_image
from unicore.image.ksyms import function_symbols
from unicore.program.toolchain import compile_program

pytestmark = pytest.mark.slow


def symbols(elf_path: Path) -> set[str]:
    with open(elf_path, "rb") as f:
        return {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}


def test_unused_handler_is_not_in_the_image(make_image, kernel_workdir):
    image = make_image("hello")
    kernel = image.parent / "build" / "kernel.elf"
    names = symbols(kernel)
    assert "uk_sys_write" in names and "uk_sys_nanosleep" not in names
    assert b"uk_sys_nanosleep" not in image.read_bytes()  # not in the crash symbol table either
    with_sleep = make_image("clock", BASE_SYSCALLS + ["clock_gettime", "nanosleep", "time", "gettimeofday"])
    assert "uk_sys_nanosleep" in symbols(with_sleep.parent / "build" / "kernel.elf")


@pytest.mark.only_target("qemu/x86_64")
def test_image_is_a_pvh_elf_without_symbols(make_image):
    with open(make_image("hello"), "rb") as f:
        elf = ELFFile(f)
        notes = [n for seg in elf.iter_segments() if seg["p_type"] == "PT_NOTE" for n in seg.iter_notes()]
        assert any(n["n_name"] == "Xen" and n["n_type"] == 18 for n in notes)
        kernel, payload = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert kernel["p_paddr"] == 0x100000
        # the payload follows the kernel's memory and its 7 boot page-table pages (docs/image.md)
        kernel_end = -(-(kernel["p_paddr"] + kernel["p_memsz"]) // 4096) * 4096
        assert payload["p_paddr"] == kernel_end + 7 * 4096
        assert elf.get_section_by_name(".symtab") is None


@pytest.mark.only_target("qemu/arm64")
def test_arm64_image_is_a_linux_image_with_the_program_after_the_kernel(make_image):
    """QEMU virt loads a Linux arm64 Image at RAM base + text_offset and passes the device tree
    in x0 (docs/design.md): the raw image has the header, image_size covers the kernel and the
    payload above _end, and the file holds no zeroed sections: the packed program's ELF header
    starts the payload right after the kernel's loaded bytes (res2 says where; the entry code
    moves it up to its address at boot)."""
    import struct
    image = make_image("hello")
    data = image.read_bytes()
    text_offset, image_size, flags, payload_at = struct.unpack_from("<QQQQ", data, 8)
    assert data[56:60] == b"ARM\x64" and (text_offset, flags) == (0x80000, 2)
    with open(image.parent / "build" / "kernel.elf", "rb") as f:
        elf = ELFFile(f)
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
        bss = elf.get_section_by_name(".bss")["sh_addr"]
    start = syms["_uk_image_start"]
    assert start == 0x40000000 + text_offset
    assert image_size == syms["_uk_payload_end"] - start and syms["_uk_payload_start"] >= syms["_end"]
    assert payload_at == syms["_uk_payload_load"] - start == -(-(bss - start) // 16) * 16  # where .bss begins
    assert data[payload_at:payload_at + 4] == b"\x7fELF"
    assert data[payload_at + 18:payload_at + 20] == (183).to_bytes(2, "little")  # EM_AARCH64: the program
    assert len(data) == payload_at + syms["_uk_payload_end"] - syms["_uk_payload_start"]


@pytest.mark.only_target("spt/x86_64")
def test_spt_image_carries_the_tenders_note_and_loads_at_1mib(make_image):
    """The tender finds the image's signal handlers and its kernel region in a note (uk/linux_host.h)."""
    with open(make_image("hello"), "rb") as f:
        elf = ELFFile(f)
        notes = [n for seg in elf.iter_segments() if seg["p_type"] == "PT_NOTE" for n in seg.iter_notes()]
        kernel, payload = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert [(n["n_name"], n["n_type"]) for n in notes] == [("unicore", 0x53505431)]
        desc = bytes(notes[0]["n_descdata"])
        version, *handlers, lo, hi, altstack, altlen = (int.from_bytes(desc[i:i + 8], "little") for i in range(0, 72, 8))
        assert version == 1 and (lo, hi) == (0x100000, -(-(kernel["p_paddr"] + kernel["p_memsz"]) // 4096) * 4096)
        assert all(lo <= a < hi for a in [*handlers, altstack]) and altlen == 65536
        assert payload["p_paddr"] >= hi and elf.header["e_entry"] in range(lo, hi)
        assert elf.get_section_by_name(".symtab") is None


def test_second_build_compiles_nothing(tmp_path):
    program = compile_program([PROGRAMS / "hello.c"], tmp_path / "hello")
    plan = plan_for(BASE_SYSCALLS, "hello")
    image = build_image(plan, program, tmp_path / "hello.img", tmp_path / "build")
    objects = {p: p.stat().st_mtime_ns for p in (tmp_path / "build").rglob("*.o")}
    build_image(plan, program, tmp_path / "hello.img", tmp_path / "build")
    dry = subprocess.run(["ninja", "-C", str(tmp_path / "build"), "-n"], capture_output=True, text=True)
    assert "no work to do" in dry.stdout
    assert objects == {p: p.stat().st_mtime_ns for p in (tmp_path / "build").rglob("*.o")}
    assert len(objects) > 20 and image.stat().st_size > 0


def test_two_link_passes_agree_on_function_addresses(make_image):
    build = make_image("hello").parent / "build"
    assert function_symbols(build / "kernel.pre.elf") == function_symbols(build / "kernel.elf")


def test_rootfs_archive_is_linked_between_the_initrd_symbols(tmp_path):
    program = compile_program([PROGRAMS / "hello.c"], tmp_path / "hello")
    archive = tmp_path / "rootfs.cpio"
    archive.write_bytes(b"070701" + b"x" * 5000)
    build_image(plan_for(BASE_SYSCALLS, "hello"), program, tmp_path / "hello.img", tmp_path / "build", rootfs=archive)
    with open(tmp_path / "build" / "kernel.elf", "rb") as f:
        elf = ELFFile(f)
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
        section = elf.get_section_by_name(".uk_initrd")
        assert syms["__uk_initrd_end"] - syms["__uk_initrd_start"] == 5006
        start = syms["__uk_initrd_start"] - section["sh_addr"]
        assert section.data()[start:start + 5006] == archive.read_bytes()
    assert b"070701" + b"x" * 5000 in (tmp_path / "hello.img").read_bytes()
