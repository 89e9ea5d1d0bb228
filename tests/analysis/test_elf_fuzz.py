"""Fuzzing the ELF reading path: mutated or truncated bytes of real ELF files must give either a
result or one BadInputError line, never another exception (hypothesis)."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from unicore.analysis.static.analyze import analyze_static
from unicore.errors import BadInputError

DATA = Path(__file__).parent / "data"
WORK = Path(tempfile.mkdtemp(prefix="unicore-fuzz-"))  # shared by hypothesis examples
atexit.register(shutil.rmtree, WORK, True)


def _seed() -> bytes:
    """A small static musl program: no closure, so each example is quick."""
    out = WORK / "seed"
    if not out.exists():
        subprocess.run([sys.executable, "-m", "unicore", "cc", "-O2", "-o", str(out),
                        str(DATA / "static" / "known_calls.c")], check=True, capture_output=True)
        subprocess.run(["strip", str(out)], check=True)
    return out.read_bytes()


def _check(blob: bytes) -> None:
    path = WORK / "mutant"
    path.write_bytes(blob)
    try:
        result = analyze_static(path, cache_dir=WORK / "cache")
    except BadInputError as exc:
        assert "\n" not in str(exc) and str(exc)
        # the analysis' last-resort guard must not be what caught it: every failure of a
        # corrupt file is expected to be recognised while reading it
        assert "cannot analyse" not in str(exc)
        return
    assert isinstance(result["syscalls"], list)


def _mutate(data: bytes, edits: list[tuple[int, int]], header_bias: bool) -> bytes:
    buf = bytearray(data)
    for pos, value in edits:
        # most structure sits in the first KiB (headers) and the section table at the end
        where = pos % 1024 if header_bias else pos % len(buf)
        buf[where] = value
    return bytes(buf)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=12),
       header_bias=st.booleans())
def test_mutated_elf_gives_result_or_bad_input(edits, header_bias):
    _check(_mutate(_seed(), edits, header_bias))


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, 1 << 20))
def test_truncated_elf_gives_result_or_bad_input(cut):
    seed = _seed()
    _check(seed[:cut % len(seed)])


@settings(max_examples=60, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=8))
def test_mutated_section_table_gives_result_or_bad_input(edits):
    seed = bytearray(_seed())
    shoff = int.from_bytes(seed[0x28:0x30], "little")
    for pos, value in edits:
        seed[shoff + pos % max(1, len(seed) - shoff)] = value
    _check(bytes(seed))


@pytest.mark.parametrize("cut", [4, 16, 52, 64, 200, 1000, 5000])
def test_truncated_dynamic_program(cut, tmp_path):
    path = tmp_path / "true"
    path.write_bytes(Path("/bin/true").read_bytes()[:cut])
    with pytest.raises(BadInputError):
        analyze_static(path, cache_dir=tmp_path)


@pytest.mark.slow  # the first example analyses libc (cached for the others)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=8),
       header_bias=st.booleans())
def test_mutated_dynamic_program_gives_result_or_bad_input(edits, header_bias):
    _check(_mutate(Path("/bin/true").read_bytes(), edits, header_bias))
