"""The syscall tables are generated from the UAPI headers and agree with an independent source."""

import json
import re
from pathlib import Path

import pytest

from unicore import syscalls
from unicore.errors import BadInputError
from unicore.syscalls import gen

MUSL_HEADER = Path("/usr/include/x86_64-linux-musl/bits/syscall.h")  # musl-dev: its own table


@pytest.mark.parametrize("arch", syscalls.ARCHES)
def test_committed_tables_match_the_headers(arch):
    committed = json.loads((Path(gen.__file__).parent / f"{arch}.json").read_text())
    assert committed == gen.table(arch)


def test_x86_64_agrees_with_musl():
    musl = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR_(\w+)\s+(\d+)", MUSL_HEADER.read_text())}
    ours = syscalls.by_name("x86_64")
    common = set(musl) & set(ours)
    assert len(common) > 300
    assert {n: ours[n] for n in common} == {n: musl[n] for n in common}


def test_aarch64_generic_numbering():
    table = syscalls.by_name("aarch64")
    # asm-generic: no open/stat, the *at forms instead; 64-bit names without the 3264 prefix
    assert "open" not in table and "openat" in table and "fcntl" in table and "newfstatat" in table
    assert len(set(table.values())) == len(table)


def test_lookups_and_errors():
    assert syscalls.name_of("x86_64", syscalls.by_name("x86_64")["write"]) == "write"
    assert syscalls.name_of("x86_64", 99999) == "unknown_99999"
    with pytest.raises(BadInputError, match="unsupported architecture"):
        syscalls.by_name("riscv64")
