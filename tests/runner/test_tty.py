"""The user's terminal lent to the guest (runner/tty.py, pool/lib/tty): on a terminal the
program's isatty, window size and tcgetattr answer as on Linux and its raw mode reaches the
host's terminal (one key arrives without Enter), which is restored afterwards; on pipes nothing
is a terminal."""

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from unicore.runner import run_image
from unicore.runner.console import HEADER, SETTINGS, Demux

HERE = Path(__file__).resolve().parent
needs_qemu = pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="needs QEMU")


@pytest.fixture(scope="module")
def tty_image(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tty") / "ttyprog.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(HERE / "ttyprog.c"), "-o", str(out),
                           "--build-dir", str(out.parent / "build")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _read_until(fd: int, want: bytes, deadline: float) -> bytes:
    got = b""
    while want not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        chunk = os.read(fd, 4096) if ready else b""
        if ready and not chunk:
            break
        got += chunk
    return got


def _lflag(fd: int) -> tuple[bool, bool]:
    lflag = termios.tcgetattr(fd)[3]
    return bool(lflag & termios.ICANON), bool(lflag & termios.ECHO)


@needs_qemu
def test_program_on_a_terminal_sees_one_and_its_raw_mode_reaches_the_host(tty_image):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    run = subprocess.Popen([sys.executable, "-m", "unicore", "run", "--accel", "tcg", "--timeout", "120",
                            str(tty_image)], stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    try:
        got = _read_until(master, b"raw\r\n", time.monotonic() + 120)
        assert got == b"isatty 1 1 0 /dev/tty 1\r\nwindow 30x100\r\ncanonical 1 echo 1\r\nraw\r\n"
        assert _lflag(slave) == (False, False)  # the guest's tcsetattr, applied to the host's terminal
        os.write(master, b"x")  # no Enter: only a raw-mode terminal hands it over
        assert _read_until(master, b"key x\r\n", time.monotonic() + 60) == b"key x\r\n"
        assert run.wait(timeout=60) == 0
        assert _lflag(slave) == (True, True)  # restored
    finally:
        run.kill()
        run.wait()
        os.close(master)
        os.close(slave)


@needs_qemu
def test_program_on_pipes_sees_no_terminal(tty_image):
    r = run_image(tty_image, stdin_bytes=b"", accel="tcg", timeout=120)
    assert (r.stdout, r.stderr, r.exit_status) == (b"isatty 0 0 0 /dev/tty 0\n", b"", 0)


def test_settings_frame_split_across_reads_is_applied_whole():
    """The runner's demultiplexer gives a terminal-settings frame to the terminal in one piece,
    and never to the program's streams."""
    payload = bytes(range(36))
    wire = HEADER.pack(len(payload), SETTINGS) + payload + HEADER.pack(2, 1) + b"ok"
    seen, streams = [], []
    demux = Demux(lambda fd, chunk: streams.append((fd, chunk)), lambda: None, seen.append)
    for i in range(0, len(wire), 5):
        demux.feed(wire[i:i + 5])
    assert seen == [payload]
    assert b"".join(c for fd, c in streams if fd == 1) == b"ok" and {fd for fd, _ in streams} == {1}


@needs_qemu
@pytest.mark.slow
def test_sqlite3_on_a_terminal_prompts_and_edits_lines(tmp_path):
    """Debian's sqlite3 built as a user builds it: on a terminal it greets and prompts as it does
    natively, readline echoes the typed line (the host terminal in the raw mode it asked for),
    and the answer comes before the next prompt."""
    if not Path("/usr/bin/sqlite3").exists():
        pytest.skip("Debian's sqlite3 is not installed")
    image = tmp_path / "sqlite3.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", "--binary", "/usr/bin/sqlite3", "-o", str(image),
                           "--build-dir", str(tmp_path / "build")], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    master, slave = pty.openpty()
    run = subprocess.Popen([sys.executable, "-m", "unicore", "run", "--accel", "tcg", "--timeout", "120", str(image)],
                           stdin=slave, stdout=slave, stderr=subprocess.DEVNULL)
    try:
        greeting = _read_until(master, b"sqlite> ", time.monotonic() + 120)
        assert greeting.startswith(b"SQLite version ") and greeting.endswith(b"\r\nsqlite> ")
        os.write(master, b"select 6*7;\r")
        assert _read_until(master, b"sqlite> ", time.monotonic() + 60) == b"select 6*7;\r\n42\r\nsqlite> "
        os.write(master, b".quit\r")
        assert run.wait(timeout=60) == 0
    finally:
        run.kill()
        run.wait()
        os.close(master)
        os.close(slave)
