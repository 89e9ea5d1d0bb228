"""Fixtures shared by the test folders: the target every kernel, file-system and binary test
runs on (targets.py); a test about some targets only says so with
@pytest.mark.only_target(...) and is skipped, with that reason, on the others."""

import pytest
from targets import TARGETS


@pytest.fixture(scope="session", params=TARGETS, ids=[t.replace("/", "-") for t in TARGETS])
def target(request) -> str:
    return request.param


def pytest_runtest_setup(item) -> None:
    only = item.get_closest_marker("only_target")
    param = getattr(item, "callspec", None) and item.callspec.params.get("target")
    if only and param and param not in only.args:
        pytest.skip(f"about {', '.join(only.args)} only")
