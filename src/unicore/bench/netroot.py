"""The Debian system of the net bench's runc and VM settings: the seed's root plus the servers.

A copy of the seed bench's minbase root (debian.py) with Debian's `nginx` and `redis-server`
installed by the root's own apt (the same mirror and suite), `iproute2` and `kmod` to configure
the VM's network, and the virtio modules of the seed's kernel (Debian builds virtio, virtio-mmio and
virtio-net as modules) taken from that kernel's package. Cached next to the seed's root in
<cache root>/bench/debian-<suite>-net/; `meta.json` is written last, so an interrupted build is
redone. Building needs root and the network to Debian's mirror; using the cache does not.
"""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from unicore.bench.debian import (SUITE, _check_can_build, _clean_apt, _in_root, _locked, _remove_tree,
                                  ensure_debian_root, finish, pack_cpio)
from unicore.bench.systems import NotAvailable
from unicore.paths import bench_cache

RECIPE = 1  # bump when the steps change
PACKAGES = ["nginx", "redis-server", "iproute2", "kmod"]
# the modules the VM loads, in dependency order (paths under lib/modules/<version>/kernel/)
MODULES = ["drivers/virtio/virtio.ko", "drivers/virtio/virtio_ring.ko", "drivers/virtio/virtio_mmio.ko",
           "net/core/failover.ko", "drivers/net/net_failover.ko", "drivers/net/virtio_net.ko"]
NO_SERVICES = "#!/bin/sh\n# unicore bench: packages installed into this root start no service\nexit 101\n"


@dataclass(frozen=True)
class NetRoot:
    home: Path
    kernel: Path            # the seed's vmlinuz (the modules are its own)
    kernel_version: str
    versions: dict          # package -> installed version

    @property
    def rootfs(self) -> Path:
        return self.home / "rootfs"

    @property
    def initrd(self) -> Path:
        return self.home / "rootfs.cpio"

    def modules(self) -> list[str]:
        """The modules' paths inside the root, in the order they are loaded."""
        return [f"/lib/modules/{self.kernel_version}/kernel/{m}" for m in MODULES]


def ensure_net_root(console: Console) -> NetRoot:
    """The cached root with the servers, built from the seed's root first if missing."""
    base = ensure_debian_root(console)
    home = bench_cache() / f"debian-{SUITE}-net"
    with _locked(home.parent / f"debian-{SUITE}-net.lock"):
        root = load_net_root(home, base.kernel, base.kernel_version)
        if root is None:
            _check_can_build()
            _build(home, base, console)
            root = load_net_root(home, base.kernel, base.kernel_version)
    if root is None:
        raise NotAvailable(f"the Debian server root build left no usable cache in {home}")
    return root


def load_net_root(home: Path, kernel: Path, kernel_version: str) -> NetRoot | None:
    try:
        meta = json.loads((home / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if (meta.get("recipe"), meta.get("packages"), meta.get("kernel_version")) != (RECIPE, PACKAGES, kernel_version):
        return None
    root = NetRoot(home, kernel, kernel_version, meta["versions"])
    return root if root.rootfs.is_dir() and root.initrd.is_file() else None


def _build(home: Path, base, console: Console) -> None:
    scratch = home.with_name(home.name + ".tmp")
    for old in (scratch, home):
        _remove_tree(old)
    scratch.mkdir()
    rootfs = scratch / "rootfs"
    columns = (SpinnerColumn(finished_text="[green]✓"), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"server root: copying {base.rootfs}")
        subprocess.run(["cp", "-a", str(base.rootfs), str(rootfs)], check=True, timeout=600)
        progress.update(task, description=f"server root: apt-get install {' '.join(PACKAGES)}")
        versions = _install(rootfs)
        finish(progress, task, "server root: " + ", ".join(f"{p} {v}" for p, v in versions.items()))
        task = progress.add_task(f"server root: virtio modules of linux-image-{base.kernel_version}")
        _add_modules(rootfs, base.kernel_version)
        _clean_apt(rootfs)
        progress.update(task, description="server root: packing the initramfs")
        pack_cpio(rootfs, scratch / "rootfs.cpio")
        finish(progress, task, f"server root: initramfs {(scratch / 'rootfs.cpio').stat().st_size / 1e6:.1f} MB")
    meta = {"recipe": RECIPE, "packages": PACKAGES, "kernel_version": base.kernel_version, "versions": versions}
    (scratch / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    scratch.rename(home)


def _install(rootfs: Path) -> dict:
    """apt-get install the packages in the root, with services kept from starting (policy-rc.d)."""
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text(NO_SERVICES)
    policy.chmod(0o755)
    try:
        _in_root(rootfs, "apt-get", "-q", "-o", "APT::Sandbox::User=root", "update")
        _in_root(rootfs, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q", "-y",
                 "-o", "APT::Sandbox::User=root", "--no-install-recommends", "install", *PACKAGES)
    finally:
        policy.unlink()
    out = _in_root(rootfs, "dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *PACKAGES)
    return dict(line.split(" ", 1) for line in out.splitlines())


def _add_modules(rootfs: Path, version: str) -> None:
    """Unpack MODULES from the kernel's own package (downloaded by the root's apt) into the root."""
    package = f"linux-image-{version}"
    _in_root(rootfs, "sh", "-c", f"cd /tmp && apt-get -q -o APT::Sandbox::User=root download {package}")
    deb = next((rootfs / "tmp").glob(f"{package}_*.deb"))
    members = [f"./lib/modules/{version}/kernel/{m}" for m in MODULES]
    tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(rootfs), *members], stdin=tar.stdout, check=True, timeout=600)
    tar.wait(timeout=60)
    deb.unlink()
    missing = [m for m in members if not (rootfs / m).is_file()]
    if missing:
        raise NotAvailable(f"{package} has no {missing[0]}")

