"""Explored SQLite images (slow: builds examples/sqlite from Debian's source package unless cached,
builds each image twice, boots QEMU under TCG). Both the shell built from source and Debian's
/usr/bin/sqlite3 (`build --binary`), explored with the demo (examples/sqlite/explore.toml), print
byte for byte what the same program prints natively, on the demo and on SQL the exploration never
ran (explore/unseen.sql); the explored image has fewer handlers than the one built without it."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not shutil.which("strace") or not shutil.which("sqlite3"),
                                                   reason="needs strace and Debian's sqlite3")]
ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "sqlite" / "explore.toml"
INPUTS = {"demo": ROOT / "examples" / "sqlite" / "demo.sql", "unseen": Path(__file__).parent / "explore" / "unseen.sql"}


def unicore(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], input=stdin, capture_output=True,
                          timeout=1800, cwd=cwd)


def build(work: Path, *what: str) -> dict:
    """`unicore build ... --explore`: the explored image and plan, and the unexplored ones beside."""
    proc = unicore("build", *what, "--explore", "--scenario", str(SCENARIO), "--explain",
                   "-o", str(work / "explored.img"), "--build-dir", str(work / "build"), cwd=work)
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode(errors="replace")[-3000:]
    plan = json.loads((work / "explored.img.plan.json").read_text())
    return {"image": work / "explored.img", "plan": plan, "out": proc.stdout.decode(), "err": proc.stderr.decode(),
            "unexplored": json.loads((work / "build" / "unexplored" / "image.img.plan.json").read_text()),
            "unexplored_image": work / "build" / "unexplored" / "image.img"}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> dict:
    return build(tmp_path_factory.mktemp("explore-sqlite-src"), str(ROOT / "examples" / "sqlite"))


@pytest.fixture(scope="module")
def binary(tmp_path_factory) -> dict:
    return build(tmp_path_factory.mktemp("explore-sqlite-bin"), "--binary", "/usr/bin/sqlite3",
                 "--scenario", str(ROOT / "examples" / "scenarios" / "sqlite3.toml"))


def native(program: str, sql: bytes, tmp: Path) -> subprocess.CompletedProcess:
    """The same program on the host, on a fresh database file, without a ~/.sqliterc."""
    home = tmp / "home"
    home.mkdir()
    return subprocess.run([program, str(home / "db.sqlite")], input=sql, capture_output=True, timeout=120,
                          env={"PATH": os.environ["PATH"], "HOME": str(home)})


def check_shrank(built: dict) -> None:
    plan, full = built["plan"], built["unexplored"]
    report = json.loads((built["image"].parent / "build" / "report.json").read_text())
    fallbacks = set(report["explore"]["confirm"]["new_syscalls"])  # reached only with the stubs in place
    assert len(plan["syscalls"]) < len(full["syscalls"])
    # what exploration removed is exactly the stubbed and faked calls the unexplored image had a
    # handler for (not those no library provides, nor the libc-only socket and process calls no
    # run made: pipeline.py leaves those without a handler in both)
    chosen = set(plan["stubbed"]) | set(plan["faked"])
    assert set(full["syscalls"]) - set(plan["syscalls"]) == chosen & set(full["syscalls"])
    assert set(plan["syscalls"]) - set(full["syscalls"]) <= fallbacks
    assert built["image"].stat().st_size < built["unexplored_image"].stat().st_size
    line = re.search(r"exploration: image (\d+) -> (\d+) bytes, (\d+) -> (\d+) syscall handlers", built["err"])
    assert line and tuple(map(int, line.groups())) == (built["unexplored_image"].stat().st_size,
                                                       built["image"].stat().st_size,
                                                       len(full["syscalls"]), len(plan["syscalls"]))
    for name, why in plan["stubbed"].items():
        assert why.startswith("stubbed: scenario")
        assert re.search(rf"^  {name} +{re.escape(why)}$", built["out"], re.M)


@pytest.mark.parametrize("sql", sorted(INPUTS))
def test_source_image_explored_prints_native_output(source, sql, tmp_path):
    script = INPUTS[sql].read_bytes()
    host = native(source["plan"]["program"]["path"], script, tmp_path)
    vol = tmp_path / "vol"
    vol.mkdir()
    guest = unicore("run", "--accel", "tcg", "-e", "HOME=/", "-v", f"{vol}:/data", str(source["image"]), "--",
                    "/data/db.sqlite", stdin=script)
    assert host.returncode == 0 and host.stdout
    assert (guest.returncode, guest.stdout) == (host.returncode, host.stdout), guest.stderr.decode()[-2000:]


def test_source_image_explored_is_smaller(source):
    check_shrank(source)


@pytest.mark.parametrize("sql", sorted(INPUTS))
def test_binary_image_explored_prints_native_output(binary, sql, tmp_path):
    script = INPUTS[sql].read_bytes()
    host = native("/usr/bin/sqlite3", script, tmp_path)
    guest = unicore("run", "--accel", "tcg", "-e", "HOME=/", str(binary["image"]), "--", "/db.sqlite", stdin=script)
    assert host.returncode == 0 and host.stdout
    assert (guest.returncode, guest.stdout) == (host.returncode, host.stdout), guest.stderr.decode()[-2000:]


def test_binary_image_explored_is_smaller(binary):
    check_shrank(binary)
