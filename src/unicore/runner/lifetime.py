"""The guest lives and dies with its supervisor: QEMU's process lifetime and the run directory.

- QEMU is started through util-linux's `setpriv` (it execs QEMU in the same process): the
  parent-death signal (SIGKILL) ties QEMU to the thread that started it, so even a SIGKILL of
  `unicore` stops the guest; `setpriv` also drops to the unprivileged identity (confine.py).
- QEMU gets its own process group: a terminal's Ctrl-C reaches `unicore`, which forwards it
  (SIGINT, SIGTERM, SIGHUP) to QEMU, waits for it to end, cleans up, then exits 128+signal.
- The run directory (control channel, stdin module, image copy) is removed on every path: by
  the context manager normally, and by a tiny cleaner process (`sh`, own session) that waits
  for `unicore` to close a pipe: when `unicore` dies without cleaning (SIGKILL), the cleaner
  kills QEMU's process group (closing the instant before the parent-death signal was armed)
  and removes the directory.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from unicore.errors import ToolMissingError

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE_S = 5.0
# Reads QEMU's pid, then waits for the supervisor's "done" line or for end of file (the supervisor
# died): then QEMU's group is killed and the run directory removed.
# The supervisor removes the directory itself on every path it lives through: "done" spares the
# cleaner its `rm` (a process start on every run's teardown).
CLEANER = 'read pid; read state; [ "$state" = done ] || { kill -KILL -- "-$pid" 2>/dev/null; rm -rf -- "$1"; }'


class Interrupted(BaseException):
    """A forwarded signal arrived while a guest ran (BaseException: no `except Exception` eats it)."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def signal_of(exc: BaseException) -> int:
    """The signal to stop QEMU with when `exc` interrupted the supervisor: the forwarded one,
    SIGINT for Ctrl-C without forwarding, SIGKILL for anything else (an error of ours)."""
    if isinstance(exc, Interrupted):
        return exc.signum
    return signal.SIGINT if isinstance(exc, KeyboardInterrupt) else signal.SIGKILL


@contextmanager
def forward_signals():
    """While active, SIGINT/SIGTERM/SIGHUP raise Interrupted in the main thread: the runner
    then stops QEMU with that signal, waits for it and removes its files (run_image's finally)."""
    def handler(signum, _frame):
        raise Interrupted(signum)
    old = {s: signal.signal(s, handler) for s in FORWARDED}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def setpriv_prefix(identity: tuple[int, int, tuple[int, ...]] | None) -> list[str]:
    """`setpriv` arguments arming the parent-death signal and, given (uid, gid, groups), dropping to them."""
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise ToolMissingError("setpriv not found: install Debian's util-linux")
    drop = []
    if identity is not None:
        uid, gid, groups = identity
        drop = [f"--reuid={uid}", f"--regid={gid}", "--no-new-privs",
                f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups"]
    return [setpriv, *drop, "--pdeathsig=KILL", "--"]


@contextmanager
def signals_held():
    """Forwarded signals wait (delivered on exit) while QEMU is being started or stopped, so a
    signal cannot fall between starting QEMU and supervising it, or interrupt its stopping."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def stop(proc: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    """End QEMU with `signum` if it still runs and wait for it (SIGKILL after a grace period)."""
    with signals_held():
        if proc.poll() is None:
            try:
                proc.send_signal(signum)
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.wait()


def launch(identity, fds: list[int]) -> tuple[list[str], dict]:
    """(command prefix, Popen keywords) for QEMU: setpriv with the parent-death signal and the
    identity (confine.py), its own process group, `fds` inherited (the volume leases: volumes.py;
    a tap device: network.py)."""
    return setpriv_prefix(identity.triple() if identity else None), {"process_group": 0, "pass_fds": tuple(fds)}


class RunDir:
    """A private temporary directory for one run, removed even if the supervisor is killed."""

    def __init__(self, owner: tuple[int, int] | None = None):
        self.path = Path(tempfile.mkdtemp(prefix="unicore-run-"))
        self.owner = owner
        if owner is not None:
            os.chown(self.path, *owner)  # QEMU, unprivileged, writes its control channel here
        self._pipe = None
        self._cleaner = None
        self._pid_sent = False
        try:
            self._start_cleaner()
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def _start_cleaner(self) -> None:
        read_end, self._pipe = os.pipe()
        try:
            self._cleaner = subprocess.Popen(["sh", "-c", CLEANER, "unicore-cleaner", str(self.path)],
                                             stdin=read_end, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, start_new_session=True)
        finally:
            os.close(read_end)

    def give(self, path: Path) -> Path:
        """Hand a file of the run directory to QEMU's identity (it may be unprivileged)."""
        if self.owner is not None:
            os.chown(path, *self.owner)
        return path

    def copy_in(self, image: Path) -> Path:
        """A copy of the image QEMU can read whatever the original's directories allow."""
        return self.give(Path(shutil.copyfile(image, self.path / "image")))

    def guest_started(self, pid: int) -> None:
        """Tell the cleaner QEMU's pid (= its process group) in case the supervisor dies."""
        os.write(self._pipe, f"{pid}\n".encode())
        self._pid_sent = True

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._pipe is not None:
            try:
                os.write(self._pipe, b"done\n" if self._pid_sent else b"none\ndone\n")
            except OSError:
                pass
            os.close(self._pipe)
            self._pipe = None
            self._cleaner.wait()

    def __enter__(self) -> "RunDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
