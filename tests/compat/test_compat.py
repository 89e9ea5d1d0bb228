"""The fast subset of the compatibility corpus (benchmarks/compat): each program built with
`unicore build --binary PROGRAM` (the CLI, default policy), run natively and as a unikernel on the
same inputs; stdout, stderr and exit status must be byte-equal. `unicore compat` runs the whole
corpus (docs/compat.md).

The quickest cases (small programs, short runs) run in every `make test-fast`; the rest of the
subset (interpreters, the GNU tools issue 20 names) is marked slow and runs in `make test`."""

import shutil
from pathlib import Path

import pytest

from unicore.compat import load_corpus, run_corpus

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
