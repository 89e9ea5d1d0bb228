"""The image's symbol table for crash reports, made between the two link passes.

Pass 1 links the kernel with an empty table; this reads its function symbols and the program's,
and writes an assembler file with addresses (sorted) and names, which pass 2 links in. The table
section comes after all code, so no function moves between the passes.
Run by the build: `python -m unicore.image.ksyms KERNEL.pre.elf [PROGRAM] OUT.S` (no PROGRAM
when the image embeds none, or when it is position-independent: its link-time addresses are not
where it runs).
"""

import sys
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

EMPTY = """\t.section .uk_ksyms, "a"
\t.globl uk_ksyms_count, uk_ksyms_addrs, uk_ksyms_sizes, uk_ksyms_names, uk_ksyms_strs
\t.p2align 3
uk_ksyms_count:\t.long 0
\t.p2align 3
uk_ksyms_addrs:
uk_ksyms_sizes:
uk_ksyms_names:
uk_ksyms_strs:\t.byte 0
"""


def sized_symbols(path: Path) -> dict[int, tuple[str, int]]:
    """{address: (name, size)} of the functions (and code labels: size 0) in an ELF file's symbol
    table. Sizes let a crash report refuse an address past a function's end (code without a
    symbol, a program the image does not record) instead of naming the function before it."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            return {}
        code = {i for i, s in enumerate(elf.iter_sections()) if s["sh_flags"] & SH_FLAGS.SHF_EXECINSTR}
        found: dict[int, tuple[str, int]] = {}
        for sym in symtab.iter_symbols():
            if _is_code(sym, code) and (sym["st_info"]["type"] == "STT_FUNC" or sym["st_value"] not in found):
                found[sym["st_value"]] = (sym.name, sym["st_size"])
        return found


def function_symbols(path: Path) -> dict[int, str]:
    """{address: name} of the functions (and code labels) in an ELF file's symbol table."""
    return {a: name for a, (name, _) in sized_symbols(path).items()}


def _is_code(sym, code: set[int]) -> bool:
    kind = sym["st_info"]["type"]
    return (kind in ("STT_FUNC", "STT_NOTYPE") and isinstance(sym["st_shndx"], int)
            and sym["st_shndx"] in code and sym.name and not sym.name.startswith((".", "$"))
            and 0 < sym["st_value"])


def assembly(symbols: dict[int, tuple[str, int]]) -> str:
    """The table: 64-bit addresses (a program's symbols may lie anywhere), sizes, name offsets."""
    addrs = sorted(symbols)
    offsets, blob = [], bytearray()
    for a in addrs:
        offsets.append(len(blob))
        blob += symbols[a][0].encode() + b"\0"
    lines = [EMPTY.split("uk_ksyms_count:")[0], f"uk_ksyms_count:\t.long {len(addrs)}", "\t.p2align 3",
             "uk_ksyms_addrs:"]
    lines += _data(".quad", addrs) + ["uk_ksyms_sizes:"] + _data(".long", [symbols[a][1] for a in addrs])
    lines += ["uk_ksyms_names:"] + _data(".long", offsets) + ["uk_ksyms_strs:"]
    lines += [f"\t.byte {','.join(map(str, blob[i:i + 32]))}" for i in range(0, len(blob), 32)] or ["\t.byte 0"]
    return "\n".join(lines) + "\n"


def _data(directive: str, values: list[int]) -> list[str]:
    return [f"\t{directive} {','.join(map(hex, values[i:i + 8]))}" for i in range(0, len(values), 8)]


def main(argv: list[str]) -> int:
    kernel, *programs, out = map(Path, argv)
    symbols = {k: v for p in programs for k, v in sized_symbols(p).items()}
    symbols.update(sized_symbols(kernel))
    out.write_text(assembly(symbols))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
