"""Fixtures for the kernel tests: compile a test program, build its image (cached per session)."""

from pathlib import Path

import pytest
from kbuild import BASE_SYSCALLS, PROGRAMS, plan_for
from targets import arch_of

from unicore.image import build_image
from unicore.program.toolchain import compile_program


@pytest.fixture(scope="session")
def kernel_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kernel")


@pytest.fixture(scope="session")
def make_image(kernel_workdir, target):
    """make_image(program_name, syscalls=BASE_SYSCALLS, cflags=None) -> image path for the
    target (cached); every test using it runs on each target."""
    cache: dict[tuple, Path] = {}

    def make(name: str, syscalls: list[str] | None = None, cflags: list[str] | None = None) -> Path:
        key = (name, tuple(syscalls or BASE_SYSCALLS), tuple(cflags or []))
        if key not in cache:
            work = kernel_workdir / arch_of(target) / f"{name}-{len(cache)}"
            program = compile_program([PROGRAMS / f"{name}.c"], work / name, cflags, arch_of(target))
            plan = plan_for(list(key[1]), name, target)
            cache[key] = build_image(plan, program, work / f"{name}.img", work / "build")
        return cache[key]

    return make
