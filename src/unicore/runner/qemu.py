"""The QEMU command line for an image and the kernel command line.

x86_64 (-M microvm): COM1 is the kernel console on QEMU's stdio; the program's streams are a
virtio-console port (console.py); COM2 (an extra isa-serial: microvm creates only one) is the
control channel; isa-debug-exit at 0xf4 ends QEMU (docs/design.md).
arm64 (-M virt, GICv2, TCG): the PL011 is the kernel console on QEMU's stdio; the control lines
arrive as fd-4 frames on the console channel; PSCI SYSTEM_OFF ends QEMU.
Host volumes are virtio-9p devices tagged vol0, vol1...; a `vol.<tag>=GUESTDIR` kernel token says
where each is mounted, so guest paths are not bound by QEMU's 31-byte tag limit (docs/fs.md).
"""

import shutil
from pathlib import Path

from unicore.errors import ToolMissingError
from unicore.runner import cmdline
from unicore.runner.cmdline import percent_encode  # noqa: F401  (its users import it from here)
from unicore.runner.confine import sandbox_args
from unicore.runner.volumes import Volume, qemu_opt, volume_args, volume_tag

QEMUS = {"x86_64": ("qemu-system-x86_64", "qemu-system-x86"), "arm64": ("qemu-system-aarch64", "qemu-system-arm")}
QEMU = QEMUS["x86_64"][0]


def kernel_cmdline(args: list[str], env: dict[str, str], debug: bool, boottime: bool,
                   argv0: str | None = None, volumes: list[Volume] = (), extra: list[str] = (),
                   workdir: str | None = None) -> str:
    """`extra`: more kernel tokens (the network's net.ip, net.gw, net.dns: network.py); the
    volumes' `vol.TAG=GUESTDIR` follow them (cmdline.py)."""
    vols = [f"vol.{volume_tag(i)}={v.guest}" for i, v in enumerate(volumes)]
    return cmdline.kernel_cmdline(args, env, debug, boottime, argv0, [*extra, *vols], workdir)


def qemu_binary(arch: str = "x86_64") -> str:
    name, package = QEMUS[arch]
    path = shutil.which(name)
    if not path:
        raise ToolMissingError(f"{name} not found: install Debian's {package} (make deps)")
    return path


def machine_args(arch: str, accel: str) -> list[str]:
    """The machine: microvm (x86_64); virt with the GICv2 the arm64 platform drives and the CPU
    model with every feature TCG has (arm64)."""
    if arch == "arm64":
        return ["-M", "virt,gic-version=2", "-accel", accel, "-cpu", "max" if accel == "tcg" else "host"]
    return ["-M", "microvm", *accel_args(accel, TCG_TB_SIZE_MB)]


def status_args(arch: str, ctl: Path | int) -> list[str]:
    """COM2 and isa-debug-exit (x86_64); none on arm64, whose control lines travel on the
    console channel (fd-4 frames) and which powers off through PSCI."""
    if arch == "arm64":
        return []
    return ["-chardev", control_chardev(ctl), "-device", "isa-serial,chardev=ukctl,iobase=0x2f8,irq=3",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]


# TCG's translation buffer for a unikernel (MiB): QEMU's default is 1 GiB, sized for a whole OS.
# It is touched lazily, so the size caps the worst case rather than the usual RSS; 64 MiB holds
# SQLite's translated code many times over (no buffer flush: measured in docs/kernel-bench.md).
TCG_TB_SIZE_MB = 64


def accel_args(accel: str, tb_size_mb: int | None = None) -> list[str]:
    """QEMU flags for `accel`; under KVM the host CPU without IA32_ARCH_CAPABILITIES, which QEMU 7.2
    fails to set on some hosts (HOST-NOTES). The bench's Debian VM uses the same (with QEMU's own
    translation buffer: a whole Linux translates far more code than a unikernel)."""
    if accel == "tcg" and tb_size_mb:
        return ["-accel", f"tcg,tb-size={tb_size_mb}"]
    return ["-accel", accel, *(["-cpu", "host,-arch-capabilities"] if accel == "kvm" else [])]


def ram_args(mem_mb: float, arch: str) -> list[str]:
    """Guest RAM as a memfd (x86_64): QEMU advises transparent huge pages on anonymous guest RAM,
    so each 2 MiB the guest first touches costs the host a zeroed (and maybe compacted) huge page:
    about 8 MiB of RSS and 0.3 ms of boot for hello. A memfd follows the host's shmem THP policy
    (Debian: never) instead. arm64's virt keeps plain RAM (its -m has a 1 GiB base alignment of its own)."""
    size = f"{mem_mb}M"
    if arch == "arm64":
        return ["-m", size]
    return ["-m", size, "-object", f"memory-backend-memfd,id=uk.ram,size={size}", "-machine", "memory-backend=uk.ram"]


def control_chardev(ctl: Path | int) -> str:
    """COM2's chardev: a file (QEMU started by hand: tests, benchmarks) or, for the runner, its
    end of a socket pair (fd), read as the guest writes it."""
    if isinstance(ctl, int):
        return f"socket,id=ukctl,fd={ctl}"
    return f"file,id=ukctl,path={qemu_opt(str(ctl))}"


def qemu_command(image: Path, cmdline: str, mem_mb: int, accel: str, ctl: Path | int,
                 volumes: list[Volume] = (), volume_security: str = "mapped-xattr",
                 console: list[str] = (), network: list[str] = (), arch: str = "x86_64") -> list[str]:
    """The QEMU command; every user-controlled string inside an option list goes through qemu_opt.
    `ctl`: COM2 (control_chardev). `console`: the console channel's devices
    (console.Channel.qemu_args), first on the virtio-mmio slots' list so that its slot does not
    depend on the volumes."""
    qemu = qemu_binary(arch)
    return [qemu, *machine_args(arch, accel), *ram_args(mem_mb, arch),
            "-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-monitor", "none",
            *sandbox_args(qemu),
            "-kernel", str(image), "-append", cmdline,
            "-serial", "stdio", *status_args(arch, ctl), *console,
            *volume_args(list(volumes), volume_security), *network]


def virtio_devices(cmd: list[str]) -> int:
    """How many virtio-mmio devices a QEMU command asks for (microvm has 24 slots)."""
    return sum(1 for flag, value in zip(cmd, cmd[1:]) if flag == "-device" and value.startswith("virtio-"))
