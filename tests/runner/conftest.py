"""Fixtures for the runner trust tests: the trustprog image, and a temporary directory every
user can reach (so QEMU may run unprivileged there)."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def trust_image(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trust") / "trustprog.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(HERE / "trustprog.c"), "-o", str(out),
                           "--build-dir", str(out.parent / "build"), "--with", "9pfs"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture
def open_tmp():
    """A directory under /tmp that any user can search (mode 0755), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="unicore-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
