"""Host-side unit tests of the pool's machine-independent C code, with ASan and UBSan (gcc)."""

import subprocess
from pathlib import Path

import pytest

from unicore.program.toolchain import LINK_BASE
from kbuild import PROGRAMS

from unicore.pool.manifest import POOL_DIR, include_dirs
from unicore.program.toolchain import compile_program

pytestmark = pytest.mark.slow  # the sanitizer build takes several seconds

HOST = Path(__file__).parent / "host"
SOURCES = ["lib/core/palloc.c", "lib/core/heap.c", "lib/core/cmdline.c", "lib/core/print.c",
           "lib/process/elf.c", "lib/process/stack.c"]


@pytest.fixture(scope="module")
def unit_binary(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("host") / "test_units"
    cmd = ["gcc", "-std=gnu11", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-fno-omit-frame-pointer", "-DUK_HOST_TEST", f"-DPROGRAM_BASE={LINK_BASE:#x}", f"-I{HOST}", *(f"-I{d}" for d in include_dirs("x86_64", "qemu")),
           str(HOST / "test_units.c"), *(str(POOL_DIR / s) for s in SOURCES), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("name", ["palloc", "heap", "cmdline", "format", "stack"])
def test_unit(unit_binary, name):
    proc = subprocess.run([str(unit_binary), name], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"ok {name}\n", "")


def test_elf_parser_on_a_real_program_and_damaged_copies(unit_binary, tmp_path):
    program = compile_program([PROGRAMS / "hello.c"], tmp_path / "hello")
    proc = subprocess.run([str(unit_binary), "elf", str(program)], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "ok elf\n", "")
