"""Programs a binary names and can start (analysis/static/programs.py): the other executables of
its own package, found in its read-only strings when it imports an exec function."""

import shutil

import pytest

from unicore.analysis.static import programs


def _paths(program: str) -> list[str]:
    return [p["path"] for p in programs.named(program)]


@pytest.mark.skipif(not shutil.which("diff3"), reason="needs diffutils")
def test_diff3_and_sdiff_name_diff():
    """diff3 holds "diff" as a string of its own; sdiff only as the tail of "sdiff" (merged strings)."""
    assert _paths("/usr/bin/diff3") == ["/usr/bin/diff"]
    assert _paths("/usr/bin/sdiff") == ["/usr/bin/diff"]
    [entry] = programs.named("/usr/bin/diff3")
    assert "diffutils" in entry["why"] and "'diff'" in entry["why"]


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_names_the_shell_by_path():
    """make starts its recipes with /bin/sh, which it names by absolute path (dash's, another package)."""
    assert _paths("/usr/bin/make") == ["/bin/sh"]


def test_program_without_exec_functions_names_nothing():
    """cat imports no exec function: the word "cat" or any coreutils name in it brings nothing."""
    assert _paths("/usr/bin/cat") == []


def test_unreadable_or_unowned_input_names_nothing(tmp_path):
    junk = tmp_path / "prog"
    junk.write_bytes(b"\x7fELF" + b"\0" * 60)
    assert programs.named(str(junk)) == []
    assert programs.named(str(tmp_path / "missing")) == []
