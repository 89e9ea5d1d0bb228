"""Fixtures for the binary tests: a work directory, and images built through unicore.image
with plans from bbuild (cached per session). Helpers to import are in bbuild (not here: every
test folder has a conftest module)."""

from pathlib import Path

import pytest
from bbuild import plan_for

from unicore.image import build_image


@pytest.fixture(scope="session")
def binary_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("binary")


@pytest.fixture(scope="session")
def make_binary_image(binary_workdir):
    """make_binary_image(key, program, syscalls, rootfs=None, fs=False, name=None, target=qemu/x86_64)
    -> image (cached; `key` names it per target)."""
    cache: dict[str, Path] = {}

    def make(key: str, program: Path | None, syscalls: list[str] | None, rootfs: Path | None = None,
             fs: bool = False, name: str | None = None, target: str = "qemu/x86_64") -> Path:
        if target != "qemu/x86_64":
            key = f"{key}-{target.replace('/', '-')}"
        if key not in cache:
            work = binary_workdir / "images" / key
            plan = plan_for(syscalls, name or (program.name if program else "program"), fs=fs, target=target)
            cache[key] = build_image(plan, program, work / f"{key}.img", work / "build", rootfs=rootfs)
        return cache[key]

    return make
