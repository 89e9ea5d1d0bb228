"""The fast subset of the compatibility corpus (benchmarks/compat): each program built with
`unicore build --binary PROGRAM` (the CLI, default policy), run natively and as a unikernel on the
same inputs; stdout, stderr and exit status must be byte-equal. `unicore compat` runs the whole
corpus (docs/compat.md).

The quickest cases (small programs, short runs) run in every `make test-fast`; the rest of the
subset (interpreters, the GNU tools issue 20 names) is marked slow and runs in `make test`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from unicore.compat import load_corpus, run_corpus
from unicore.compat.runner import build

CORPUS = Path(__file__).resolve().parents[2] / "benchmarks" / "compat" / "corpus.toml"
FAST = [c for c in load_corpus(CORPUS) if c.fast]
QUICK = {"cat-file", "tac-stdin", "date-tz"}

needs_qemu = pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="needs QEMU")


def test_corpus_has_sixty_programs_with_a_fast_subset():
    cases = load_corpus(CORPUS)
    assert len({c.program for c in cases}) >= 60
    assert {c.name for c in FAST} >= QUICK | {"python3-email"}


@needs_qemu
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=[] if c.name in QUICK else [pytest.mark.slow])
                                  for c in FAST])
def test_fast_case_matches_native(case, tmp_path_factory):
    if not case.program.exists():
        pytest.skip(f"{case.program} not installed (scripts/install-deps)")
    cache = tmp_path_factory.getbasetemp() / "compat-cache"
    [result] = run_corpus([case], cache)
    assert result.guest is not None, result.differences
    assert result.guest.stdout == result.native.stdout
    assert result.guest.stderr == result.native.stderr
    assert result.guest.status == result.native.status
    assert result.passed and result.differences == []


@needs_qemu
@pytest.mark.slow
def test_m4_verified_by_unicore_verify(tmp_path_factory):
    """The corpus's m4 image through `unicore verify` (as a user checks it): native and unikernel
    give the same stdout, stderr and exit status for the macro file on stdin."""
    [case] = [c for c in load_corpus(CORPUS) if c.name == "m4"]
    if not case.program.exists():
        pytest.skip(f"{case.program} not installed (scripts/install-deps)")
    built = build(case, tmp_path_factory.getbasetemp() / "compat-cache")
    assert built.image, built.error
    proc = subprocess.run([sys.executable, "-m", "unicore", "verify", str(built.image), "--accel", "tcg",
                           "--stdin", str(case.inputs / "macro.m4")], capture_output=True, timeout=300)
    native = subprocess.run([str(case.program)], input=(case.inputs / "macro.m4").read_bytes(), capture_output=True)
    assert native.returncode == 0 and b"Hello, world!" in native.stdout
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert proc.stdout.decode() == (f"same behaviour: {len(native.stdout)} bytes of stdout, "
                                    f"{len(native.stderr)} bytes of stderr, exit status 0\n")
