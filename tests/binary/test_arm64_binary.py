"""`unicore build --binary` of an unmodified arm64 Debian executable: Debian's arm64 sqlite3 and
its libraries unpacked into a sysroot (program/sysroot.py), the closure, ld.so and rootfs taken
from that sysroot, the image built for qemu/arm64 and booted under TCG. The dynamic
analysis runs it under qemu-aarch64 -strace. The output of examples/sqlite's scripts is byte-equal to the same binary's under qemu-aarch64 user mode
(Debian qemu-user, `-L SYSROOT`). docs/arm64.md."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unicore.program.sysroot import debian_sysroot

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [ROOT / "examples/sqlite/test.sql", ROOT / "examples/sqlite/demo.sql"]


def unicore(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], input=stdin,
                          capture_output=True, timeout=900)


@pytest.fixture(scope="module")
def sysroot() -> Path:
    return debian_sysroot(["sqlite3"], "arm64")


@pytest.fixture(scope="module")
def image(sysroot: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("arm64-sqlite") / "sqlite3.img"
    proc = unicore("build", "--binary", str(sysroot / "usr/bin/sqlite3"), "--sysroot", str(sysroot),
                   "--target", "qemu/arm64", "-o", str(out), "--build-dir", str(out.parent / "build"))
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode(errors="replace")[-3000:]
    return out


def user_mode(sysroot: Path, script: Path, home: Path) -> bytes:
    """The same binary under qemu-aarch64 user mode, with an empty HOME (no ~/.sqliterc)."""
    run = subprocess.run(["qemu-aarch64", "-L", str(sysroot), str(sysroot / "usr/bin/sqlite3"), str(home / "db.sqlite")],
                         input=script.read_bytes(), capture_output=True, timeout=300,
                         env={"PATH": os.environ["PATH"], "HOME": str(home)})
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_rootfs_from_the_sysroot(image: Path, sysroot: Path) -> None:
    """The guest's paths are the sysroot's (the arm64 loader at its PT_INTERP path), every file
    comes from the sysroot, and the image is an arm64 one."""
    groups = json.loads((image.parent / "build/rootfs.json").read_text())
    text = json.dumps(groups)
    for guest in ("/usr/bin/sqlite3", "/lib/ld-linux-aarch64.so.1", "/lib/aarch64-linux-gnu/libc.so.6",
                  "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0"):
        assert f'"{guest}"' in text, guest
    assert "x86_64-linux-gnu" not in text
    traced = next(g for g in groups["groups"] if g["name"] == "traced")  # the user-mode run's file facts
    assert {"/etc/passwd", "/etc/nsswitch.conf"} <= {f["path"] for f in traced["files"]}
    assert "/etc/ld.so.cache" not in text  # the host's, of another architecture: not taken
    # the default file policy `package` reads the sysroot's package database (program/sysroot.py)
    assert groups["policy"] == "package"
    by_name = {g["name"]: g["files"] for g in groups["groups"]}
    assert by_name["package libsqlite3-0"] == [{"path": "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6",
                                               "why": "runtime file of libsqlite3-0"}]
    assert {"path": "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0", "why": "shared library libsqlite3.so.0",
            "symlink": "libsqlite3.so.0.8.6"} in by_name["program"]  # a link, as in the sysroot: one copy
    plan = json.loads((image.parent / "build/plan.json").read_text())
    assert plan["target"] == {"plat": "qemu", "arch": "arm64"} and plan["program"]["guest_path"] == "/usr/bin/sqlite3"


def test_dynamic_analysis_under_user_mode(image: Path) -> None:
    """The dynamic half ran the binary under qemu-aarch64 -strace; both halves find ld.so's
    set_tid_address (the static half in the arm64 loader's stripped __tls_init_tp, whose FDE
    start was once split one byte in, callgraph.Regions)."""
    report = json.loads((image.parent / "build/report.json").read_text())
    dynamic = report["dynamic"]
    assert dynamic["tracer"].startswith("qemu-aarch64 -strace -L ")
    assert [(r["scenario"], r["argv"], r["exit_status"]) for r in dynamic["runs"]] == [
        ("default", ["/usr/bin/sqlite3"], 0)]
    assert {"openat", "mmap", "mprotect", "set_tid_address", "exit_group"} <= set(dynamic["syscalls"])
    assert "set_tid_address" in report["static"]["syscalls"]
    plan = json.loads((image.parent / "build/plan.json").read_text())
    assert "set_tid_address" in plan["syscalls"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_sqlite_like_user_mode(image: Path, sysroot: Path, script: Path, tmp_path: Path) -> None:
    expected = user_mode(sysroot, script, tmp_path)
    run = unicore("run", "-e", "HOME=/", str(image), "--", "/db.sqlite", stdin=script.read_bytes())
    assert (run.returncode, run.stdout) == (0, expected), run.stderr.decode(errors="replace")[-2000:]
    assert len(expected) > 100


def test_binary_outside_sysroot(sysroot: Path, tmp_path: Path) -> None:
    proc = unicore("build", "--binary", str(sysroot / "usr/bin/sqlite3"), "--sysroot", str(tmp_path),
                   "--target", "qemu/arm64", "-o", str(tmp_path / "x.img"))
    assert proc.returncode != 0
    assert proc.stderr.decode().strip().splitlines()[-1].endswith(f"is not inside --sysroot {tmp_path}")


def test_analyze_with_sysroot_stands_alone(sysroot: Path, tmp_path: Path) -> None:
    """`unicore analyze --sysroot`: both halves for the arm64 binary, the run under qemu-aarch64
    with the program's arguments, and its file facts (guest paths) like the strace run's."""
    out = tmp_path / "r.json"
    proc = unicore("analyze", str(sysroot / "usr/bin/sqlite3"), "--sysroot", str(sysroot), "--json", str(out),
                   "--", "-version")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    report = json.loads(out.read_text())
    assert report["program"]["arch"] == "aarch64" and "set_tid_address" in report["static"]["syscalls"]
    assert [(r["argv"], r["exit_status"]) for r in report["dynamic"]["runs"]] == [(["/usr/bin/sqlite3", "-version"], 0)]
    opened = {f["path"]: f for f in report["dynamic"]["files"]}
    assert opened["/usr/lib/aarch64-linux-gnu/libsqlite3.so.0"]["exists"] and \
        opened["/usr/lib/aarch64-linux-gnu/libsqlite3.so.0"]["flags"] == ["O_CLOEXEC", "O_RDONLY"]
    assert opened["/lib/aarch64-linux-gnu/libsqlite3.so.0"]["errors"] == ["ENOENT"]  # searched there first
    assert not opened["/lib/aarch64-linux-gnu/libsqlite3.so.0"]["exists"]
    assert {"/usr/lib/aarch64-linux-gnu/libsqlite3.so.0", "/lib/aarch64-linux-gnu/libc.so.6"} <= set(report["needs"]["files"])
    outside = unicore("analyze", "/bin/true", "--sysroot", str(sysroot))
    assert (outside.returncode, outside.stderr.decode()) == (2, f"unicore: /bin/true is not inside --sysroot {sysroot}\n")
