"""Fixtures for the kernel tests: compile a test program, build its image (cached per session).

Every test that builds through make_image runs once per target (qemu/x86_64, qemu/arm64, spt/x86_64: the
`target` fixture), as Solo5 runs one suite on every target; a test that is about one platform's
wire asks for it with @pytest.mark.only_target("qemu/x86_64")."""

from pathlib import Path

import pytest
from kbuild import BASE_SYSCALLS, PROGRAMS, TARGETS, plan_for

from unicore.image import build_image
from unicore.program.toolchain import compile_program


@pytest.fixture(scope="session")
def kernel_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kernel")


@pytest.fixture(scope="session")
def image_cache() -> dict:
    return {}


@pytest.fixture(params=sorted(TARGETS), ids=lambda t: t.replace("/", "-"))
def target(request) -> str:
    only = request.node.get_closest_marker("only_target")
    if only and request.param not in only.args:
        pytest.skip(f"about {', '.join(only.args)} only")
    return request.param


@pytest.fixture
def make_image(kernel_workdir, image_cache, target):
    """make_image(program_name, syscalls=BASE_SYSCALLS, cflags=None) -> image path for the test's
    target (cached per session)."""
    def make(name: str, syscalls: list[str] | None = None, cflags: list[str] | None = None) -> Path:
        key = (target, name, tuple(syscalls or BASE_SYSCALLS), tuple(cflags or []))
        if key not in image_cache:
            work = kernel_workdir / f"{name}-{len(image_cache)}"
            program = compile_program([PROGRAMS / f"{name}.c"], work / name, cflags, target.split("/")[1])
            plan = plan_for(list(key[2]), name, target)
            image_cache[key] = build_image(plan, program, work / f"{name}.img", work / "build")
        return image_cache[key]

    return make
