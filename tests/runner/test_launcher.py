"""Issue 19: the common `unicore run` becomes the C launcher (runner/launch.py, launcher.c).

The first run of an image writes its launch record and execs the launcher; a later run execs it
from the record before the CLI framework is imported. Either way the user gets what the Python
runner gave: the program's stdout and stderr apart, its exit status, 124 after --timeout, stdin
streamed, 128+signal when stopped, and no VMM or run directory left when the launcher is killed.
Run on QEMU x86_64 and arm64 and on spt (the tender under the same launcher)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trust_helpers import live_processes, wait_for_line

HERE = Path(__file__).resolve().parent
TARGETS = ["qemu/x86_64", "qemu/arm64", "spt/x86_64"]
SLOW_PATH_MODULES = ("argparse", "json", "pathlib", "subprocess", "selectors", "unicore.runner.run",
                     "unicore.commands", "unicore.controller", "rich", "elftools")


@pytest.fixture(scope="module", params=TARGETS, ids=lambda t: t.replace("/", "-"))
def image(request, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("launch") / "launchprog.img"
    out.parent.chmod(0o755)
    proc = subprocess.run([sys.executable, "-m", "unicore", "build", str(HERE / "launchprog.c"), "-o", str(out),
                           "--build-dir", str(out.parent / "build"), "--target", request.param],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def run(image: Path, *args: str, stdin: bytes = b"", env: dict | None = None,
        importtime: bool = False) -> subprocess.CompletedProcess:
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run([sys.executable, *flags, "-m", "unicore", "run", "--accel", "tcg", str(image), *args],
                          input=stdin, capture_output=True, timeout=120, env=env)


def imports(proc: subprocess.CompletedProcess) -> set[str]:
    return {line.split("|")[-1].strip() for line in proc.stderr.decode().splitlines() if line.startswith("import time:")}


def messages(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.decode().splitlines() if not line.startswith("import time:")]


def children(parent: int, names: tuple[bytes, ...]) -> list[int]:
    """Live children of `parent` whose program name contains one of `names`."""
    found = []
    for d in Path("/proc").iterdir():
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes().split(b"\0")[0]
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and any(n in cmd for n in names) and alive(int(d.name)):
            found.append(int(d.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_record_then_fast_path_give_the_same_run(image):
    first = run(image, "--", "exit", "7", importtime=True)
    second = run(image, "--", "exit", "7", importtime=True)
    for proc in (first, second):
        assert (proc.returncode, proc.stdout) == (7, b"exiting 7\n")
        assert messages(proc)[0].startswith(("unicore: accelerator tcg", "unicore: platform spt"))
        assert messages(proc)[-1] == "to stderr"
    assert "unicore.runner.run" in imports(first)  # the full CLI wrote the record
    assert "unicore.runner.launch" in imports(second)
    assert sorted(n for n in imports(second) if n.startswith(SLOW_PATH_MODULES)) == []


def test_a_request_the_record_does_not_cover_takes_the_full_cli(image):
    run(image, "--", "exit", "0")
    other_mem = run(image, "-m", "80", "--", "exit", "3", importtime=True)
    assert (other_mem.returncode, other_mem.stdout) == (3, b"exiting 3\n")
    assert "unicore.runner.run" in imports(other_mem)


def test_stdin_is_streamed_byte_for_byte(image):
    data = bytes(range(256)) * 4096 + b"end\n"  # 1 MiB, every byte value
    for _ in range(2):  # the record's first run, then the fast path
        proc = run(image, "--", "cat", stdin=data)
        assert (proc.returncode, proc.stdout) == (0, data)


def test_crash_and_timeout(image):
    for _ in range(2):
        crash = run(image, "--timeout", "60", "--", "crash")
        assert crash.returncode in (139, 128 + 31)  # a page fault (QEMU); spt's seccomp or SIGSEGV
        assert messages(crash)[-1].startswith("unicore: guest crashed (signal ")
        hang = run(image, "--timeout", "1.5", "--", "spin")
        assert (hang.returncode, hang.stdout) == (124, b"spinning\n")
        assert messages(hang)[-1] == "unicore: guest did not finish within 1.5 s: stopped (exit 124)"
    assert live_processes(str(image)) == []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_launcher_leaves_no_guest(image, open_tmp, sig):
    env = {**os.environ, "TMPDIR": str(open_tmp)}
    run(image, "--", "exit", "0", env=env)  # the record for this TMPDIR
    proc = subprocess.Popen([sys.executable, "-m", "unicore", "run", "--accel", "tcg", str(image), "--", "spin"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_for_line(proc, b"spinning")
        assert "unicore-launch-" in os.readlink(f"/proc/{proc.pid}/exe")  # no Python left in the tree
        guests = children(proc.pid, (b"qemu-system", b"unicore-spt"))
        assert len(guests) == 1  # the VMM, the launcher's own child
        proc.send_signal(sig)
        status = proc.wait(30)
        stderr = proc.stderr.read().decode()
    finally:
        proc.kill()
        proc.wait()
    if sig == signal.SIGKILL:
        assert status == -signal.SIGKILL
        time.sleep(0.3)  # the parent-death signal and the cleaner act as the launcher dies
    else:
        assert status == 128 + sig
        assert stderr.splitlines()[-1] == f"unicore: stopped by {sig.name}: guest stopped (exit {128 + sig})"
    assert [g for g in guests if alive(g)] == []
    assert list(open_tmp.iterdir()) == []  # no run directory left


def test_a_record_others_could_write_is_not_trusted(image):
    from unicore.runner import launch
    run(image, "--", "exit", "0")
    record = Path(launch.record_path(str(image)))
    assert launch.load_record(str(image), "tcg", None) is not None
    record.chmod(0o666)  # a shared cache: another user could have written it
    assert launch.load_record(str(image), "tcg", None) is None
    proc = run(image, "--", "exit", "4", importtime=True)  # the full CLI, which writes it afresh
    assert (proc.returncode, "unicore.runner.run" in imports(proc)) == (4, True)
    assert record.stat().st_mode & 0o077 == 0


def test_an_image_with_the_network_library_runs_from_its_record(tmp_path):
    """Its user network (devices and net.* kernel tokens) is in the record: no -p, no Python."""
    source = tmp_path / "sock.c"
    source.write_text('#include <stdio.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n'
                      'int main(void) { int s = socket(AF_INET, SOCK_DGRAM, 0);\n'
                      '  printf("socket %s\\n", s >= 0 ? "ok" : "failed"); return s >= 0 ? 0 : 1; }\n')
    image = tmp_path / "sock.img"
    built = subprocess.run([sys.executable, "-m", "unicore", "build", str(source), "-o", str(image),
                            "--build-dir", str(tmp_path / "build")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    first, second = run(image, importtime=True), run(image, importtime=True)
    for proc in (first, second):
        assert (proc.returncode, proc.stdout) == (0, b"socket ok\n"), proc.stderr
    from unicore.runner import launch
    rec = launch.load_record(str(image), "tcg", None)
    assert rec["token"] == ["net.ip=10.0.2.15/24", "net.gw=10.0.2.2", "net.dns=10.0.2.3"]
    assert "virtio-net-device,netdev=uknet" in rec["arg"]
    assert "unicore.runner.network" not in imports(second)
