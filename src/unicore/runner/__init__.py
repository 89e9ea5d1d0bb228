"""Booting images on QEMU microvm: accelerator choice, command line, console, status.

Public API: `run_image(...) -> RunResult` (run.py), `choose_accel(requested) -> (accel, why)`
(accel.py), exit statuses in EXIT_TIMEOUT / EXIT_NO_STATUS and docs/run.md.
"""

from unicore.runner.accel import choose_accel
from unicore.runner.run import EXIT_NO_STATUS, EXIT_TIMEOUT, RunResult, run_image

__all__ = ["choose_accel", "run_image", "RunResult", "EXIT_TIMEOUT", "EXIT_NO_STATUS"]
