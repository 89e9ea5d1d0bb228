"""run_image: boot an image, stream its stdin, its stdout, stderr and kernel console; return
its exit status.

The program's stdin, stdout and stderr travel on the console channel (console.py: a
virtio-console port, framed); kernel messages and crash reports on COM1 (QEMU's stdout); the exit
status on COM2 (a file). See docs/run.md.

Exit status (docs/run.md): the program's own status; 128+signal after a guest crash (139 for a
page or protection fault, 134 for a kernel panic); EXIT_TIMEOUT (124) when --timeout killed QEMU;
EXIT_NO_STATUS (125) when QEMU ended without the guest reporting a status.
"""

import os
import re
import selectors
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from unicore.controller.planfile import load_plan, plan_of_image
from unicore.errors import BadInputError, UnicoreError
from unicore.runner import lifetime, volumes as vols
from unicore.runner.accel import choose_accel
from unicore.runner.confine import qemu_identity
from unicore.runner.console import STDERR, STDOUT, Channel, Demux, start_feeder
from unicore.runner.qemu import kernel_cmdline, qemu_command, virtio_devices

EXIT_TIMEOUT = 124
CONSOLE_DEVICES = 1  # the virtio-console channel takes one virtio-mmio slot (console.py)
EXIT_NO_STATUS = 125
BOOT_LINE = re.compile(rb"unicore: boot (\d+) cycles, ([\d.]+) us")
CONTROL = 3  # arm64: the control lines are fd-3 frames on the console channel (docs/design.md)
STREAMS = {STDOUT: "stdout", STDERR: "stderr", CONTROL: "control"}
ARM64_IMAGE_MAGIC = (56, b"ARM\x64")  # the Linux arm64 Image header's magic, at byte 56
QEMU_NORMAL_EXIT = {"x86_64": (1, 3), "arm64": (0,)}  # isa-debug-exit's (v << 1) | 1; PSCI off: 0


def image_arch(image: Path) -> str:
    """The image's target architecture: from the plan recorded beside it at build time, else
    from the file itself (an arm64 Image header, or an ELF for x86_64)."""
    sidecar = plan_of_image(image)
    if sidecar.is_file():
        return load_plan(sidecar)["target"]["arch"]
    with open(image, "rb") as f:
        head = f.read(64)
    at, magic = ARM64_IMAGE_MAGIC
    return "arm64" if head[at:at + len(magic)] == magic else "x86_64"


@dataclass
class RunResult:
    stdout: bytes            # the program's stdout
    exit_status: int
    accel: str
    crashed: bool = False
    timed_out: bool = False
    signal: int | None = None
    wall_s: float = 0.0      # QEMU start to exit
    boot_us: float | None = None  # with boottime: PVH entry to program entry
    qemu_stderr: str = ""
    qemu_user: str = ""      # the identity QEMU ran as, and why (confine.py)
    stderr: bytes = b""      # the program's stderr
    kernel: bytes = b""      # kernel messages and the crash report (COM1)


class _Collect:
    """The three output streams as they arrive, each also passed to on_output(name, chunk)."""

    def __init__(self, on_output: Callable[[str, bytes], None] | None) -> None:
        self.data = {"stdout": bytearray(), "stderr": bytearray(), "kernel": bytearray(), "control": bytearray()}
        self.on_output = on_output

    def add(self, name: str, chunk: bytes) -> None:
        self.data[name] += chunk
        if self.on_output and name != "control":
            self.on_output(name, chunk)


def _pump(proc: subprocess.Popen, channel: Channel, deadline: float | None, out: _Collect) -> bool:
    """Collect COM1 (QEMU's stdout) and the console channel until both end (QEMU exited) or the
    deadline passes; True if it passed."""
    demux = Demux(lambda fd, chunk: out.add(STREAMS.get(fd, "stderr"), chunk), channel.reading.set)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "kernel")
    sel.register(channel.host, selectors.EVENT_READ, "channel")
    while sel.get_map():
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        if wait == 0.0:
            return True
        for key, _ in sel.select(wait):
            try:
                chunk = os.read(key.fd, 1 << 20)
            except ConnectionResetError:  # QEMU ended with stdin we sent still unread: its end
                chunk = b""
            if not chunk:
                sel.unregister(key.fileobj)
            elif key.data == "kernel":
                out.add("kernel", chunk)
            else:
                demux.feed(chunk)
    return False


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


def _spawn(cmd: list[str], channel: Channel, launch=([], {})) -> subprocess.Popen:
    """Start QEMU (under `launch`: lifetime.launch) with its end of the console channel; COM1 on
    its stdout."""
    prefix, options = launch
    options = {**options, "pass_fds": (*options.get("pass_fds", ()), *channel.pass_fds)}
    try:
        proc = subprocess.Popen(prefix + cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **options)
    except OSError as exc:
        raise UnicoreError(f"cannot start QEMU: {exc}") from None
    channel.started()
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
        vols.check_volumes(shared, other_virtio=CONSOLE_DEVICES)
        vols.check_security(shared, security)
        _check_volume_support(image)
    return shared


def run_image(image: Path, args: list[str] = (), env: dict[str, str] | None = None, mem_mb: int = 64,
              accel: str = "auto", timeout: float | None = None, stdin_bytes: bytes | BinaryIO | None = None,
              debug: bool = False, boottime: bool = False,
              on_output: Callable[[str, bytes], None] | None = None, argv0: str | None = None,
              volumes: list[str] = (), volume_security: str = vols.DEFAULT_SECURITY,
              volume_lock: bool = True) -> RunResult:
    """Boot `image` with `args` (argv[1..]) and `env`; see the module doc for the exit status.
    `stdin_bytes` (bytes or a binary file, read as the program reads) is streamed to the program;
    `on_output(name, chunk)` gets "stdout", "stderr" and "kernel" chunks as they come.
    `volumes` are HOSTDIR:GUESTDIR[:ro] strings shared over 9p with `volume_security` (a QEMU
    security_model), each leased to this run unless `volume_lock` is False (volumes.py)."""
    image = Path(image)
    if not image.is_file():
        raise BadInputError(f"image not found: {image}")
    shared = prepare_volumes(image, list(volumes), volume_security)
    arch = image_arch(image)
    chosen, _ = choose_accel(accel, arch)
    cmdline = kernel_cmdline(list(args), env or {}, debug, boottime, argv0, volumes=shared)
    identity, why = qemu_identity(shared, volume_security, chosen, Path(tempfile.gettempdir()))
    leases = vols.take_leases(shared) if volume_lock else []
    out, channel = _Collect(on_output), Channel()
    try:
        with lifetime.RunDir(identity and (identity.uid, identity.gid)) as run:
            ctl_file = run.path / "ctl"
            cmd = qemu_command(run.copy_in(image) if identity else image, cmdline, mem_mb, chosen, ctl_file,
                               shared, volume_security, channel.qemu_args(), arch)
            if virtio_devices(cmd) > vols.VIRTIO_SLOTS:
                raise BadInputError(f"{virtio_devices(cmd)} virtio devices: microvm has {vols.VIRTIO_SLOTS} slots")
            start = time.monotonic()
            proc, timed_out = _supervise(lambda: _spawn(cmd, channel, lifetime.launch(identity, leases)),
                                         run, channel, stdin_bytes, None if timeout is None else start + timeout, out)
            stderr = _finish(proc, timed_out)
            wall = time.monotonic() - start
            ctl = ctl_file.read_text(errors="replace") if ctl_file.exists() else ""
    finally:
        channel.close()
        vols.release(leases)
    ctl += out.data["control"].decode(errors="replace")
    result = _result(out, ctl, proc.returncode, chosen, timed_out, wall, stderr, QEMU_NORMAL_EXIT[arch])
    result.qemu_user = why
    return result


def _supervise(spawn, run: lifetime.RunDir, channel: Channel, stdin, deadline: float | None, out):
    """Start QEMU, stream stdin and pump the console: (proc, timed_out). Whatever interrupts us
    (a forwarded signal, Ctrl-C, an error) stops QEMU with the matching signal and waits for it."""
    proc = None
    try:
        proc = spawn()
        run.guest_started(proc.pid)
        stop = start_feeder(channel, stdin)
        timed_out = _pump(proc, channel, deadline, out)
        stop.set()
        return proc, timed_out
    except BaseException as exc:
        if proc is not None:
            lifetime.stop(proc, lifetime.signal_of(exc))
        raise


def _result(out: _Collect, ctl: str, rc: int, accel: str, timed_out: bool, wall: float, stderr: str,
            normal_rc: tuple[int, ...] = (1, 3)) -> RunResult:
    status, signal = _status(ctl)
    kernel = bytes(out.data["kernel"])
    boot = BOOT_LINE.search(kernel)
    result = RunResult(bytes(out.data["stdout"]), status if status is not None else EXIT_NO_STATUS, accel,
                       crashed=signal is not None, timed_out=timed_out, signal=signal, wall_s=wall,
                       boot_us=float(boot.group(2)) if boot else None, qemu_stderr=stderr,
                       stderr=bytes(out.data["stderr"]), kernel=kernel)
    if timed_out:
        result.exit_status = EXIT_TIMEOUT
    elif status is None and (stderr.strip() or rc not in normal_rc):
        message = " ".join(stderr.split()) or "no message"
        raise UnicoreError(f"QEMU could not run the image (exit {rc}): {message}", exit_code=EXIT_NO_STATUS)
    return result
