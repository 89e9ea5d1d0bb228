"""The shared format codecs: cpio newc (read back by GNU cpio) and ELF headers (against readelf)."""

import os
import shutil
import stat
import subprocess

import pytest

from unicore.errors import BadInputError
from unicore.formats import cpio, elf


@pytest.mark.skipif(not shutil.which("cpio"), reason="GNU cpio is not installed")
def test_tree_round_trip_keeps_types_modes_and_links(tmp_path):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "tool").write_bytes(b"#!/bin/sh\necho hi\n")
    os.chmod(root / "bin" / "tool", 0o4755)
    (root / "etc").mkdir()
    (root / "etc" / "motd").write_text("hello\n")
    os.symlink("../etc/motd", root / "bin" / "motd")
    os.mkfifo(root / "etc" / "pipe")
    size = cpio.write(cpio.tree_members(root), tmp_path / "a.cpio")
    assert size == (tmp_path / "a.cpio").stat().st_size
    out = tmp_path / "out"
    out.mkdir()
    with open(tmp_path / "a.cpio", "rb") as archive:
        subprocess.run(["cpio", "-idm", "--quiet"], stdin=archive, cwd=out, check=True)
    assert (out / "bin" / "tool").read_bytes() == b"#!/bin/sh\necho hi\n"
    assert stat.S_IMODE((out / "bin" / "tool").stat().st_mode) == 0o4755
    assert os.readlink(out / "bin" / "motd") == "../etc/motd"
    assert stat.S_ISFIFO((out / "etc" / "pipe").lstat().st_mode)
    listing = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(tmp_path / "a.cpio", "rb"),
                             capture_output=True, text=True, check=True).stdout.split()
    assert listing == ["bin", "bin/motd", "bin/tool", "etc", "etc/motd", "etc/pipe"]


def test_elf_headers_match_readelf(tmp_path):
    data = open("/bin/true", "rb").read()
    header = elf.parse(data)
    text = subprocess.run(["readelf", "-hlW", "/bin/true"], capture_output=True, text=True, check=True).stdout
    assert f"Entry point address:               {header.entry:#x}" in text
    assert f"Number of program headers:         {len(header.segments)}" in text
    assert header.type == elf.ET_DYN and header.interp and header.machine == elf.MACHINES["x86_64"]
    loads = [line.split() for line in text.splitlines() if line.strip().startswith("LOAD")]
    assert header.load_end() == max(int(f[3], 16) + int(f[5], 16) for f in loads)
    assert elf.section_data(data, header, ".interp").rstrip(b"\0") == b"/lib64/ld-linux-x86-64.so.2"
    assert elf.section_data(data, header, ".no-such-section") is None


@pytest.mark.parametrize("data", [b"", b"\x7fELF", b"\x7fELF\x01\x01" + bytes(60), b"MZ" + bytes(100)])
def test_elf_rejects_non_elf64(data):
    with pytest.raises(BadInputError, match="not a 64-bit little-endian ELF file"):
        elf.parse(data, "blob")
