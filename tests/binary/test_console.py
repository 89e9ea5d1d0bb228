"""The console channel with unmodified Debian programs: stdout and stderr apart, stdin streamed
while the guest runs (a never-ending pipe, a terminal), and --debug naming a read that can never
be satisfied (docs/run.md, docs/design.md). On every target: Debian's arm64 head and sqlite3
(from a sysroot, bbuild.debian) on qemu/arm64."""

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bbuild import closure_entries, debian, reference

from unicore.image.rootfs import merge, write_cpio
from unicore.runner import run_image

pytestmark = pytest.mark.slow
PROGRAMS = ["/usr/bin/head", "/usr/bin/sqlite3"]
# What the runner says on stderr before the program's output: the accelerator QEMU uses, or the platform.
RUNNER_SAYS = {"qemu": "unicore: accelerator tcg (requested)\n", "spt": "unicore: platform spt (a sandboxed process, docs/spt.md)\n"}
SQLITE_HOME_WARNING = b"-- warning: cannot find home directory; cannot read ~/.sqliterc\n"


@pytest.fixture(scope="module")
def image(binary_workdir, make_binary_image, target):
    entries = [e for p in PROGRAMS for e in closure_entries(debian(target, p).host, debian(target, p).sysroot)]
    rootfs = binary_workdir / f"console-{target.replace('/', '-')}.cpio"
    write_cpio(merge(entries), rootfs)
    return make_binary_image("console", None, None, rootfs=rootfs, fs=True, name="/usr/bin/head", target=target)


def unicore_run(image: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "unicore.cli", "run", "--accel", "tcg", "--timeout", "120",
                             str(image), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_yes_piped_into_head_ends(image, target):
    """`yes | unicore run IMG -- head -3`: stdin is endless, the program reads three lines and
    exits, and so does the run (it used to read stdin to its end before booting)."""
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    run = unicore_run(image, "--argv0", "/usr/bin/head", "--", "-3", stdin=yes.stdout)
    yes.stdout.close()
    out, err = run.communicate(timeout=150)
    yes.wait(timeout=10)
    assert (out, run.returncode) == (b"y\ny\ny\n", 0)
    assert err.decode() == RUNNER_SAYS[target.split("/")[0]]


def test_sqlite3_warning_goes_to_stderr_only(image, target):
    """With no HOME (and no passwd entry) sqlite3 warns on stderr; stdout is the query's alone."""
    script = b"select 6*7;\n"
    r = run_image(image, [], argv0="/usr/bin/sqlite3", stdin_bytes=script, accel="tcg", timeout=120)
    assert (r.stdout, r.exit_status) == reference(debian(target, "/usr/bin/sqlite3"), [], {}, script) == (b"42\n", 0)
    assert (r.stderr, r.kernel) == (SQLITE_HOME_WARNING, b"")


def _read_until(fd: int, want: bytes, deadline: float) -> bytes:
    got = b""
    while want not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        got += chunk
    return got


def test_sqlite3_on_a_terminal_answers_each_line_as_it_is_typed(image):
    """stdin a terminal: each line reaches sqlite3 when typed, and its answer comes back before
    the next line exists; Ctrl-D (end of file) ends it."""
    master, slave = pty.openpty()
    run = unicore_run(image, "--argv0", "/usr/bin/sqlite3", "--", "-batch", stdin=slave)
    os.close(slave)
    try:
        deadline = time.monotonic() + 120
        os.write(master, b"create table t(x); insert into t values (20), (22);\n")
        os.write(master, b"select sum(x) from t;\n")
        assert _read_until(run.stdout.fileno(), b"42\n", deadline) == b"42\n"
        os.write(master, b"select count(*) from t;\n")
        assert _read_until(run.stdout.fileno(), b"2\n", deadline) == b"2\n"
        os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of file
        assert run.wait(timeout=60) == 0
    finally:
        run.kill()
        run.wait()
        os.close(master)
