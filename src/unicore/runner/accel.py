"""Choosing the QEMU accelerator.

`auto` takes KVM only where it helps: /dev/kvm usable, the CPU has hardware virtualisation
(vmx/svm) and KVM is not PVM-based. Under PVM (/sys/module/kvm_pvm) the guest kernel's CPL0 code
is emulated instruction by instruction and CPL3->CPL0 transitions fail, so TCG is much faster
there (see HOST-NOTES). Everything else runs on TCG. The CPU flags are read once per boot
(hostcache.py); the device and module checks are single system calls, made every time.
"""

import os
from pathlib import Path

from unicore.errors import BadInputError, UnicoreError
from unicore.runner.hostcache import boot_stamp, cached

ACCELS = ("auto", "kvm", "tcg")
KVM_DEV = Path("/dev/kvm")
PVM_MODULE = Path("/sys/module/kvm_pvm")


def _kvm_usable() -> bool:
    return KVM_DEV.exists() and os.access(KVM_DEV, os.R_OK | os.W_OK)


def _hardware_virt() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(line.startswith("flags") and (" vmx" in line or " svm" in line) for line in flags.splitlines())


HOST_ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}


def choose_accel(requested: str = "auto", arch: str = "x86_64") -> tuple[str, str]:
    """(accelerator, reason) for `requested` in auto|kvm|tcg and a guest of `arch`."""
    if requested not in ACCELS:
        raise BadInputError(f"unknown accelerator {requested!r}; valid: {', '.join(ACCELS)}")
    if requested == "tcg":
        return "tcg", "requested"
    host = HOST_ARCH.get(os.uname().machine, os.uname().machine)
    if arch != host:
        if requested == "kvm":
            raise UnicoreError(f"--accel kvm: KVM cannot run {arch} guests on this {host} host")
        return "tcg", f"{arch} guest on a {host} host"
    if requested == "kvm":
        if not _kvm_usable():
            raise UnicoreError("--accel kvm: /dev/kvm is missing or not accessible")
        return "kvm", "requested"
    if not _kvm_usable():
        return "tcg", "no usable /dev/kvm"
    if PVM_MODULE.exists():
        return "tcg", "KVM here is PVM-based, slower than TCG for a CPL0 kernel"
    if not cached("hardware_virt", boot_stamp(), _hardware_virt):
        return "tcg", "no hardware virtualisation"
    return "kvm", "hardware virtualisation"
