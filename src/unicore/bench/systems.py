"""What a benchmarked system is: a pluggable entry with prepare / size / launch.

A system that cannot run on this machine raises NotAvailable from `prepare` (or from its first
launch) with a reason for people; its row then says "not available: <reason>" instead of vanishing.
"""

import os
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from unicore.bench.workload import Workload
from unicore.errors import UnicoreError


class NotAvailable(UnicoreError):
    """This system cannot run here; the message says why (one line)."""


class RunFailed(UnicoreError):
    """One launch of the workload failed (non-zero exit, timeout, no result)."""


@dataclass
class Context:
    """What every system may use: the workload, a scratch directory, the accelerator, a console."""

    workload: Workload
    work: Path                      # scratch space, removed after the run
    accel: str                      # "kvm" or "tcg": the same for every VM-based system
    console: Console = field(default_factory=lambda: Console(stderr=True))
    cache: Path | None = None       # where built artifacts are kept between runs
    timeout: float = 300            # seconds one launch may take before it counts as hung


@dataclass
class Launch:
    """One launch: wall-clock seconds from start to teardown, and everything it printed."""

    seconds: float
    output: str


class System(ABC):
    """One row of the comparison. Subclasses set `key` and `label` and implement the three steps."""

    key: str = ""
    label: str = ""
    note: str = ""  # how it is run and what its size counts, for the table

    @abstractmethod
    def prepare(self, ctx: Context) -> None:
        """Build or find what a launch needs; raise NotAvailable with the reason if impossible."""

    @abstractmethod
    def size_bytes(self) -> int:
        """Bytes of what this system must ship to run the workload (see each `note`)."""

    @abstractmethod
    def launch(self, ctx: Context) -> Launch:
        """Run the workload once, from launch until everything is torn down."""

    def result(self, output: str) -> str:
        """The query's result line in this system's output."""
        from unicore.bench.workload import result_line
        return result_line(output)


def timed_run(cmd: list[str], stdin: str, timeout: float, what: str) -> Launch:
    """Run `cmd` with `stdin`, timing it from fork to reaped exit; RunFailed on error or timeout."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, input=stdin.encode(), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunFailed(f"{what} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise RunFailed(f"{what} could not start: {exc.strerror}") from None
    seconds = time.perf_counter() - start
    out = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        raise RunFailed(f"{what} exited with status {proc.returncode}: {last_line(proc.stderr, out)}")
    return Launch(seconds, out)


def last_line(*texts: bytes | str) -> str:
    """The last non-empty line of the first text that has one: the most telling error line."""
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return "no output"


def file_bytes(*paths: Path) -> int:
    """Sum of the sizes of these files."""
    return sum(p.stat().st_size for p in paths)


def tree_bytes(root: Path) -> int:
    """Apparent size of a directory tree (regular files and symlinks, as `du --apparent-size`)."""
    total = 0
    for top, dirs, files in os.walk(root):  # does not follow symlinked directories
        names = files + [d for d in dirs if os.path.islink(os.path.join(top, d))]
        total += sum(os.lstat(os.path.join(top, n)).st_size for n in names)
    return total
