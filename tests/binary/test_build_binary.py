"""End to end through the CLI: `unicore build --binary` (analysis, rootfs, plan with exec,
image) then `unicore run`, for Debian's /bin/true and /usr/bin/sqlite3 on every target (on
qemu/arm64 their arm64 builds from a sysroot, `--sysroot`, analysed and compared under
qemu-aarch64 user mode: bbuild.debian); the images' handler counts show the specialisation
(true < sqlite3 < every syscall the pool provides on the architecture)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bbuild import debian, reference
from targets import arch_of

from unicore import syscalls
from unicore.pool.manifest import load_pool

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "sqlite" / "demo.sql"


def unicore(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], input=stdin, capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def images(tmp_path_factory, target) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("build-binary")
    scenario = out / "demo.json"
    scenario.write_text(json.dumps({"schema": 1, "stdin": DEMO.read_text(), "env": {"HOME": "/root"}}))
    built = {}
    for name, path, extra in [("true", "/bin/true", []), ("sqlite3", "/usr/bin/sqlite3", ["--scenario", str(scenario)])]:
        prog = debian(target, path)
        sysroot = ["--sysroot", str(prog.sysroot)] if prog.sysroot else []
        image = out / f"{name}.img"
        proc = unicore("build", "--binary", str(prog.host), *sysroot, "--target", target, "-o", str(image),
                       "--build-dir", str(out / name), *extra)
        assert proc.returncode == 0, (proc.stdout + proc.stderr).decode()
        built[name] = image
    return built


def handlers(image: Path) -> set[str]:
    return set(json.loads(Path(str(image) + ".plan.json").read_text())["syscalls"])


def test_sqlite3_binary_image_runs_the_demo_like_native(images, target):
    script = DEMO.read_bytes()
    guest = unicore("run", "--accel", "tcg", "-e", "HOME=/root", str(images["sqlite3"]), stdin=script)
    assert (guest.stdout, guest.returncode) == reference(debian(target, "/usr/bin/sqlite3"), [], {"HOME": "/root"}, script)
    assert b"3.40.1   1002\n" in guest.stdout


def test_true_binary_image_exits_0(images, target):
    assert reference(debian(target, "/bin/true"), [], {}) == (b"", 0)
    proc = unicore("run", "--accel", "tcg", str(images["true"]))
    assert (proc.stdout, proc.returncode) == (b"", 0)


def test_specialisation_true_smaller_than_sqlite3_smaller_than_pool(images, target):
    known = syscalls.by_name(arch_of(target))
    pool = {s for lib in load_pool().values() for s in lib.provides_syscalls if s in known}
    true, sqlite3 = handlers(images["true"]), handlers(images["sqlite3"])
    assert true < sqlite3 < pool, (len(true), len(sqlite3), len(pool))


def libraries(image: Path) -> set[str]:
    return {lib["name"] for lib in json.loads(Path(str(image) + ".plan.json").read_text())["libraries"]}


def test_binaries_whose_runs_make_no_socket_or_process_get_neither_library(images):
    """glibc reaches socket, fork and execve from NSS, syslog and system() in every program;
    true's and sqlite3's runs make none of them, so neither image has the network stack or
    processes (pipeline.py: reachable-only calls)."""
    for name in ("true", "sqlite3"):
        assert not {"net", "proc"} & libraries(images[name]), name
        assert not {"socket", "connect", "fork", "execve"} & handlers(images[name]), name
