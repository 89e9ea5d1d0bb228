"""Guest networking for `unicore run` (docs/run.md, docs/net.md): QEMU's user-mode network
(no root) with host forwards from `-p [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]`, bound to 127.0.0.1
unless HOSTADDR says otherwise, or a tap device with `--net tap[=NAME]` (root). The guest's
address, netmask, gateway and DNS server travel as kernel tokens (net.ip, net.gw, net.dns).

Every problem is found before QEMU starts, one line each: a malformed spec, a port out of range,
a host port already taken, -p on an image built without the network library.
"""

from __future__ import annotations

import os
import re
import socket
from typing import NamedTuple

from unicore.errors import BadInputError

# QEMU's user network (slirp) defaults: the guest, the host as seen from the guest, its DNS
USER_NET = {"net.ip": "10.0.2.15/24", "net.gw": "10.0.2.2", "net.dns": "10.0.2.3"}
TAP_NET = {"net.ip": "192.168.100.2/24", "net.gw": "192.168.100.1", "net.dns": "192.168.100.1"}
TUNSETIFF, IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x400454CA, 0x0002, 0x1000, 0x4000
PORT_SPEC = re.compile(r"^(?:(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):)?(?P<host>\d+):(?P<guest>\d+)"
                       r"(?:/(?P<proto>tcp|udp))?$")


class Port(NamedTuple):
    host_addr: str
    host_port: int
    guest_port: int
    proto: str = "tcp"

    def hostfwd(self) -> str:
        return f"hostfwd={self.proto}:{self.host_addr}:{self.host_port}-:{self.guest_port}"


class Network:
    """The guest's network (a plain class: dataclasses would cost every `unicore run` its import)."""

    def __init__(self, mode: str, ports: list[Port] | None = None, tap: str = "") -> None:
        self.mode = mode               # "user" or "tap"
        self.ports = ports or []
        self.tap = tap
        self.tap_fd: int | None = None  # opened by the runner (root): QEMU may run unprivileged

    def tokens(self) -> list[str]:
        settings = USER_NET if self.mode == "user" else TAP_NET
        return [f"{k}={v}" for k, v in settings.items()]

    def qemu_args(self) -> list[str]:
        if self.mode == "tap":
            self.tap_fd = self.tap_fd if self.tap_fd is not None else open_tap(self.tap)
            netdev = f"tap,id=uknet,fd={self.tap_fd}"
        else:
            netdev = ",".join(["user,id=uknet", *(p.hostfwd() for p in self.ports)])
        return ["-netdev", netdev, "-device", "virtio-net-device,netdev=uknet"]

    def pass_fds(self) -> list[int]:
        return [self.tap_fd] if self.tap_fd is not None else []

    def close(self) -> None:
        if self.tap_fd is not None:
            os.close(self.tap_fd)
            self.tap_fd = None


def open_tap(name: str) -> int:
    """An fd on the existing tap device `name` (TUNSETIFF: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR),
    inheritable, for QEMU's `-netdev tap,fd=N`: QEMU itself may run as an unprivileged user."""
    import fcntl
    import struct
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
    except OSError as exc:
        raise BadInputError(f"--net tap={name}: cannot open /dev/net/tun: {exc.strerror}") from None
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
    except OSError as exc:
        os.close(fd)
        raise BadInputError(f"--net tap={name}: cannot attach to the tap device: {exc.strerror}") from None
    os.set_inheritable(fd, True)
    return fd


def _port_number(text: str, what: str, spec: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise BadInputError(f"-p {spec}: {what} port {value} is out of range (1-65535)")
    return value


def parse_port(spec: str) -> Port:
    """`[HOSTADDR:]HOSTPORT:GUESTPORT[/udp]`, like `docker run -p`."""
    m = PORT_SPEC.match(spec)
    if not m:
        raise BadInputError(f"-p {spec!r}: expected [HOSTADDR:]HOSTPORT:GUESTPORT (e.g. 8080:80 or 0.0.0.0:8080:80)")
    addr = (m.group("addr") or "127.0.0.1").strip("[]")
    addr = "127.0.0.1" if addr == "localhost" else addr
    try:
        import ipaddress  # only for a -p with an address
        if ipaddress.ip_address(addr).version != 4:
            raise BadInputError(f"-p {spec}: QEMU's user network forwards IPv4 host addresses only")
    except ValueError:
        raise BadInputError(f"-p {spec}: {addr!r} is not an IP address") from None
    return Port(addr, _port_number(m.group("host"), "host", spec), _port_number(m.group("guest"), "guest", spec),
                m.group("proto") or "tcp")


def check_free(port: Port) -> None:
    """The host port must be free now, or QEMU would refuse to start with a long message."""
    kind = socket.SOCK_STREAM if port.proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind((port.host_addr, port.host_port))
        except PermissionError:
            raise BadInputError(f"-p: host port {port.host_port} needs privileges (use a port above 1023)") from None
        except OSError as exc:
            if exc.errno == 98:
                raise BadInputError(f"-p: host port {port.host_addr}:{port.host_port}/{port.proto} is already in use") from None
            raise BadInputError(f"-p: cannot bind host {port.host_addr}:{port.host_port}: {exc.strerror}") from None


def _tap(spec: str) -> str:
    name = spec.partition("=")[2] or "uktap0"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", name):
        raise BadInputError(f"--net {spec}: {name!r} is not a network interface name")
    if os.geteuid() != 0:
        raise BadInputError(f"--net {spec}: a tap device needs root (use -p with the user network instead)")
    if not os.path.exists(f"/sys/class/net/{name}"):
        raise BadInputError(f"--net {spec}: no network interface {name} (create it first: ip tuntap add dev {name} "
                            f"mode tap; ip addr add {TAP_NET['net.gw']}/24 dev {name}; ip link set {name} up)")
    return name


def prepare_network(specs: list[str], net: str | None, has_network: bool | None) -> Network | None:
    """The guest's network for this run, checked; None for an image without the network library
    (has_network False), which -p and --net then refuse. has_network None: unknown (no plan)."""
    ports = [parse_port(s) for s in specs]
    if net and net != "user" and not net.startswith("tap"):
        raise BadInputError(f"--net {net}: expected user or tap[=NAME]")
    if has_network is False:
        if ports or net:
            raise BadInputError("-p/--net: this image has no networking (its program makes no socket calls; "
                                "rebuild with --with net to add it)")
        return None
    if net and net.startswith("tap"):
        if ports:
            raise BadInputError("-p forwards ports of the user network; with --net tap the guest has its own address")
        return Network("tap", tap=_tap(net))
    seen = set()
    for p in ports:
        key = (p.host_addr, p.host_port, p.proto)
        if key in seen:
            raise BadInputError(f"-p: host port {p.host_port}/{p.proto} is given twice")
        seen.add(key)
        check_free(p)
    return Network("user", ports)
