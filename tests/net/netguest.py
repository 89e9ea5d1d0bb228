"""Helpers for the net tests (imported as `netguest`): build the guest test program with
`unicore build`, run it with `unicore run -p ...` as a child process of its own, read its stdout
line by line, and stop it (and so its QEMU: the runner ties the guest to itself) on exit, a
failure or a timeout included."""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"
GUEST_HOST = "10.0.2.2"  # the host as QEMU's user network shows it to the guest


def build(tmp_path: Path, name: str = "nettool") -> tuple[Path, str]:
    image = tmp_path / f"{name}.img"
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(PROGRAMS / f"{name}.c"), "-o", str(image),
                           "--build-dir", str(tmp_path / name), "--explain"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return image, proc.stdout


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Guest:
    """`unicore run IMAGE -p ... -- ARGS` in the background; lines of its stdout in a queue."""

    def __init__(self, image: Path, args: list[str], ports: list[str] = (), timeout: float = 240):
        cmd = [sys.executable, "-m", "unicore", "run", str(image), "--accel", "tcg", "--timeout", str(timeout)]
        for p in ports:
            cmd += ["-p", p]
        self.proc = subprocess.Popen([*self.command(cmd), "--", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.lines: queue.Queue = queue.Queue()
        self.stderr = b""
        threading.Thread(target=self._read, daemon=True).start()

    def command(self, cmd: list[str]) -> list[str]:
        """The runner's command before `--` (a subclass adds its own options)."""
        return cmd

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout: float = 120) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output from the guest within {timeout} s") from None
        if line is None:
            raise AssertionError(f"guest ended (status {self.proc.wait()}): {self.proc.stderr.read().decode()[-2000:]}")
        return line

    def wait_listening(self, timeout: float = 120) -> None:
        line = self.line(timeout)
        assert line.startswith("listening "), line

    def wait(self, timeout: float = 120) -> int:
        return self.proc.wait(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the runner stops its QEMU and exits
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def connect(port: int, timeout: float = 60) -> socket.socket:
    """Connect to a forwarded port (QEMU accepts it and connects on to the guest)."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def http_get(port: int, path: str, timeout: float = 60) -> bytes:
    """One HTTP/1.0 request to 127.0.0.1:port; the whole reply. Retries while the server
    starts (QEMU's forward accepts at once and then closes while nothing listens in the guest)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            # short attempts: a connection QEMU took while the guest was not up yet may never answer
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
                reply = b"".join(iter(lambda: s.recv(65536), b""))
            if reply:
                return reply
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no HTTP reply from port {port} within {timeout} s")
        time.sleep(0.2)


def comparable(reply: bytes, dated=("date", "last-modified", "expires", "etag")) -> tuple:
    """An HTTP reply as (status line, headers without the dated ones, body)."""
    head, _, body = reply.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = sorted(line for line in lines if line.split(":", 1)[0].strip().lower() not in dated)
    return status, headers, body
