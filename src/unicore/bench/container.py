"""The container row: the same Debian root run by a real OCI runtime from Debian (runc).

An OCI bundle is made once per bench: `runc spec` writes the default config, which is changed to
run /usr/bin/sqlite3 without a terminal on a read-only root (the cached Debian tree itself). Each
launch is `runc run` with a fresh container id; runc creates the namespaces and cgroup, runs the
workload on standard input and deletes the container when it exits.
"""

import itertools
import json
import os
import shutil
import subprocess

from unicore.bench.debian import DebianRoot, ensure_debian_root
from unicore.bench.systems import (Context, Launch, NotAvailable, RunFailed, System, last_line,
                                   timed_run)

RUNTIME = "runc"


class Container(System):
    key = "container"
    label = "Container (runc)"
    note = "OCI bundle on the Debian minbase root, `runc run`; size = root file system"

    def __init__(self) -> None:
        self.root: DebianRoot | None = None
        self.bundle = None
        self._ids = itertools.count(1)

    def prepare(self, ctx: Context) -> None:
        if not shutil.which(RUNTIME):
            raise NotAvailable(f"{RUNTIME} is not installed (apt-get install runc)")
        if os.geteuid() != 0:
            raise NotAvailable(f"{RUNTIME} needs root here (rootless containers are not set up)")
        self.root = ensure_debian_root(ctx.console)
        self.bundle = ctx.work / "oci-bundle"
        self.bundle.mkdir(exist_ok=True)
        self._write_config()

    def _write_config(self) -> None:
        proc = subprocess.run([RUNTIME, "spec"], cwd=self.bundle, capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise NotAvailable(f"`{RUNTIME} spec` failed: {last_line(proc.stderr)}")
        path = self.bundle / "config.json"
        spec = json.loads(path.read_text())
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["/usr/bin/sqlite3"]
        spec["root"] = {"path": str(self.root.rootfs), "readonly": True}
        path.write_text(json.dumps(spec, indent=2))

    def size_bytes(self) -> int:
        return self.root.rootfs_bytes

    def launch(self, ctx: Context) -> Launch:
        name = f"unicore-bench-{os.getpid()}-{next(self._ids)}"
        cmd = [RUNTIME, "run", "--bundle", str(self.bundle), name]
        try:
            return timed_run(cmd, ctx.workload.sql(), ctx.timeout, f"`{RUNTIME} run`")
        except RunFailed:
            # a killed `runc run` can leave its container behind: remove it, then report
            subprocess.run([RUNTIME, "delete", "--force", name], capture_output=True, timeout=60)
            raise
