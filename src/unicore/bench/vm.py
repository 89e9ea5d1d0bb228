"""The Debian VM row: QEMU boots Debian's own kernel with the minimal Debian root as initramfs.

The guest's /init (a small shell script added in a second cpio archive, which the kernel unpacks
over the first) runs sqlite3 on the workload, prints its output between two marker lines, and
powers the machine off through the magic SysRq key (minbase has no `poweroff`; QEMU microvm's ACPI
turns it into a clean QEMU exit). Same QEMU, machine type and accelerator as the unikernel.
"""

import re
import shutil
from pathlib import Path

from unicore.runner.qemu import accel_args
from unicore.bench.debian import DebianRoot, ensure_debian_root, pack_cpio
from unicore.bench.systems import (Context, Launch, NotAvailable, RunFailed, System, file_bytes,
                                   last_line, timed_run)

QEMU = "qemu-system-x86_64"
BEGIN, END = "UNICORE-BENCH-BEGIN", "UNICORE-BENCH-END"
MEMORY = "512M"  # the unpacked root (~120 MB) lives in RAM next to its archive while booting
INIT = f"""#!/bin/sh
# unicore bench: run the workload, print its output between markers, power off.
mount -t proc proc /proc
echo {BEGIN}
/usr/bin/sqlite3 < /bench/workload.sql
echo "{END} $?"
echo o > /proc/sysrq-trigger
sleep 60
"""


class DebianVM(System):
    key = "debian-vm"
    label = "Debian VM"
    note = ("QEMU -M microvm, Debian kernel + minbase root as initramfs; "
            "size = vmlinuz + initramfs")

    def __init__(self) -> None:
        self.root: DebianRoot | None = None
        self.initrd: Path | None = None

    def prepare(self, ctx: Context) -> None:
        if not shutil.which(QEMU):
            raise NotAvailable(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
        self.root = ensure_debian_root(ctx.console)
        self.note = self.note.replace("Debian kernel", f"Debian kernel {self.root.kernel_version}")
        self.initrd = ctx.work / "debian-vm-initrd.cpio"
        self._write_initrd(ctx)

    def _write_initrd(self, ctx: Context) -> None:
        """The cached root archive followed by a small archive with /init and the workload."""
        extra = ctx.work / "debian-vm-extra"
        (extra / "bench").mkdir(parents=True, exist_ok=True)
        (extra / "init").write_text(INIT)
        (extra / "init").chmod(0o755)
        (extra / "bench" / "workload.sql").write_text(ctx.workload.sql())
        pack_cpio(extra, ctx.work / "debian-vm-extra.cpio")
        with open(self.initrd, "wb") as out:
            for part in (self.root.initrd, ctx.work / "debian-vm-extra.cpio"):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)

    def size_bytes(self) -> int:
        return file_bytes(self.root.kernel, self.initrd)

    def command(self, ctx: Context) -> list[str]:
        return [QEMU, "-M", "microvm", *accel_args(ctx.accel), "-m", MEMORY,
                "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
                "-no-reboot", "-kernel", str(self.root.kernel), "-initrd", str(self.initrd),
                "-append", " ".join(["console=ttyS0", "quiet", "panic=-1", *tsc_args()])]

    def launch(self, ctx: Context) -> Launch:
        run = timed_run(self.command(ctx), "", ctx.timeout, "QEMU (Debian VM)")
        return Launch(run.seconds, guest_output(run.output))


def tsc_args() -> list[str]:
    """Tell the guest its TSC frequency, so it does not calibrate it against the PIT.

    Under TCG the guest's TSC counts at the host's rate, and PIT calibration fails at random on a
    busy host; the kernel then has no clock source and hangs at boot. Skipped when the host's TSC
    is not constant (its "cpu MHz" would not be the TSC's rate).
    """
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    mhz = re.search(r"^cpu MHz\s*:\s*([0-9.]+)", info, re.M)
    if not mhz or not re.search(r"^flags\s*:.*\bconstant_tsc\b", info, re.M):
        return []
    return [f"tsc_early_khz={round(float(mhz.group(1)) * 1000)}"]


def guest_output(console: str) -> str:
    """What sqlite3 printed in the guest, from between the markers; RunFailed if it failed."""
    lines = console.replace("\r", "").splitlines()
    try:
        start = lines.index(BEGIN)
        end = next(i for i in range(start, len(lines)) if lines[i].startswith(END))
    except (ValueError, StopIteration):
        raise RunFailed(f"the Debian VM printed no result; last console line: {last_line(console)}")
    status = lines[end].split()[-1]
    if status != "0":
        raise RunFailed(f"sqlite3 in the Debian VM exited with status {status}")
    return "\n".join(lines[start + 1:end])
