"""What the runner needs to know about a linked image, recorded at build time.

`unicore run` must not parse ELF (or anything heavier) on every launch: the pipeline stores these
facts in the image's plan sidecar (`IMAGE.plan.json`, key `image`, docs/plan.md), and the runner
reads them back with json alone.
"""

from pathlib import Path

from unicore.formats import elf


def image_facts(image: Path) -> dict:
    """`load_end`: where the image's segments, and those of a fixed-address program it embeds
    (section .uk_app), end in guest RAM (the runner refuses a smaller -m before booting);
    `bytes`: its size, so a stale record (the image rebuilt by hand) is noticed."""
    data = Path(image).read_bytes()
    header = elf.parse(data, image)
    app = elf.section_data(data, header, ".uk_app")
    program = elf.parse(app, f"{image} (.uk_app)") if app else None
    fixed = program is not None and program.type == elf.ET_EXEC
    return {"load_end": max(header.load_end(), program.load_end() if fixed else 0), "bytes": len(data)}
