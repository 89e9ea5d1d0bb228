"""Fast unit tests of the runner and build-system helpers (no QEMU)."""

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from unicore import syscalls
from unicore.image import generate
from unicore.image.payload import check_program, pack
from unicore.errors import BadInputError
from unicore.runner import choose_accel
from unicore.runner.qemu import kernel_cmdline, percent_encode
from unicore.runner.console import EOF_FRAME, Demux, frames
from unicore.runner.run import _status


def test_percent_encoding_of_kernel_tokens():
    assert percent_encode("two words") == "two%20words"
    assert percent_encode("100%") == "100%25"
    assert percent_encode("é\n") == "%C3%A9%0A"
    assert percent_encode("a=b/c-d_e.f") == "a=b/c-d_e.f"


def test_kernel_cmdline_layout():
    line = kernel_cmdline(["x y", "--"], {"K": "v w"}, debug=True, boottime=False)
    assert line == "debug env=K=v%20w -- x%20y --"
    assert kernel_cmdline([], {}, False, True, argv0="prog") == "boottime argv0=prog --"


def test_console_frames_both_ways():
    """Host to guest: u32 length, u32 fd 0, bytes; an empty frame is end of file."""
    assert frames(b"ab\xff") == b"\x03\x00\x00\x00\x00\x00\x00\x00ab\xff"
    assert frames(b"") == b"" and EOF_FRAME == bytes(8)
    assert len(frames(bytes(300_000))) == 300_000 + 2 * 8  # 256 KiB per frame
    got, asked = [], []
    demux = Demux(lambda fd, data: got.append((fd, data)), lambda: asked.append(True))
    wire = (b"\x02\x00\x00\x00\x01\x00\x00\x00hi" + bytes(8) +       # stdout "hi", then "reads stdin"
            b"\x04\x00\x00\x00\x02\x00\x00\x00oops")                  # stderr "oops"
    for i in range(len(wire)):  # split anywhere: headers and data across reads
        demux.feed(wire[i:i + 1])
    joined = {fd: b"".join(d for f, d in got if f == fd) for fd in (1, 2)}
    assert (joined, asked) == ({1: b"hi", 2: b"oops"}, [True])


def test_status_lines():
    assert _status("stdin\nexit 42\n") == (42, None)
    assert _status("crash 11\n") == (139, 11)
    assert _status("") == (None, None)


def test_accelerator_choice_on_this_host():
    assert choose_accel("tcg") == ("tcg", "requested")
    accel, why = choose_accel("auto")
    if Path("/sys/module/kvm_pvm").exists():
        assert (accel, why) == ("tcg", "KVM here is PVM-based, slower than TCG for a CPL0 kernel")
    with pytest.raises(BadInputError):
        choose_accel("xen")


def test_syscall_table_uses_uapi_numbers():
    text = generate.syscall_table({"write": "posix-io", "exit_group": "posix-process"}, "x86_64")
    nr = syscalls.by_name("x86_64")
    assert f"\t[{nr['write']}] = 1, /* write */" in text
    assert f"\t[{nr['exit_group']}] = 2, /* exit_group */" in text
    assert "uk_sys_nanosleep" not in text
    with pytest.raises(BadInputError):
        generate.syscall_table({"no_such_call": "x"}, "x86_64")


def test_config_header_values():
    text = generate.config_header({"UK_A_B": True, "UK_C": 5, "UK_S": 'x"y'}, "hello")
    assert '#define UK_APP_NAME "hello"' in text and "#define UK_A_B 1" in text
    assert "#define UK_C 5" in text and '#define UK_S "x\\"y"' in text


def test_pack_keeps_segments_and_drops_padding(tmp_path):
    program = Path("/bin/true")  # any ELF: packing must keep every PT_LOAD byte at its vaddr
    original = program.read_bytes()
    packed = pack(original)
    assert len(packed) <= len(original)
    with open(program, "rb") as f:
        before = [(s["p_vaddr"], s.data()) for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
    (tmp_path / "p").write_bytes(packed)
    with open(tmp_path / "p", "rb") as f:
        after = [(s["p_vaddr"], s.data()) for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
    assert [v for v, _ in before] == [v for v, _ in after]
    assert [d for _, d in before][1:] == [d for _, d in after][1:]  # segment 0 holds the rewritten headers


def test_dynamic_program_is_rejected():
    with pytest.raises(BadInputError, match="dynamically linked"):
        check_program(Path("/bin/true"))


def test_volume_arguments(tmp_path):
    from unicore.runner.qemu import kernel_cmdline
    from unicore.runner.volumes import Volume, parse_volume, volume_args
    host = tmp_path / "a,b"
    host.mkdir()
    vol = parse_volume(f"{host}:/data")
    assert vol == Volume(host.resolve(), "/data", readonly=False)
    assert volume_args([vol]) == ["-fsdev", f"local,id=uk9p0,path={str(host.resolve()).replace(',', ',,')},"
                                  "security_model=mapped-xattr",
                                  "-device", "virtio-9p-device,fsdev=uk9p0,mount_tag=vol0"]
    long_guest = "/" + "x" * 40 + "/a b"  # past QEMU's 31-byte tag limit: the kernel token carries it
    vols = [vol, parse_volume(f"{host}:{long_guest}")]
    assert kernel_cmdline([], {}, False, False, volumes=vols) == \
        "vol.vol0=/data vol.vol1=/" + "x" * 40 + "/a%20b --"
    for bad in [f"{tmp_path}/missing:/x", "nocolon", f"{host}:relative"]:
        with pytest.raises(BadInputError):
            parse_volume(bad)


def test_syscall_table_faked_calls_share_one_return_0_entry():
    text = generate.syscall_table({"write": "posix-io"}, "x86_64", ["setsid", "sched_yield"])
    nr = syscalls.by_name("x86_64")
    assert text.count("static long fake_zero(") == 1 and "\treturn 0;" in text
    assert "\tuk_sys_write,\n\tfake_zero,\n};" in text
    assert f"\t[{nr['setsid']}] = 2, /* setsid (faked) */" in text
    assert f"\t[{nr['sched_yield']}] = 2, /* sched_yield (faked) */" in text
    assert "fake_zero" not in generate.syscall_table({"write": "posix-io"}, "x86_64")


def test_qemu_ram_and_translation_buffer_arguments():
    """x86_64 guest RAM is a memfd of exactly -m (no THP on it); TCG gets the unikernel-sized
    translation buffer, KVM and the Debian VM's accel_args none."""
    from unicore.runner.qemu import TCG_TB_SIZE_MB, accel_args, machine_args, ram_args
    assert ram_args(1.25, "x86_64") == ["-m", "1.25M", "-object", "memory-backend-memfd,id=uk.ram,size=1.25M",
                                        "-machine", "memory-backend=uk.ram"]
    assert ram_args(64, "arm64") == ["-m", "64M"]
    assert machine_args("x86_64", "tcg") == ["-M", "microvm", "-accel", f"tcg,tb-size={TCG_TB_SIZE_MB}"]
    assert accel_args("tcg") == ["-accel", "tcg"]
    assert accel_args("kvm", TCG_TB_SIZE_MB) == ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
