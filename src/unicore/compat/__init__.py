"""The compatibility corpus: unmodified Debian programs built as a user builds them, run with the
same inputs natively and as unikernels, compared byte for byte (docs/compat.md).

Public API: `load_corpus(path) -> list[Case]`, `run_corpus(cases, ...) -> list[Result]`.
"""

from unicore.compat.corpus import Case, load_corpus
from unicore.compat.runner import Result, run_corpus

__all__ = ["Case", "load_corpus", "Result", "run_corpus"]
