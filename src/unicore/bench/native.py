"""The floor: Debian's own /usr/bin/sqlite3 run as an ordinary process on the host."""

import re
import shutil
import subprocess
from pathlib import Path

from unicore.bench.systems import Context, Launch, NotAvailable, System, file_bytes, timed_run

SQLITE = "/usr/bin/sqlite3"


def library_closure(program: str) -> list[Path]:
    """The shared objects `ldd` says the program loads (with the dynamic loader itself)."""
    try:
        out = subprocess.run(["ldd", program], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = re.findall(r"(/\S+) \(0x", out)  # "libz.so.1 => /lib/.../libz.so.1 (0x...)" and ld.so
    return sorted({Path(p).resolve() for p in found})


class Native(System):
    key = "native"
    label = "Native process"
    note = "host's /usr/bin/sqlite3; size = binary + shared libraries (ldd)"

    def __init__(self, program: str = SQLITE):
        self.program = program
        self.files: list[Path] = []

    def prepare(self, ctx: Context) -> None:
        if not shutil.which(self.program):
            raise NotAvailable(f"{self.program} is not installed (apt-get install sqlite3)")
        self.files = [Path(self.program).resolve(), *library_closure(self.program)]

    def size_bytes(self) -> int:
        return file_bytes(*self.files)

    def launch(self, ctx: Context) -> Launch:
        return timed_run([self.program], ctx.workload.sql(), ctx.timeout, "sqlite3")
