"""Stress: 20 concurrent `unicore run` of one image and 5 concurrent writers on their own
volumes; every output exact, every volume's file exact, no process or run directory left."""

import os
import subprocess
import sys

import pytest

from trust_helpers import live_processes

pytestmark = pytest.mark.slow


def checksum(data: bytes) -> int:
    """trustprog's read-back checksum (unsigned long arithmetic)."""
    total = 0
    for b in data:
        total = (total * 31 + b) % (1 << 64)
    return total


def test_twenty_runs_and_five_writers_at_once(trust_image, open_tmp):
    tmpdir = open_tmp / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    base = [sys.executable, "-m", "unicore", "run", "--accel", "tcg", "--timeout", "300"]
    runs = {f"echo {i}": base + [str(trust_image), "--", "echo", f"run {i}", f"arg,{i}=x"] for i in range(20)}
    for i in range(5):
        (open_tmp / f"vol{i}").mkdir()
        runs[f"writer {i}"] = base + ["-v", f"{open_tmp / f'vol{i}'}:/data", str(trust_image),
                                      "--", "writer", "/data", f"w{i}", "500"]
    procs = {name: subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env) for name, cmd in runs.items()}
    results = {name: (p.communicate(timeout=600), p.returncode) for name, p in procs.items()}
    for i in range(20):
        (out, err), rc = results[f"echo {i}"]
        assert (rc, out) == (0, f"run {i}\narg,{i}=x\n".encode()), err
    for i in range(5):
        (out, err), rc = results[f"writer {i}"]
        expected = "".join(f"w{i} line {n}\n" for n in range(500))
        assert (rc, (open_tmp / f"vol{i}" / "out.txt").read_text()) == (0, expected), err
        assert out.decode() == f"writer w{i}: 500 lines, checksum {checksum(expected.encode())}\n"
    assert live_processes(str(tmpdir)) == [] and live_processes(str(open_tmp)) == []
    assert list(tmpdir.iterdir()) == []
