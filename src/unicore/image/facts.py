"""What the runner needs to know about a linked image, recorded at build time.

`unicore run` must not parse ELF (or anything heavier) on every launch: the pipeline stores these
facts in the image's plan sidecar (`IMAGE.plan.json`, key `image`, docs/plan.md), and the runner
reads them back with json alone.
"""

from pathlib import Path

from unicore.formats import elf


# Where guest RAM starts: microvm at 0, QEMU virt at 1 GiB (its first GiB holds the devices).
RAM_BASE = {"x86_64": 0, "arm64": 0x40000000}


def image_facts(image: Path, linked: Path | None = None, arch: str = "x86_64") -> dict:
    """`load_end`: how far into guest RAM the image's segments, and those of a fixed-address
    program it embeds (section .uk_app), reach (the runner refuses a smaller -m before booting);
    `bytes`: its size, so a stale record (the image rebuilt by hand) is noticed. `linked`: the ELF
    the image was made from when the image itself is none (arm64: a raw Image)."""
    raw = Path(image).read_bytes()
    data = Path(linked).read_bytes() if linked else raw
    header = elf.parse(data, linked or image)
    app = elf.section_data(data, header, ".uk_app")
    program = elf.parse(app, f"{image} (.uk_app)") if app else None
    fixed = program is not None and program.type == elf.ET_EXEC
    end = max(header.load_end(), program.load_end() if fixed else 0)
    return {"load_end": max(0, end - RAM_BASE[arch]), "bytes": len(raw)}
