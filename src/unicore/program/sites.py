"""Syscall sites of a fixed-address x86_64 program that spt's loader may rewrite beyond the
plain `mov $nr, %eax; syscall` (docs/spt.md, "Rewritten sites"), checked here at build time.
The loader's forms, in its order (rewrite_linux.c):
- `mov $nr, %eax; syscall` (resolved): as before, no check;
- `mov $nr, %eax; mov $imm, %r32; syscall` (resolved), as musl's inline calls with a constant
  argument (`readv(fd, iov, 2)` in stdio's reads): both movs go into the stub (a restarted call
  runs them again: constants, the same values);
- `mov %reg, %reg; syscall; ret`, any number, as musl's generic `__syscall` wrapper
  (`__syscall_cp`) ends: the mov goes into the stub, which returns itself;
- `syscall; mov %reg, %reg`, any number, as nearly every musl call site is followed (`mov %rax,
  %rdi` for __syscall_ret): the mov after it goes into the stub, after the call.
The number is whatever %rax holds at run time in the last two.
A site is kept only if no direct branch of the program lands on the bytes the rewrite
overwrites, past its first (a byte scan of the code: a false match only drops a site, never
keeps a wrong one).
"""

import re
from pathlib import Path

from elftools.elf.elffile import ELFFile

ANY_NUMBER = -1  # the plan's number for such a site: whatever %rax holds
_BRANCHES = (  # (pattern, instruction length, displacement offset, displacement size)
    (re.compile(rb"[\x70-\x7f\xeb]", re.S), 2, 1, 1),
    (re.compile(rb"[\xe8\xe9]", re.S), 5, 1, 4),
    (re.compile(rb"\x0f[\x80-\x8f]", re.S), 6, 2, 4),
)


def _code(program: Path) -> list[tuple[int, bytes]]:
    with open(program, "rb") as f:
        elf = ELFFile(f)
        return [(s["sh_addr"], s.data()) for s in elf.iter_sections()
                if s["sh_flags"] & 0x4 and s["sh_type"] == "SHT_PROGBITS"]  # SHF_EXECINSTR


def _form1(data: bytes, i: int, nr: int) -> bool:
    """`mov $nr, %eax; syscall` (the loader's first form, no check needed)."""
    return nr >= 0 and i >= 5 and data[i - 5] == 0xB8 and int.from_bytes(data[i - 4:i], "little") == nr \
        and data[i:i + 2] == b"\x0f\x05"


def _reg_mov(data: bytes, i: int) -> bool:
    """data[i:i+3] is a REX.W mov between two registers (89/8b, mod 11)."""
    return i + 3 <= len(data) and data[i] & 0xFA == 0x48 and data[i + 1] in (0x89, 0x8B) and data[i + 2] >= 0xC0


def _imm_form(data: bytes, i: int, nr: int) -> bool:
    """data[i] is a `syscall` after `mov $nr, %eax; mov $imm32, %r32` (b8 nr, b8+r imm)."""
    return nr >= 0 and i >= 10 and data[i:i + 2] == b"\x0f\x05" and data[i - 10] == 0xB8 and \
        int.from_bytes(data[i - 9:i - 5], "little") == nr and 0xB8 <= data[i - 5] <= 0xBF


def _tail_form(data: bytes, i: int) -> bool:
    """`mov %reg, %reg; syscall; ret` with data[i] the syscall."""
    return i >= 3 and data[i:i + 3] == b"\x0f\x05\xc3" and _reg_mov(data, i - 3)


def _post_form(data: bytes, i: int) -> bool:
    """`syscall; mov %reg, %reg` (musl's `mov %rax, %rdi` before __syscall_ret)."""
    return data[i:i + 2] == b"\x0f\x05" and _reg_mov(data, i + 2)


def form(data: bytes, i: int, nr: int) -> tuple[str, range | None]:
    """The form the loader takes for the syscall at data[i] (its order: rewrite_linux.c), and the
    offsets no branch may land on for it (None: no check), or ("", None) for none."""
    if _form1(data, i, nr):
        return "mov-nr", None
    if _imm_form(data, i, nr):
        return "mov-nr-imm", range(i - 9, i + 2)
    if _tail_form(data, i):
        return "tail", range(i - 2, i + 3)
    if _post_form(data, i):
        return "post", range(i + 1, i + 5)
    return "", None


def _branch_targets(base: int, data: bytes, spans: list[range]) -> set[int]:
    """Offsets inside `spans` that some byte sequence of `data` would branch to."""
    inside = set().union(*spans) if spans else set()
    hit = set()
    for pattern, length, at, size in _BRANCHES:
        for m in pattern.finditer(data):
            i = m.start()
            if i + length > len(data):
                continue
            target = i + length + int.from_bytes(data[i + at:i + at + size], "little", signed=True)
            if target in inside:
                hit.add(target)
    return hit


def rewritable_sites(program: Path, sites: list[list[int]]) -> list[list[int]]:
    """The [address, number] sites (number -1: not a constant) to give the loader: every
    resolved site but those of a checked form that a branch enters, and the non-constant ones
    of a form it takes that no branch enters."""
    keep = []
    for base, data in _code(program):
        mine = [(a, n) for a, n in sites if base <= a < base + len(data)]
        forms = {a: form(data, a - base, n) for a, n in mine}
        bad = _branch_targets(base, data, [span for _, span in forms.values() if span])
        for a, n in mine:
            name, span = forms[a]
            entered = span is not None and any(t in bad for t in span)
            if (name or n >= 0) and not entered:
                keep.append([a, n])
    return sorted(keep)
