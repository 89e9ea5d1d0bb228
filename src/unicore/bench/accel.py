"""Which QEMU accelerator every VM-based system uses, so they are compared on equal terms.

The choice is the runner's own (`unicore.runner.choose_accel`: KVM with hardware virtualisation,
TCG without /dev/kvm or under PVM-based KVM), so the Debian VM runs exactly as `unicore run` would.
"""

from unicore.runner import choose_accel


def pick_accel(requested: str = "auto") -> tuple[str, str]:
    """('kvm' or 'tcg', why) for `requested` in auto|kvm|tcg."""
    return choose_accel(requested)


def qemu_accel_args(accel: str) -> list[str]:
    """QEMU flags for `accel`, with the CPU model the runner gives unikernels (under KVM, the host's
    CPU without IA32_ARCH_CAPABILITIES, which QEMU 7.2 fails to set on some hosts)."""
    cpu = ["-cpu", "host,-arch-capabilities"] if accel == "kvm" else []
    return ["-accel", accel, *cpu]
