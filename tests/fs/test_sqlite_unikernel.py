"""The SQLite shell as a unikernel on the file systems (slow: builds examples/sqlite from the
Debian source package unless cached, and boots QEMU under TCG):
- examples/sqlite/test.sql (tables, indexes, joins, aggregates, a 10,000-insert transaction)
  on a database on a `-v` host volume prints byte for byte what Debian's sqlite3 prints;
- the database file is on the host afterwards, and the host's sqlite3 reads every row;
- the same on a database in the guest's ramfs.
Each on every target (tests/targets.py): the arm64 image's output is the same bytes as Debian's
x86_64 shell's, hence as the x86_64 image's."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fs_helpers import ROOT

pytestmark = pytest.mark.slow
SQL = ROOT / "examples" / "sqlite" / "test.sql"
ROWS = "SELECT count(*), sum(qty), count(DISTINCT customer) FROM orders;"


def unicore(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], input=stdin,
                          capture_output=True, timeout=1800)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory, target: str) -> Path:
    if not shutil.which("sqlite3"):
        pytest.skip("Debian's sqlite3 is not installed")
    out = tmp_path_factory.mktemp("sqlite") / "sqlite.img"
    proc = unicore("build", str(ROOT / "examples" / "sqlite"), "-o", str(out),
                   "--build-dir", str(out.parent / "build"), "--target", target)
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode(errors="replace")[-3000:]
    return out


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """Debian's shell on a fresh database: its output, and the rows it stored."""
    home = tmp_path_factory.mktemp("home")  # an empty HOME: no ~/.sqliterc, no warning
    db = home / "db.sqlite"
    run = subprocess.run(["sqlite3", str(db)], input=SQL.read_bytes(), capture_output=True,
                         env={"PATH": os.environ["PATH"], "HOME": str(home)}, timeout=300)
    assert run.returncode == 0, run.stderr
    return run.stdout, host_rows(db)


def host_rows(db: Path) -> str:
    proc = subprocess.run(["sqlite3", str(db), ROWS], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_database_on_host_volume(image: Path, debian: tuple[bytes, str], tmp_path: Path, target: str) -> None:
    run = unicore("run", "-e", "HOME=/", "-v", f"{tmp_path}:/data", str(image), "--",
                  "/data/db.sqlite", stdin=SQL.read_bytes())
    assert (run.returncode, run.stdout) == (0, debian[0])
    assert host_rows(tmp_path / "db.sqlite") == debian[1]
    assert debian[1].startswith("10000|")
    assert not (tmp_path / "db.sqlite-journal").exists()


def test_database_in_ramfs(image: Path, debian: tuple[bytes, str]) -> None:
    run = unicore("run", "-e", "HOME=/", str(image), "--", "/db.sqlite", stdin=SQL.read_bytes())
    assert (run.returncode, run.stdout) == (0, debian[0])
