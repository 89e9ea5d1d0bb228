"""The QEMU command line for an image (x86_64, -M microvm) and the kernel command line.

COM1 is the kernel console on QEMU's stdio; the program's streams are a virtio-console port
(console.py); COM2 (an extra isa-serial: microvm creates only one) is the
control channel, written to a file; isa-debug-exit at 0xf4 ends QEMU (docs/design.md).
Host volumes are virtio-9p devices tagged vol0, vol1...; a `vol.<tag>=GUESTDIR` kernel token says
where each is mounted, so guest paths are not bound by QEMU's 31-byte tag limit (docs/fs.md).
"""

import shutil
from pathlib import Path

from unicore.errors import BadInputError, ToolMissingError

QEMU = "qemu-system-x86_64"
SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=+@^~!*()[]{}")


def percent_encode(token: str) -> str:
    """Encode a token for the kernel command line: space, % and anything unusual become %XX."""
    data = token.encode()
    return "".join(chr(b) if b in SAFE else f"%{b:02X}" for b in data) or ""


def kernel_cmdline(args: list[str], env: dict[str, str], debug: bool, boottime: bool,
                   argv0: str | None = None,
                   volumes: list[tuple[Path, str]] = ()) -> str:
    tokens = (["debug"] if debug else []) + (["boottime"] if boottime else [])
    tokens += [f"vol.{volume_tag(i)}={guest}" for i, (_host, guest) in enumerate(volumes)]
    tokens += [f"argv0={argv0}"] if argv0 else []
    tokens += [f"env={k}={v}" for k, v in env.items()]
    return " ".join([*map(percent_encode, tokens), "--", *map(percent_encode, args)])


def qemu_binary() -> str:
    path = shutil.which(QEMU)
    if not path:
        raise ToolMissingError(f"{QEMU} not found: install Debian's qemu-system-x86 (make deps)")
    return path


def parse_volume(spec: str) -> tuple[Path, str]:
    """HOSTDIR:GUESTDIR -> (host dir, guest path used as the 9p mount tag, docs/fs.md)."""
    host, sep, guest = spec.rpartition(":")
    if not sep or not host or not guest:
        raise BadInputError(f"volume {spec!r}: expected HOSTDIR:GUESTDIR")
    if not Path(host).is_dir():
        raise BadInputError(f"volume {spec!r}: host directory {host} does not exist")
    if not guest.startswith("/"):
        raise BadInputError(f"volume {spec!r}: the guest path must be absolute")
    return Path(host).resolve(), guest


def volume_tag(i: int) -> str:
    return f"vol{i}"


def volume_args(volumes: list[tuple[Path, str]]) -> list[str]:
    args = []
    for i, (host, guest) in enumerate(volumes):
        path = str(host).replace(",", ",,")  # QEMU's option parser
        args += ["-fsdev", f"local,id=uk9p{i},path={path},security_model=none",
                 "-device", f"virtio-9p-device,fsdev=uk9p{i},mount_tag={volume_tag(i)}"]
    return args


def accel_args(accel: str) -> list[str]:
    """QEMU flags for `accel`; under KVM the host CPU without IA32_ARCH_CAPABILITIES, which QEMU 7.2
    fails to set on some hosts (HOST-NOTES). The bench's Debian VM uses the same."""
    return ["-accel", accel, *(["-cpu", "host,-arch-capabilities"] if accel == "kvm" else [])]


def qemu_command(image: Path, cmdline: str, mem_mb: int, accel: str, ctl_file: Path,
                 volumes: list[tuple[Path, str]] = (), console: list[str] = ()) -> list[str]:
    """`console`: the console channel's devices (console.Channel.qemu_args), first on the
    virtio-mmio slots' list so that its slot does not depend on the volumes."""
    return [qemu_binary(), "-M", "microvm", *accel_args(accel), "-m", f"{mem_mb}M",
            "-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-monitor", "none",
            "-kernel", str(image), "-append", cmdline,
            "-serial", "stdio",
            "-chardev", f"file,id=ukctl,path={ctl_file}",
            "-device", "isa-serial,chardev=ukctl,iobase=0x2f8,irq=3",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", *console, *volume_args(list(volumes))]
