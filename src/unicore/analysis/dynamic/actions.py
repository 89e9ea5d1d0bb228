"""Runs a scenario's commands against the traced program: shell commands and TCP exchanges.

Each command gets what is left of the run's deadline; a TCP exchange first retries connecting
(every 50 ms) until the program listens. Results are JSON-ready dicts, never exceptions, so a
failing command is reported with the run instead of aborting the analysis.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from unicore.analysis.dynamic.scenario import Command

_RETRY_S = 0.05
_SHOWN = 200  # characters of output kept in the report


def run_command(cmd: Command, port: int | None, cwd: Path, env: dict[str, str], deadline: float) -> dict:
    """Run one command; returns {"command", "ok", "detail"}."""
    if cmd.shell is not None:
        ok, detail = _shell(fill_port(cmd.shell, port), cwd, env, deadline)
    else:
        ok, detail = _tcp(cmd, int(fill_port(cmd.tcp or "", port)), port, deadline)
    return {"command": fill_port(cmd.describe(), port), "ok": ok, "detail": detail}


def fill_port(text: str, port: int | None) -> str:
    """Substitute the scenario's `{port}` placeholder."""
    return text.replace("{port}", str(port)) if port is not None else text


def _shell(command: str, cwd: Path, env: dict[str, str], deadline: float) -> tuple[bool, str]:
    proc = subprocess.Popen(["sh", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        return False, "timed out"
    text = out.decode(errors="replace")[-_SHOWN:]
    return proc.returncode == 0, f"exit {proc.returncode}: {text}".rstrip()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tcp(cmd: Command, port: int, scenario_port: int | None, deadline: float) -> tuple[bool, str]:
    conn = _connect(cmd.host, port, deadline)
    if conn is None:
        return False, f"could not connect to {cmd.host}:{port} before the deadline"
    with conn:
        if cmd.send:
            conn.sendall(fill_port(cmd.send, scenario_port).encode())
        if cmd.expect is None:
            return True, "sent"
        expect = fill_port(cmd.expect, scenario_port)
        got = _receive_until(conn, expect.encode(), deadline).decode(errors="replace")
    ok = expect in got
    return ok, ("received: " if ok else f"expected {expect!r}, received: ") + repr(got[-_SHOWN:])


def _connect(host: str, port: int, deadline: float) -> socket.socket | None:
    """Connect, retrying while the program is not listening yet."""
    while time.monotonic() < deadline:
        try:
            return socket.create_connection((host, port), timeout=max(deadline - time.monotonic(), 0.01))
        except OSError:
            time.sleep(_RETRY_S)
    return None


def _receive_until(conn: socket.socket, expect: bytes, deadline: float) -> bytes:
    """Read until `expect` arrives, the peer closes, or the deadline passes."""
    got = b""
    while expect not in got:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        conn.settimeout(remaining)
        try:
            chunk = conn.recv(4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (for scenarios with `port = 0`)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
