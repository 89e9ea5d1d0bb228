"""run_image: boot an image, feed its stdin, stream its console, return its exit status.

Stdin given as bytes goes to the guest in memory, as the PVH module (QEMU -initrd, kernel flag
stdin=initrd); stdin given as a stream goes over COM1 once the guest starts reading (docs/run.md).

Exit status (docs/run.md): the program's own status; 128+signal after a guest crash (139 for a
page or protection fault, 134 for a kernel panic); EXIT_TIMEOUT (124) when --timeout killed QEMU;
EXIT_NO_STATUS (125) when QEMU ended without the guest reporting a status.
"""

import os
import re
import selectors
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from unicore.controller.planfile import load_plan, plan_of_image
from unicore.errors import BadInputError, UnicoreError
from unicore.runner import lifetime, volumes as vols
from unicore.runner.accel import choose_accel
from unicore.runner.confine import qemu_identity
from unicore.runner.qemu import kernel_cmdline, qemu_command, virtio_devices

EXIT_TIMEOUT = 124
EXIT_NO_STATUS = 125
EOF_FRAME = b"\xff\x00"
BOOT_LINE = re.compile(rb"unicore: boot (\d+) cycles, ([\d.]+) us")


@dataclass
class RunResult:
    stdout: bytes            # the console: program stdout and stderr, kernel messages
    exit_status: int
    accel: str
    crashed: bool = False
    timed_out: bool = False
    signal: int | None = None
    wall_s: float = 0.0      # QEMU start to exit
    boot_us: float | None = None  # with boottime: PVH entry to program entry
    qemu_stderr: str = ""
    qemu_user: str = ""      # the identity QEMU ran as, and why (confine.py)


def frame_stdin(data: bytes) -> bytes:
    """Host-to-guest framing: 0xFF doubled, end of file as 0xFF 0x00."""
    return data.replace(b"\xff", b"\xff\xff")


def _wait_for_reader(ctl_file: Path, proc: subprocess.Popen) -> bool:
    """Wait until the guest announces (COM2 "stdin") that it reads stdin; False if QEMU ended."""
    while proc.poll() is None:
        try:
            if b"stdin\n" in ctl_file.read_bytes():
                return True
        except OSError:
            pass
        time.sleep(0.002)
    return False


def _feed(pipe: BinaryIO, stdin: bytes | BinaryIO | None, ctl_file: Path, proc: subprocess.Popen) -> None:
    """Once the guest reads stdin, write it framed, then the EOF frame (docs/design.md); a guest
    that stops reading is not an error."""
    if not _wait_for_reader(ctl_file, proc):
        return
    try:
        if isinstance(stdin, (bytes, bytearray)):
            pipe.write(frame_stdin(bytes(stdin)))
        elif stdin is not None:
            while chunk := stdin.read1(65536) if hasattr(stdin, "read1") else stdin.read(65536):
                pipe.write(frame_stdin(chunk))
                pipe.flush()
        pipe.write(EOF_FRAME)
        pipe.flush()
        pipe.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _pump(proc: subprocess.Popen, deadline: float | None, on_output) -> tuple[bytes, bool]:
    """Collect QEMU's stdout until it exits or the deadline passes; (output, timed_out)."""
    out = bytearray()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while True:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        if wait == 0.0:
            return bytes(out), True
        if not sel.select(wait):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            return bytes(out), False
        out += chunk
        if on_output:
            on_output(chunk)


def _status(ctl: str) -> tuple[int | None, int | None]:
    """(exit status, crash signal) from the control channel's lines."""
    for line in ctl.splitlines():
        word, _, value = line.strip().partition(" ")
        # the guest writes this channel (the program too: it runs at CPL0): only exact forms count
        if word == "exit" and value.isdigit() and int(value) <= 255:
            return int(value), None
        if word == "crash" and value.isdigit() and 1 <= int(value) <= 64:
            return 128 + int(value), int(value)
    return None, None


def _stdin_module(tmp: Path, data: bytes) -> Path:
    """The file QEMU passes as the PVH module when the whole stdin is known (kernel flag stdin=initrd)."""
    path = tmp / "stdin"
    path.write_bytes(frame_stdin(bytes(data)) + EOF_FRAME)
    return path


def _spawn(cmd: list[str], stream: BinaryIO | None, ctl_file: Path, launch=([], {})) -> subprocess.Popen:
    """Start QEMU (under `launch`: lifetime.launch); a stdin stream (not in the module) is fed over COM1 by a thread."""
    prefix, options = launch
    try:
        proc = subprocess.Popen(prefix + cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **options)
    except OSError as exc:
        raise UnicoreError(f"cannot start QEMU: {exc}") from None
    if "stdin=initrd" in cmd[cmd.index("-append") + 1].split():
        proc.stdin.close()
    else:
        threading.Thread(target=_feed, args=(proc.stdin, stream, ctl_file, proc), daemon=True).start()
    return proc


def _finish(proc: subprocess.Popen, timed_out: bool) -> str:
    if timed_out:
        proc.kill()
    proc.wait()
    return proc.stderr.read().decode(errors="replace")


def _check_volume_support(image: Path) -> None:
    """An image built without a host-volume library would silently ignore -v: say so before booting
    (from the capabilities its plan recorded at build time; no pool manifest is read)."""
    sidecar = plan_of_image(image)
    if not sidecar.is_file():
        return  # built by hand: nothing to check against
    plan = load_plan(sidecar)
    if not any("host-volumes" in lib["capabilities"] for lib in plan["libraries"]):
        raise BadInputError(f"{image} has no host-volume support; rebuild it with --with 9pfs to use -v")


def prepare_volumes(image: Path, specs: list[str], security: str) -> list[vols.Volume]:
    """Parse and check `-v` specs before anything starts (volumes.py): one line per problem."""
    shared = [vols.parse_volume(v) for v in specs]
    if shared:
        vols.check_volumes(shared)
        vols.check_security(shared, security)
        _check_volume_support(image)
    return shared


def run_image(image: Path, args: list[str] = (), env: dict[str, str] | None = None, mem_mb: int = 64,
              accel: str = "auto", timeout: float | None = None, stdin_bytes: bytes | BinaryIO | None = None,
              debug: bool = False, boottime: bool = False,
              on_output: Callable[[bytes], None] | None = None, argv0: str | None = None,
              volumes: list[str] = (), volume_security: str = vols.DEFAULT_SECURITY,
              volume_lock: bool = True) -> RunResult:
    """Boot `image` with `args` (argv[1..]) and `env`; see the module doc for the exit status.
    `volumes` are HOSTDIR:GUESTDIR[:ro] strings shared over 9p with `volume_security` (a QEMU
    security_model), each leased to this run unless `volume_lock` is False (volumes.py)."""
    image = Path(image)
    if not image.is_file():
        raise BadInputError(f"image not found: {image}")
    shared = prepare_volumes(image, list(volumes), volume_security)
    chosen, _ = choose_accel(accel)
    known = isinstance(stdin_bytes, (bytes, bytearray))  # whole stdin known: hand it over in memory
    cmdline = kernel_cmdline(list(args), env or {}, debug, boottime, argv0, stdin_module=known, volumes=shared)
    identity, why = qemu_identity(shared, volume_security, chosen, Path(tempfile.gettempdir()))
    leases = vols.take_leases(shared) if volume_lock else []
    try:
        with lifetime.RunDir(identity and (identity.uid, identity.gid)) as run:
            tmp = run.path
            ctl_file = tmp / "ctl"
            initrd = run.give(_stdin_module(tmp, stdin_bytes)) if known else None
            cmd = qemu_command(run.copy_in(image) if identity else image, cmdline, mem_mb, chosen, ctl_file,
                               shared, initrd, volume_security)
            if virtio_devices(cmd) > vols.VIRTIO_SLOTS:
                raise BadInputError(f"{virtio_devices(cmd)} virtio devices: microvm has {vols.VIRTIO_SLOTS} slots")
            start = time.monotonic()
            proc, output, timed_out = _supervise(lambda: _spawn(cmd, None if known else stdin_bytes, ctl_file,
                                                                lifetime.launch(identity, leases)),
                                                 run, None if timeout is None else start + timeout, on_output)
            stderr = _finish(proc, timed_out)
            wall = time.monotonic() - start
            ctl = ctl_file.read_text(errors="replace") if ctl_file.exists() else ""
    finally:
        vols.release(leases)
    result = _result(output, ctl, proc.returncode, chosen, timed_out, wall, stderr)
    result.qemu_user = why
    return result


def _supervise(spawn, run: lifetime.RunDir, deadline: float | None, on_output):
    """Start QEMU and pump its console: (proc, output, timed_out). Whatever interrupts us (a
    forwarded signal, Ctrl-C, an error) stops QEMU with the matching signal and waits for it."""
    proc = None
    try:
        proc = spawn()
        run.guest_started(proc.pid)
        return (proc, *_pump(proc, deadline, on_output))
    except BaseException as exc:
        if proc is not None:
            lifetime.stop(proc, lifetime.signal_of(exc))
        raise


def _result(output: bytes, ctl: str, rc: int, accel: str, timed_out: bool, wall: float, stderr: str) -> RunResult:
    status, signal = _status(ctl)
    boot = BOOT_LINE.search(output)
    result = RunResult(output, status if status is not None else EXIT_NO_STATUS, accel,
                       crashed=signal is not None, timed_out=timed_out, signal=signal, wall_s=wall,
                       boot_us=float(boot.group(2)) if boot else None, qemu_stderr=stderr)
    if timed_out:
        result.exit_status = EXIT_TIMEOUT
    elif status is None and (stderr.strip() or rc not in (1, 3)):
        message = " ".join(stderr.split()) or "no message"
        raise UnicoreError(f"QEMU could not run the image (exit {rc}): {message}", exit_code=EXIT_NO_STATUS)
    return result
