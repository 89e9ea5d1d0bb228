"""run_image: boot an image, stream its stdin, its stdout, stderr and kernel console; return
its exit status.

The program's stdin, stdout and stderr travel on the console channel (console.py: a
virtio-console port, framed); kernel messages and crash reports on COM1 (QEMU's stdout); the exit
status on COM2 (a socket pair, read as it comes: its `exit N` line also dates the program's end
for `--timings`). See docs/run.md.

Run path: nothing here parses ELF or imports the analysis; what the run needs of the image was
recorded at build time (IMAGE.plan.json), host probes are cached (hostcache.py).

Exit status (docs/run.md): the program's own status; 128+signal after a guest crash (139 for a
page or protection fault, 134 for a kernel panic); EXIT_TIMEOUT (124) when --timeout killed QEMU;
EXIT_NO_STATUS (125) when QEMU ended without the guest reporting a status.
"""

import os
import re
import selectors
import subprocess
import socket
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable

from unicore.controller.planfile import load_plan, plan_of_image
from unicore.errors import BadInputError, UnicoreError
from unicore.runner import lifetime, spt, volumes as vols
from unicore.runner.accel import choose_accel
from unicore.runner.confine import qemu_identity
from unicore.runner.console import CONTROL, STDERR, STDOUT, Channel, Demux, start_feeder
from unicore.runner.network import Network, prepare_network
from unicore.runner.qemu import kernel_cmdline, qemu_command, virtio_devices
from unicore.runner.tty import Terminal

EXIT_TIMEOUT = 124
CONSOLE_DEVICES = 1  # the virtio-console channel takes one virtio-mmio slot (console.py)
EXIT_NO_STATUS = 125
BOOT_LINE = re.compile(rb"unicore: boot (\d+) cycles, ([\d.]+) us")
CTL_LIMIT = 4096  # bytes of COM2 kept: `exit N` / `crash SIG` is one short line
STREAMS = {STDOUT: "stdout", STDERR: "stderr"}
ARM64_IMAGE_MAGIC = (56, b"ARM\x64")  # the Linux arm64 Image header's magic, at byte 56
PREPARE = object()  # run_image's `network` default: prepare it from `ports` and `net`
QEMU_NORMAL_EXIT = {"x86_64": (1, 3), "arm64": (0,)}  # isa-debug-exit's (v << 1) | 1; PSCI off: 0


_PLANS: dict[tuple[str, int, int], dict] = {}


def sidecar_plan(image: Path) -> dict | None:
    """The plan recorded beside the image (None: built by hand), read once per run however many
    questions the run asks of it (keyed by the file's stamp; callers only read it)."""
    sidecar = plan_of_image(image)
    try:
        st = sidecar.stat()
    except OSError:
        return None
    key = (str(sidecar), st.st_mtime_ns, st.st_size)
    if key not in _PLANS:
        _PLANS[key] = load_plan(sidecar)
    return _PLANS[key]


def image_arch(image: Path) -> str:
    """The image's target architecture: from the plan recorded beside it at build time, else
    from the file itself (an arm64 Image header, or an ELF for x86_64)."""
    plan = sidecar_plan(image)
    if plan is not None:
        return plan["target"]["arch"]
    with open(image, "rb") as f:
        head = f.read(64)
    at, magic = ARM64_IMAGE_MAGIC
    return "arm64" if head[at:at + len(magic)] == magic else "x86_64"


class RunResult:
    """What a run gave (a plain class: dataclasses would cost the run path its import)."""

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
    timings: dict | None = None  # with boottime: the phases in ms (PHASES), see phases()

    def __init__(self, stdout: bytes, exit_status: int, accel: str, **fields) -> None:
        self.stdout, self.exit_status, self.accel = stdout, exit_status, accel
        for name, value in fields.items():
            if name not in RunResult.__annotations__:
                raise TypeError(f"RunResult has no field {name!r}")
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"RunResult(exit_status={self.exit_status}, accel={self.accel!r}, stdout={self.stdout[:60]!r}...)"


PHASES = ("host set-up", "VMM start", "guest boot", "program", "teardown")


def phases(marks: dict[str, float], boot_us: float | None) -> dict[str, float] | None:
    """The five phases (ms) from the host's monotonic marks and the guest's own boot time: host
    set-up = runner start to QEMU spawn; VMM start = spawn to guest entry (the boot line's
    arrival less the guest's boot); guest boot = entry to main (the guest's TSC); program = main to
    its `exit N` on COM2; teardown = that line to the runner's return (QEMU exit, clean-up)."""
    if boot_us is None or not {"start", "spawn", "boot_line", "exit_line", "done"} <= marks.keys():
        return None
    ms = lambda a, b: round((marks[b] - marks[a]) * 1000, 2)  # noqa: E731
    vmm = ms("spawn", "boot_line") - boot_us / 1000
    return dict(zip(PHASES, (ms("start", "spawn"), round(vmm, 2), round(boot_us / 1000, 3),
                             ms("boot_line", "exit_line"), ms("exit_line", "done"))))


class _Collect:
    """The three output streams as they arrive, each also passed to on_output(name, chunk); the
    control channel's first CTL_LIMIT bytes; the monotonic time of each phase's mark."""

    def __init__(self, on_output: Callable[[str, bytes], None] | None, start: float) -> None:
        self.data = {"stdout": bytearray(), "stderr": bytearray(), "kernel": bytearray()}
        self.on_output = on_output
        self.ctl = bytearray()
        self.marks = {"start": start}

    def add(self, name: str, chunk: bytes) -> None:
        self.data[name] += chunk
        if name == "kernel" and "boot_line" not in self.marks and BOOT_LINE.search(self.data[name]):
            self.marks["boot_line"] = time.monotonic()
        if self.on_output:
            self.on_output(name, chunk)

    def control(self, chunk: bytes) -> None:
        """COM2 bytes: the guest may write without bound, only the first lines count."""
        self.ctl += chunk[:max(0, CTL_LIMIT - len(self.ctl))]
        if b"\n" in self.ctl and "exit_line" not in self.marks:
            self.marks["exit_line"] = time.monotonic()


def _pump(proc: subprocess.Popen, channel: Channel, ctl: socket.socket, deadline: float | None,
          out: _Collect, terminal: Terminal | None = None) -> bool:
    """Collect COM1 (QEMU's stdout), the console channel and COM2 until all end (QEMU exited) or
    the deadline passes; True if it passed. The guest's terminal settings go to `terminal`."""
    demux = Demux(lambda fd, chunk: out.control(chunk) if fd == CONTROL else out.add(STREAMS.get(fd, "stderr"), chunk),
                  channel.reading.set,
                  terminal.apply if terminal else lambda frame: None)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, lambda chunk: out.add("kernel", chunk))
    sel.register(channel.host, selectors.EVENT_READ, demux.feed)
    sel.register(ctl, selectors.EVENT_READ, out.control)
    while sel.get_map():
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        if wait == 0.0:
            return True
        for key, _ in sel.select(wait):
            try:
                chunk = os.read(key.fd, 1 << 20)
            except ConnectionResetError:  # QEMU ended with stdin we sent still unread: its end
                chunk = b""
            if chunk:
                key.data(chunk)
            else:
                sel.unregister(key.fileobj)
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


def _spawn(cmd: list[str], channel: Channel, ctl_guest: socket.socket, launch=([], {})) -> subprocess.Popen:
    """Start QEMU (under `launch`: lifetime.launch) with its ends of the console channel and COM2;
    COM1 on its stdout."""
    prefix, options = launch
    options = {**options, "pass_fds": (*options.get("pass_fds", ()), *channel.pass_fds, ctl_guest.fileno())}
    try:
        proc = subprocess.Popen(prefix + cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **options)
    except OSError as exc:
        raise UnicoreError(f"cannot start QEMU: {exc}") from None
    channel.started()
    ctl_guest.close()  # QEMU's copy is the one left: its exit reads as end of file
    return proc


def _finish(proc: subprocess.Popen, timed_out: bool) -> str:
    if timed_out:
        proc.kill()
    proc.wait()
    return proc.stderr.read().decode(errors="replace")


def _check_volume_support(image: Path) -> None:
    """An image built without a host-volume library would silently ignore -v: say so before booting
    (from the capabilities its plan recorded at build time; no pool manifest is read)."""
    plan = sidecar_plan(image)
    if plan is None:
        return  # built by hand: nothing to check against
    if not any("host-volumes" in lib["capabilities"] for lib in plan["libraries"]):
        raise BadInputError(f"{image} has no host-volume support; rebuild it with --with host-volumes (9pfs on QEMU, hostfs on spt) to use -v")


def _has_network(image: Path) -> bool | None:
    """Whether the image's plan has the network library (None: built by hand, no plan)."""
    plan = sidecar_plan(image)
    return None if plan is None else any("network" in lib["capabilities"] for lib in plan["libraries"])


def prepare_net(image: Path, ports: list[str], net: str | None) -> Network | None:
    """The guest network (network.py): always for an image with the network library (guests
    reach the host at 10.0.2.2), with the host forwards of `ports`; checked before booting."""
    has = _has_network(image)
    if has is None and not ports and not net:
        return None
    return prepare_network(list(ports), net, has)


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
              volume_lock: bool = True, started: float | None = None,
              terminal: Terminal | None = None, ports: list[str] = (), net: str | None = None,
              network: "Network | None | object" = PREPARE, workdir: str | None = None) -> RunResult:
    """Boot `image` with `args` (argv[1..]) and `env`; see the module doc for the exit status.
    `stdin_bytes` (bytes or a binary file, read as the program reads) is streamed to the program;
    `on_output(name, chunk)` gets "stdout", "stderr" and "kernel" chunks as they come.
    `volumes` are HOSTDIR:GUESTDIR[:ro] strings shared over 9p with `volume_security` (a QEMU
    security_model), each leased to this run unless `volume_lock` is False (volumes.py).
    `started`: the monotonic time the caller's host set-up began (`--timings`; default: now).
    `terminal` (tty.py: the user's terminal, when stdin is one) is lent to the guest and restored.
    `ports` are -p [HOSTADDR:]HOSTPORT:GUESTPORT forwards, `net` "user" or "tap[=NAME]" (network.py);
    `network`: what prepare_net(image, ports, net) already gave the caller (not prepared twice);
    `workdir`: the program's working directory (made if missing, as `docker run -w`)."""
    image = Path(image)
    if not image.is_file():
        raise BadInputError(f"image not found: {image}")
    if spt.is_spt_image(image):
        if ports or net:
            raise BadInputError(f"{image} is an spt image: networking (-p, --net) not supported on spt yet (docs/spt.md)")
        shared = prepare_volumes(image, list(volumes), vols.DEFAULT_SECURITY) if volumes else []
        cmdline = kernel_cmdline(list(args), env or {}, debug, boottime, argv0, volumes=shared, workdir=workdir)
        leases = vols.take_leases(shared) if volume_lock else []
        try:
            return _run_spt(image, cmdline, mem_mb, timeout, stdin_bytes, on_output, started, shared)
        finally:
            vols.release(leases)
    shared = prepare_volumes(image, list(volumes), volume_security)
    network = prepare_net(image, list(ports), net) if network is PREPARE else network
    arch = image_arch(image)
    chosen, _ = choose_accel(accel, arch)
    cmdline = kernel_cmdline(list(args), env or {}, debug, boottime, argv0, volumes=shared,
                             extra=network.tokens() if network else [], workdir=workdir)
    cmdline = f"{terminal.token()} {cmdline}" if terminal else cmdline
    identity, why = qemu_identity(shared, volume_security, chosen, Path(tempfile.gettempdir()))
    leases = vols.take_leases(shared) if volume_lock else []
    out, channel = _Collect(on_output, started or time.monotonic()), Channel()
    ctl_host, ctl_guest = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ctl_guest.set_inheritable(True)
    try:
        with lifetime.RunDir(identity and (identity.uid, identity.gid)) as run:
            cmd = qemu_command(run.copy_in(image) if identity else image, cmdline, mem_mb, chosen,
                               ctl_guest.fileno(), shared, volume_security, channel.qemu_args(),
                               network.qemu_args() if network else [], arch)
            if virtio_devices(cmd) > vols.VIRTIO_SLOTS:
                raise BadInputError(f"{virtio_devices(cmd)} virtio devices: microvm has {vols.VIRTIO_SLOTS} slots")
            start = out.marks["spawn"] = time.monotonic()
            fds = [*leases, *(network.pass_fds() if network else [])]
            proc, timed_out = _supervise(lambda: _spawn(cmd, channel, ctl_guest, lifetime.launch(identity, fds)),
                                         run, channel, ctl_host, stdin_bytes,
                                         None if timeout is None else start + timeout, out, terminal)
            stderr = _finish(proc, timed_out)
            wall = time.monotonic() - start
    finally:
        channel.close()
        ctl_host.close()
        ctl_guest.close()
        vols.release(leases)
        if network:
            network.close()
        if terminal:
            terminal.restore()
    out.marks["done"] = time.monotonic()
    result = _result(out, out.ctl.decode(errors="replace"), proc.returncode, chosen, timed_out, wall, stderr,
                     QEMU_NORMAL_EXIT[arch])
    result.qemu_user = why
    return result


def _run_spt(image: Path, cmdline: str, mem_mb: int, timeout: float | None, stdin, on_output,
             started: float | None, volumes: list[vols.Volume] = ()) -> RunResult:
    """An spt image under its tender (spt.py): the same result as from QEMU, accel "spt". Volumes
    are the host's directories themselves (lib/hostfs: host metadata, as QEMU's passthrough)."""
    out = _Collect(on_output, started or time.monotonic())
    def add(name: str, chunk: bytes) -> None:
        out.control(chunk) if name == "control" else out.add(name, chunk)
    out.marks["spawn"] = time.monotonic()  # the tender's start (its lookup is a stat when cached)
    rc, timed_out, wall = spt.run_tender(image, cmdline, mem_mb, timeout, stdin, add,
                                         lambda: out.marks.__setitem__("spawn", time.monotonic()), volumes)
    out.marks["done"] = time.monotonic()
    out.marks["done"] = time.monotonic()
    control = bytes(out.ctl)
    status, signal = _status(control.decode(errors="replace"))
    if status is None and rc < 0:  # killed by the host: the seccomp filter (SIGSYS), or a signal
        status, signal = 128 - rc, -rc
    kernel = bytes(out.data["kernel"])
    boot = BOOT_LINE.search(kernel)
    result = RunResult(bytes(out.data["stdout"]), status if status is not None else EXIT_NO_STATUS, "spt",
                       crashed=signal is not None, timed_out=timed_out, signal=signal, wall_s=wall,
                       boot_us=float(boot.group(2)) if boot else None, stderr=bytes(out.data["stderr"]),
                       kernel=kernel)
    result.timings = phases(out.marks, result.boot_us)
    if timed_out:
        result.exit_status = EXIT_TIMEOUT
    elif status is None and rc == 125 and not control:
        message = " ".join(kernel.decode(errors="replace").split()) or "no message"
        raise UnicoreError(f"the spt tender could not run the image: {message}", exit_code=EXIT_NO_STATUS)
    return result


def _supervise(spawn, run: lifetime.RunDir, channel: Channel, ctl: socket.socket, stdin,
               deadline: float | None, out, terminal=None):
    """Start QEMU, stream stdin and pump the console: (proc, timed_out). Whatever interrupts us
    (a forwarded signal, Ctrl-C, an error) stops QEMU with the matching signal and waits for it."""
    proc = None
    try:
        proc = spawn()
        run.guest_started(proc.pid)
        stop = start_feeder(channel, stdin)
        timed_out = _pump(proc, channel, ctl, deadline, out, terminal)
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
    result.timings = phases(out.marks, result.boot_us)
    if timed_out:
        result.exit_status = EXIT_TIMEOUT
    elif status is None and (stderr.strip() or rc not in normal_rc):
        message = " ".join(stderr.split()) or "no message"
        raise UnicoreError(f"QEMU could not run the image (exit {rc}): {message}", exit_code=EXIT_NO_STATUS)
    return result
