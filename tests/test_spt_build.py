"""The platform as a build axis (docs/spt.md): `--target all` or a list emits one image per
target, each named by it, and the SQLite shell (examples/sqlite, and Debian's unmodified /usr/bin/sqlite3)
prints on spt byte for byte what Debian's sqlite3 prints natively, and `unicore verify` agrees."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "examples" / "sqlite" / "test.sql"


def unicore(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], input=stdin, capture_output=True, timeout=1800)


def test_target_all_is_every_target():
    from unicore.controller.plan import TARGETS, parse_targets
    assert parse_targets("all") == list(TARGETS) and "spt/x86_64" in TARGETS and TARGETS[0] == "qemu/x86_64"
    assert parse_targets("spt/x86_64, qemu/x86_64") == ["spt/x86_64", "qemu/x86_64"]


def test_a_target_list_builds_one_image_per_target_and_each_runs(tmp_path):
    out = tmp_path / "hello.img"
    build = unicore("build", str(ROOT / "examples" / "hello" / "hello.c"), "--target", "qemu/x86_64,spt/x86_64",
                    "-o", str(out),
                    "--build-dir", str(tmp_path / "build"), "--explain")
    assert build.returncode == 0, build.stderr.decode()
    text = build.stdout.decode()
    assert "plan for qemu/x86_64:" in text and "plan for spt/x86_64:" in text
    assert "plat-spt" in text and "arch-x86_64-linux" in text
    for target in ("qemu-x86_64", "spt-x86_64"):
        image = tmp_path / f"hello.{target}.img"
        run = unicore("run", "--accel", "tcg", "--timeout", "60", str(image), "--", "axis")
        assert (run.returncode, run.stdout) == (0, b"Hello, axis!\n"), (target, run.stderr)
    assert sorted(p.name for p in tmp_path.glob("*.img")) == ["hello.qemu-x86_64.img", "hello.spt-x86_64.img"]


def test_unknown_target_in_a_list_is_one_line(tmp_path):
    r = unicore("build", str(ROOT / "examples" / "hello" / "hello.c"), "--target", "spt/x86_64,xen/x86_64")
    assert r.returncode == 2 and r.stderr.decode().strip().splitlines()[-1] == (
        "unicore: unknown target 'xen/x86_64'; valid targets: qemu/x86_64, qemu/arm64, spt/x86_64")


@pytest.fixture(scope="module")
def debian_output(tmp_path_factory) -> bytes:
    if not shutil.which("sqlite3"):
        pytest.skip("Debian's sqlite3 is not installed")
    home = tmp_path_factory.mktemp("home")  # no ~/.sqliterc
    run = subprocess.run(["sqlite3"], input=SQL.read_bytes(), capture_output=True,
                         env={"PATH": os.environ["PATH"], "HOME": str(home)}, timeout=300)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("how", ["example", "binary"])
def test_sqlite_on_spt_prints_what_debian_prints(tmp_path, debian_output, how):
    out = tmp_path / "sqlite.img"
    what = [str(ROOT / "examples" / "sqlite")] if how == "example" else ["--binary", "/usr/bin/sqlite3"]
    build = unicore("build", *what, "--target", "spt/x86_64", "-o", str(out), "--build-dir", str(tmp_path / "b"))
    assert build.returncode == 0, build.stderr.decode()[-2000:]
    if how == "example":  # its `with = ["9pfs"]` (host volumes) is hostfs on spt
        assert "left out" not in (build.stdout + build.stderr).decode()
        libs = [lib["name"] for lib in json.loads(Path(f"{out}.plan.json").read_text())["libraries"]]
        assert "hostfs" in libs and "9pfs" not in libs
    run = unicore("run", "-e", "HOME=/", str(out), stdin=SQL.read_bytes())
    assert (run.returncode, run.stdout) == (0, debian_output)
    assert run.stderr.decode() == "unicore: platform spt (a sandboxed process, docs/spt.md)\n"
    verify = unicore("verify", str(out), "-e", "HOME=/", "--stdin", str(SQL))  # against the program it was built from
    assert verify.returncode == 0 and verify.stdout.decode().startswith("same behaviour:"), verify.stdout


@pytest.mark.parametrize("name, status", [("forkpipe", 3), ("cow", 0)])
def test_processes_on_spt_match_native(tmp_path, name, status):
    """fork, pipes, waitpid, kill and copy-on-write (lib/proc) on spt: each address space's
    pages are mirrored into the one host process on a switch (docs/spt.md)."""
    src = ROOT / "tests" / "proc" / "programs" / f"{name}.c"
    image = tmp_path / f"{name}.img"
    build = unicore("build", str(src), "--target", "spt/x86_64", "-o", str(image), "--build-dir", str(tmp_path / "b"))
    assert build.returncode == 0, build.stderr.decode()[-2000:]
    exe = tmp_path / f"{name}-native"
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", str(exe), str(src)], check=True)
    native = subprocess.run([str(exe)], capture_output=True, timeout=60)
    run = unicore("run", "-m", "128", "--timeout", "60", str(image))
    assert (run.returncode, run.stdout) == (native.returncode, native.stdout)
    assert run.returncode == status
