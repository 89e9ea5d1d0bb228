"""Where the net bench runs a server: the four settings of `unicore bench net`.

- `unikernel`: the server's Debian binary built with `unicore build --binary` (the example's
  scenario and rootfs), started with `unicore run IMAGE -p 127.0.0.1:HOST:GUEST` (QEMU's user
  network with host forwarding), as a user types it.
- `native`: the host's binary on the loopback.
- `runc`: `runc run` on an OCI bundle whose read-only root is the seed's Debian root with the
  servers installed (netroot.py); it shares the host's network namespace (the bundle drops
  runc's network namespace: like `docker run --network host`, no NAT or proxy in the path).
- `debian-vm`: QEMU -M microvm, the seed's Debian kernel with that root as initramfs, virtio-net
  on QEMU's user network with the same host forwarding as the unikernel, same accelerator.

Every server runs in its own process group with the parent-death signal (setpriv), is stopped
in a `finally`, and a runc container also has a cleaner process that deletes it if the bench
dies without doing so (SIGKILL).
"""

from __future__ import annotations

import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from unicore.bench.debian import _locked, pack_cpio
from unicore.bench.netservers import EXAMPLES, NGINX_SRV, Load, Server
from unicore.bench.systems import NotAvailable
from unicore.bench.vm import QEMU, tsc_args
from unicore.paths import bench_cache
from unicore.runner.lifetime import setpriv_prefix
from unicore.runner.qemu import accel_args

GUEST_IP, GATEWAY = "10.0.2.15", "10.0.2.2"  # QEMU's user network
STOP_GRACE_S = 15


@dataclass
class NetContext:
    work: Path                  # scratch, removed after the bench
    accel: str                  # the same for both VM-based settings
    load: Load
    console: Console = field(default_factory=lambda: Console(stderr=True))
    start_timeout: float = 300  # seconds a server may take to answer its first request


@dataclass
class Running:
    """A started server: its process (group leader) and the host port it answers on."""

    proc: subprocess.Popen
    port: int
    log: Path
    cleanup: list = field(default_factory=list)   # callables run after the process is stopped


class Setting:
    key = ""
    label = ""
    note = ""

    def prepare(self, ctx: NetContext, servers: list[Server]) -> None:
        """Build or find what starting these servers needs; NotAvailable with the reason if impossible."""

    def start(self, server: Server, port: int, ctx: NetContext) -> Running:
        raise NotImplementedError


def spawn(cmd: list[str], log: Path, **kw) -> subprocess.Popen:
    """Start `cmd` in its own process group, killed if the bench dies (parent-death signal)."""
    with open(log, "ab") as out:
        return subprocess.Popen([*setpriv_prefix(None), *cmd], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, **kw)


def stop(running: Running) -> None:
    """Stop the server's process group (TERM, then KILL after a grace period), then its extras."""
    try:
        if running.proc.poll() is None:
            _signal_group(running.proc, signal.SIGTERM)
            try:
                running.proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(running.proc, signal.SIGKILL)
                running.proc.wait()
        _signal_group(running.proc, signal.SIGKILL)  # anything left in its group
    finally:
        for step in running.cleanup:
            step()


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


class Unikernel(Setting):
    key = "unikernel"
    label = "unikernel (unicore run, TCG)"
    note = "`unicore build --binary` of the Debian binary; `unicore run -p` (QEMU user network, host forward)"

    def __init__(self) -> None:
        self.images: dict[str, Path] = {}

    def prepare(self, ctx: NetContext, servers: list[Server]) -> None:
        self.label = f"unikernel (unicore run, {ctx.accel.upper()})"
        for server in servers:
            self.images[server.key] = build_image(server, ctx.console)

    def start(self, server: Server, port: int, ctx: NetContext) -> Running:
        log = ctx.work / f"unikernel-{server.key}.log"
        cmd = [sys.executable, "-m", "unicore", "run", str(self.images[server.key]), "--accel", ctx.accel,
               "-p", f"127.0.0.1:{port}:{server.guest_port}", "--", *server.guest_args()]
        return Running(spawn(cmd, log), port, log)


# how each example's image is built: `unicore build --binary` arguments, run in the example's folder
BUILD_ARGS = {"nginx": ["--scenario", "nginx.toml", "--rootfs", "rootfs"], "redis": ["--scenario", "redis.toml"]}


def build_image(server: Server, console: Console) -> Path:
    """`unicore build --binary` as a user types it, in the example's folder; incremental (cached)."""
    home = bench_cache() / "net"
    home.mkdir(parents=True, exist_ok=True)
    image, log = home / f"{server.key}.img", home / f"{server.key}-build.log"
    console.print(f"[dim]building the {server.label} unikernel (log: {log})[/dim]", highlight=False)
    cmd = [sys.executable, "-m", "unicore", "build", "--binary", server.binary, *BUILD_ARGS[server.key],
           "-o", str(image), "--build-dir", str(home / f"{server.key}-build")]
    with _locked(home / f"{server.key}.lock"), open(log, "w") as out:  # one build at a time per image
        proc = subprocess.run(cmd, cwd=EXAMPLES / server.key, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
    if proc.returncode != 0:
        raise NotAvailable(f"`unicore build --binary {server.binary}` failed (status {proc.returncode}); see {log}")
    return image


class Native(Setting):
    key = "native"
    label = "native process"
    note = "the host's Debian binary on the loopback"

    def start(self, server: Server, port: int, ctx: NetContext) -> Running:
        log = ctx.work / f"native-{server.key}.log"
        return Running(spawn(server.host_args(port, ctx.work), log), port, log)


class Runc(Setting):
    key = "runc"
    label = "runc container"
    note = ("`runc run`, read-only root = the seed's Debian root + the servers (apt), tmpfs /tmp, "
            "the host's network namespace, Docker's default capabilities")

    def __init__(self) -> None:
        self.root = None
        self._ids = itertools.count(1)

    def prepare(self, ctx: NetContext, servers: list[Server]) -> None:
        from unicore.bench.netroot import ensure_net_root
        if not shutil.which("runc"):
            raise NotAvailable("runc is not installed (apt-get install runc)")
        if os.geteuid() != 0:
            raise NotAvailable("runc needs root here (rootless containers are not set up)")
        self.root = ensure_net_root(ctx.console)

    def start(self, server: Server, port: int, ctx: NetContext) -> Running:
        name = f"unicore-netbench-{os.getpid()}-{next(self._ids)}"
        bundle = ctx.work / name
        bundle.mkdir()
        args, binds = server.container_args(port, ctx.work)
        self._write_config(bundle, args, binds)
        cleaner = _runc_cleaner(name)
        log = ctx.work / f"runc-{server.key}.log"
        try:
            proc = spawn(["runc", "run", "--bundle", str(bundle), name], log)
        except BaseException:
            _end_cleaner(cleaner, name)
            raise
        return Running(proc, port, log, [lambda: _end_cleaner(cleaner, name)])

    def _write_config(self, bundle: Path, args: list[str], binds: list[tuple[Path, str]]) -> None:
        subprocess.run(["runc", "spec"], cwd=bundle, check=True, capture_output=True, timeout=60)
        spec = json.loads((bundle / "config.json").read_text())
        spec["process"].update(terminal=False, args=args, cwd="/tmp")
        spec["root"] = {"path": str(self.root.rootfs), "readonly": True}
        caps = spec["process"]["capabilities"]
        for kind in ("bounding", "effective", "permitted"):
            caps[kind] = DOCKER_CAPS
        spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
        spec["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                               "options": ["nosuid", "nodev", "mode=1777"]})
        spec["mounts"] += [{"destination": dest, "type": "bind", "source": str(src), "options": ["rbind", "ro"]}
                           for src, dest in binds]
        (bundle / "config.json").write_text(json.dumps(spec, indent=2))


# Docker's default capabilities (runc spec's own three would not let nginx chown its temp folders)
DOCKER_CAPS = [f"CAP_{c}" for c in ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
                                    "SETPCAP", "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD",
                                    "AUDIT_WRITE", "SETFCAP")]
# deletes the container unless the bench says "done" first (it died: SIGKILL, no finally ran)
RUNC_CLEANER = 'read state; [ "$state" = done ] || runc delete --force "$1" >/dev/null 2>&1'


def _runc_cleaner(name: str) -> subprocess.Popen:
    return subprocess.Popen(["sh", "-c", RUNC_CLEANER, "unicore-runc-cleaner", name], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _end_cleaner(cleaner: subprocess.Popen, name: str) -> None:
    subprocess.run(["runc", "delete", "--force", name], capture_output=True, timeout=60)
    try:
        cleaner.communicate(b"done\n", timeout=30)
    except (subprocess.TimeoutExpired, BrokenPipeError):
        cleaner.kill()
        cleaner.wait()


VM_INIT = """#!/bin/sh
# unicore bench net: bring up virtio-net on QEMU's user network, run the server, power off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for m in {modules}; do insmod "$m" || echo "insmod $m failed"; done
ip link set lo up
ip link set eth0 up
ip addr add {ip}/24 dev eth0
ip route add default via {gw}
cd /tmp
{command}
echo "server exited with status $?"
echo o > /proc/sysrq-trigger
sleep 60
"""
VM_MEMORY = "512M"


class DebianVM(Setting):
    key = "debian-vm"
    label = "Debian VM"
    note = "QEMU -M microvm, the seed's Debian kernel + root (with the servers) as initramfs, virtio-net, hostfwd"

    def __init__(self) -> None:
        self.root = None
        self.initrds: dict[str, Path] = {}

    def prepare(self, ctx: NetContext, servers: list[Server]) -> None:
        from unicore.bench.netroot import ensure_net_root
        if not shutil.which(QEMU):
            raise NotAvailable(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
        self.root = ensure_net_root(ctx.console)
        self.label = f"Debian VM ({ctx.accel.upper()})"
        self.note = self.note.replace("Debian kernel", f"Debian kernel {self.root.kernel_version}")
        for server in servers:
            self.initrds[server.key] = self._initrd(server, ctx.work)

    def _initrd(self, server: Server, work: Path) -> Path:
        """The root's archive followed by a small one with /init (and nginx's srv/)."""
        extra = work / f"vm-extra-{server.key}"
        extra.mkdir()
        command = shlex.join([server.binary, *server.guest_args()])
        (extra / "init").write_text(VM_INIT.format(modules=" ".join(self.root.modules()), ip=GUEST_IP,
                                                   gw=GATEWAY, command=command))
        (extra / "init").chmod(0o755)
        if server.key == "nginx":
            shutil.copytree(NGINX_SRV, extra / "srv")
        pack_cpio(extra, work / f"vm-extra-{server.key}.cpio")
        initrd = work / f"vm-{server.key}.cpio"
        with open(initrd, "wb") as out:
            for part in (self.root.initrd, work / f"vm-extra-{server.key}.cpio"):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        return initrd

    def start(self, server: Server, port: int, ctx: NetContext) -> Running:
        log = ctx.work / f"vm-{server.key}.log"
        cmd = [QEMU, "-M", "microvm", *accel_args(ctx.accel), "-m", VM_MEMORY, "-nodefaults", "-no-user-config",
               "-display", "none", "-serial", "stdio", "-no-reboot", "-kernel", str(self.root.kernel),
               "-initrd", str(self.initrds[server.key]),
               "-append", " ".join(["console=ttyS0", "quiet", "panic=-1", *tsc_args()]),
               "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:{server.guest_port}",
               "-device", "virtio-net-device,netdev=n0"]
        return Running(spawn(cmd, log), port, log)


SETTINGS = [Unikernel, Native, Runc, DebianVM]
