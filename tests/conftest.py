"""Fixtures shared by the test folders: the target every kernel, file-system and binary test
runs on (targets.py)."""

import pytest
from targets import TARGETS


@pytest.fixture(scope="session", params=TARGETS, ids=[t.replace("/", "-") for t in TARGETS])
def target(request) -> str:
    return request.param
