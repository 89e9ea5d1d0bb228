"""Threaded Debian binaries as unikernels (`unicore build --binary`, glibc, dynamic): the output
of `xz -T2`, `pigz -p 4`, `sort --parallel=2` and a `python3` script with threading,
concurrent.futures, signal.alarm and setitimer is byte-identical to the native run's. The
inputs are big enough that each program really runs its threads (xz: several blocks; sort:
more lines than its per-thread minimum of 128 Ki)."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
PYTHON_SCRIPT = (Path(__file__).parent / "data" / "threads.py").read_text()


def unicore(*args: str, stdin=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], stdin=stdin, capture_output=True, timeout=timeout)


def words(path: Path, lines: int) -> Path:
    rng = random.Random(12)
    path.write_text("".join(f"{rng.randint(0, 10**9)} {rng.choice(['ab', 'cd', 'ef'])}\n" for _ in range(lines)))
    os.utime(path, (0, 0))  # the guest's stdin has mtime 0: gzip headers then agree
    return path


CASES = {  # name: (binary, args, input lines, env)
    "xz": ("/usr/bin/xz", ["-T2", "--block-size=131072", "-c"], 30000, {}),
    "pigz": ("/usr/bin/pigz", ["-p", "4", "-c"], 30000, {}),
    "sort": ("/usr/bin/sort", ["--parallel=2", "-n"], 140000, {"LC_ALL": "C"}),
    "python3": ("/usr/bin/python3.11", ["-c", PYTHON_SCRIPT], 0, {"LANG": "C.UTF-8"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_threaded_debian_binary_equals_native(tmp_path, name):
    binary, args, lines, env = CASES[name]
    data = words(tmp_path / "input.txt", lines)
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"schema": 1, "args": args, "env": env, "stdin_file": str(data)}))
    image = tmp_path / f"{name}.img"
    built = unicore("build", "--binary", binary, "--scenario", str(scenario), "-o", str(image),
                    "--build-dir", str(tmp_path / "build"))
    assert built.returncode == 0, built.stderr.decode()
    assert {"clone", "futex", "rt_sigaction"} <= set(json.loads(Path(f"{image}.plan.json").read_text())["syscalls"])
    env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
    with open(data, "rb") as stdin:
        guest = unicore("run", "--accel", "tcg", "-m", "256", "--timeout", "300", *env_args, str(image), "--", *args,
                        stdin=stdin)
    with open(data, "rb") as stdin:
        native = subprocess.run([binary, *args], stdin=stdin, capture_output=True, timeout=300,
                                env={**os.environ, **env})
    assert guest.returncode == native.returncode == 0, guest.stderr.decode()
    assert guest.stdout == native.stdout
    assert len(native.stdout) > 1000 or name == "python3"
