"""Fixtures for the kernel tests: compile a test program, build its image (cached per session)."""

from pathlib import Path

import pytest
from kbuild import BASE_SYSCALLS, PROGRAMS, plan_for

from unicore.image import build_image
from unicore.program.toolchain import compile_program


@pytest.fixture(scope="session")
def kernel_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kernel")


@pytest.fixture(scope="session")
def make_image(kernel_workdir):
    """make_image(program_name, syscalls=BASE_SYSCALLS, cflags=None) -> image path (cached)."""
    cache: dict[tuple, Path] = {}

    def make(name: str, syscalls: list[str] | None = None, cflags: list[str] | None = None) -> Path:
        key = (name, tuple(syscalls or BASE_SYSCALLS), tuple(cflags or []))
        if key not in cache:
            work = kernel_workdir / f"{name}-{len(cache)}"
            program = compile_program([PROGRAMS / f"{name}.c"], work / name, cflags)
            plan = plan_for(list(key[1]), name)
            cache[key] = build_image(plan, program, work / f"{name}.img", work / "build")
        return cache[key]

    return make
