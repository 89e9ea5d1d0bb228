"""What the runner needs to know about a linked image, recorded at build time.

`unicore run` must not parse ELF (or anything heavier) on every launch: the pipeline stores these
facts in the image's plan sidecar (`IMAGE.plan.json`, key `image`, docs/plan.md), and the runner
reads them back with json alone.
"""

import struct
from pathlib import Path

from unicore.formats import elf


# Where guest RAM starts: microvm at 0, QEMU virt at 1 GiB (its first GiB holds the devices).
RAM_BASE = {"x86_64": 0, "arm64": 0x40000000}
ARM64_MAGIC = (56, b"ARM\x64")  # a Linux arm64 Image (arch-arm64's entry_arm64.S header)


def image_facts(image: Path) -> dict:
    """`load_end`: how far into guest RAM the image's segments, and those of a fixed-address
    program it embeds (section .uk_app), reach (the runner refuses a smaller -m before booting);
    `bytes`: its size, so a stale record (the image rebuilt by hand) is noticed."""
    data = Path(image).read_bytes()
    at, magic = ARM64_MAGIC
    if data[at:at + len(magic)] == magic:
        return {"load_end": _arm64_load_end(data), "bytes": len(data)}
    header = elf.parse(data, image)
    app = elf.section_data(data, header, ".uk_app")
    program = elf.parse(app, f"{image} (.uk_app)") if app else None
    fixed = program is not None and program.type == elf.ET_EXEC
    return {"load_end": max(header.load_end(), program.load_end() if fixed else 0), "bytes": len(data)}


def _arm64_load_end(data: bytes) -> int:
    """A raw arm64 Image: QEMU loads the file at RAM base + text_offset; image_size covers what
    the kernel then occupies (the payload moved up above its zeroed sections), and res2 holds the
    payload's offset in the file, the packed program first (link_arm64.ld, entry_arm64.S)."""
    text_offset, image_size, _flags, payload = struct.unpack_from("<QQQQ", data, 8)
    end = text_offset + max(image_size, len(data))
    if data[payload:payload + 4] == elf.MAGIC:
        program = elf.parse(data[payload:], ".uk_app")
        if program.type == elf.ET_EXEC:
            end = max(end, program.load_end() - RAM_BASE["arm64"])
    return end
