"""Booting images on QEMU microvm: accelerator choice, command line, console, status.

Public API: `run_image(...) -> RunResult` (run.py), `choose_accel(requested) -> (accel, why)`
(accel.py), exit statuses in EXIT_TIMEOUT / EXIT_NO_STATUS and docs/run.md.
They load on first use: the launch fast path (launch.py) imports this package without them.
"""

__all__ = ["choose_accel", "run_image", "RunResult", "EXIT_TIMEOUT", "EXIT_NO_STATUS"]


def __getattr__(name: str):
    if name == "choose_accel":
        from unicore.runner.accel import choose_accel
        return choose_accel
    if name in __all__:
        from unicore.runner import run
        return getattr(run, name)
    raise AttributeError(f"module 'unicore.runner' has no attribute {name!r}")
