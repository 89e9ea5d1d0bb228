"""Finding 1 of issue 10: the guest lives and dies with `unicore run`.

`unicore run` is killed with SIGTERM, SIGINT and SIGKILL while its guest appends to a file on a
volume: afterwards no QEMU of that run is alive, the file stops growing and no run directory is
left in TMPDIR; SIGTERM and SIGINT are forwarded (exit 128+signal, one line)."""

import os
import signal
import time

import pytest

from trust_helpers import live_processes, qemu_of, start_run, wait_for_line

pytestmark = pytest.mark.slow


def settled_size(path, wait: float = 0.6) -> int:
    before = path.stat().st_size
    time.sleep(wait)
    return before if path.stat().st_size == before else -1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
@pytest.mark.parametrize("where", ["volume", "no volume"])
def test_killing_the_runner_stops_the_guest(trust_image, open_tmp, sig, where):
    tmpdir, volume = open_tmp / "tmp", open_tmp / "vol"
    tmpdir.mkdir(), volume.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    args = ["-v", f"{volume}:/data", str(trust_image), "--", "tick", "/data"] if where == "volume" \
        else [str(trust_image), "--", "spin"]
    proc = start_run(*args, env=env)
    try:
        wait_for_line(proc, b"ticking" if where == "volume" else b"spinning")
        qemu = qemu_of(proc.pid)
        deadline = time.monotonic() + 30
        while where == "volume" and not (volume / "ticks").stat().st_size and time.monotonic() < deadline:
            time.sleep(0.05)  # the guest is writing to the host
        assert [p.name for p in tmpdir.iterdir()][0].startswith("unicore-run-")
        proc.send_signal(sig)
        status = proc.wait(30)
        stderr = proc.stderr.read().decode()
    finally:
        proc.kill()
        proc.wait()
    if sig == signal.SIGKILL:
        assert status == -signal.SIGKILL
        time.sleep(0.3)  # the parent-death signal and the cleaner act as the runner dies
    else:
        assert status == 128 + sig
        assert stderr.splitlines()[-1] == f"unicore: stopped by {sig.name}: guest stopped (exit {128 + sig})"
    assert live_processes(str(open_tmp)) == []  # the volume, the run directory
    assert not os.path.exists(f"/proc/{qemu}") or open(f"/proc/{qemu}/stat").read().split(") ")[1][0] == "Z"
    assert list(tmpdir.iterdir()) == []
    if where == "volume":
        assert settled_size(volume / "ticks") > 0  # written while it ran, and no longer
