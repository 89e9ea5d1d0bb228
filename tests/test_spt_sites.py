"""Which syscall sites spt's loader is given (program/sites.py): every resolved one, less those of
a checked form (`mov $nr, %eax; mov $imm, %r32; syscall`, `mov %reg, %reg; syscall; ret`,
`syscall; mov %reg, %reg`) that a branch enters; of the ones whose number is not a constant,
those of a form it takes that no branch enters. Checked on a tiny fixed-address program."""

import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from unicore.program.sites import ANY_NUMBER, rewritable_sites

SOURCE = r"""
	.text
	.globl _start
_start:	mov %rdi, %rax		/* musl's __syscall: the number in %rax */
	mov %rcx, %rdx
site_ok: syscall
	ret
wrapper2: mov %rdi, %rax
	movl $0, %edx		/* not a register-to-register mov: left to the trap */
site_imm: syscall
	ret
retry:	mov %rdi, %rax
	mov %rsi, %rdi
site_target: syscall		/* a loop jumps back to the syscall itself */
	ret
	jmp site_target
noret:	mov %rsi, %rdi
site_noret: syscall		/* no ret, no mov after it */
	nop
	ret
site_post: syscall		/* musl's: the result to __syscall_ret */
	mov %rax, %rdi
	ret
readv:	mov $19, %eax		/* stdio's readv(fd, iov, 2) */
	mov $2, %edx
site_readv: syscall
	ret
readv2:	mov $19, %eax
	mov $2, %edx
site_entered: syscall		/* a path with another %edx jumps to the syscall */
	ret
	mov $3, %edx
	jmp site_entered
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    if not shutil.which("gcc"):
        pytest.skip("gcc is not installed")
    work = tmp_path_factory.mktemp("sites")
    (work / "p.S").write_text(SOURCE)
    subprocess.run(["gcc", "-nostdlib", "-static", "-no-pie", "-o", str(work / "p"), str(work / "p.S")], check=True)
    with open(work / "p", "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        names = {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name.startswith("site_")}
    return work / "p", names


def test_non_constant_sites_only_in_a_form_no_branch_enters(program):
    path, site = program
    names = ["site_ok", "site_imm", "site_target", "site_noret", "site_post"]
    given = rewritable_sites(path, [[site[n], ANY_NUMBER] for n in names])
    assert given == sorted([[site["site_ok"], ANY_NUMBER], [site["site_post"], ANY_NUMBER]])


def test_an_address_that_is_no_syscall_is_never_taken(program):
    path, site = program
    assert rewritable_sites(path, [[site["site_ok"] + 1, ANY_NUMBER], [site["site_ok"] - 3, ANY_NUMBER]]) == []


def test_resolved_sites_are_kept_unless_a_branch_enters_a_checked_form(program):
    path, site = program
    sites = [[site["site_readv"], 19], [site["site_entered"], 19], [site["site_noret"], 0]]
    assert rewritable_sites(path, sites) == sorted([[site["site_readv"], 19], [site["site_noret"], 0]])
