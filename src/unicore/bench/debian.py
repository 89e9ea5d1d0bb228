"""A minimal Debian system for the VM and container rows, built once and cached.

`debootstrap --variant=minbase` (plus sqlite3) gives the root file system; Debian's own kernel
(the package `linux-image-amd64` depends on) is downloaded with the new root's apt, from the same
mirror and suite, and only its vmlinuz is kept. The root is also packed as an initramfs (newc cpio)
so the VM needs no block or virtio drivers. Everything lives in
<cache root>/bench/debian-<suite>/ (unicore.paths); `meta.json` is written last, so an
interrupted build is redone, and a second bench only measures.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from unicore.formats import cpio
from unicore.paths import bench_cache
from unicore.bench.systems import NotAvailable, tree_bytes

RECIPE = 1  # bump when the build steps change, so old caches are rebuilt
SUITE = "bookworm"
PACKAGES = ["sqlite3"]
KERNEL_META = "linux-image-amd64"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BUILD_TOOLS = ["debootstrap", "chroot", "dpkg-deb", "tar"]


@dataclass(frozen=True)
class DebianRoot:
    """The cached Debian system: a root tree, the same tree as a cpio, and Debian's kernel."""

    home: Path
    kernel_version: str
    rootfs_bytes: int

    @property
    def rootfs(self) -> Path:
        return self.home / "rootfs"

    @property
    def initrd(self) -> Path:
        return self.home / "rootfs.cpio"

    @property
    def kernel(self) -> Path:
        return self.home / "vmlinuz"


def ensure_debian_root(console: Console, suite: str = SUITE) -> DebianRoot:
    """The cached Debian system, built first if missing (needs root, debootstrap and the network)."""
    home = bench_cache() / f"debian-{suite}"
    home.parent.mkdir(parents=True, exist_ok=True)
    with _locked(home.parent / f"debian-{suite}.lock"):
        root = load_debian_root(home)
        if root is None:
            _check_can_build()
            _build(home, suite, console)
            root = load_debian_root(home)
    if root is None:
        raise NotAvailable(f"the Debian build left no usable cache in {home}")
    return root


def load_debian_root(home: Path) -> DebianRoot | None:
    """The cached system at `home`, or None when it is missing, partial or from an older recipe."""
    try:
        meta = json.loads((home / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("recipe") != RECIPE:
        return None
    root = DebianRoot(home, meta["kernel_version"], meta["rootfs_bytes"])
    if not (root.rootfs.is_dir() and root.initrd.is_file() and root.kernel.is_file()):
        return None
    return root


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock, so two benches never build the same cache at once."""
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _check_can_build() -> None:
    if os.geteuid() != 0:
        raise NotAvailable("building the Debian root file system needs root (debootstrap); "
                           "run `unicore bench seed` once as root to fill the cache")
    missing = [tool for tool in BUILD_TOOLS if not shutil.which(tool)]
    if missing:
        raise NotAvailable(f"missing {', '.join(missing)} to build the Debian root "
                           "(run scripts/install-deps)")


def _build(home: Path, suite: str, console: Console) -> None:
    """Build into a scratch folder, then move it in place: the cache is never half-written."""
    scratch = home.with_name(home.name + ".tmp")
    for old in (scratch, home):
        _remove_tree(old)
    scratch.mkdir()
    columns = (SpinnerColumn(finished_text="[green]✓"), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        _debootstrap(scratch / "rootfs", suite, progress)
        version = _fetch_kernel(scratch, progress)
        _clean_apt(scratch / "rootfs")
        _pack_cpio(scratch / "rootfs", scratch / "rootfs.cpio", progress)
    meta = {"recipe": RECIPE, "suite": suite, "packages": PACKAGES, "kernel_version": version,
            "rootfs_bytes": tree_bytes(scratch / "rootfs")}
    (scratch / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    scratch.rename(home)


def _remove_tree(path: Path) -> None:
    """Remove an old build; first unmount what an interrupted debootstrap left mounted in it
    (/proc, /sys), so removing the tree never reaches into the host's own."""
    if not path.exists():
        return
    prefix = str(path.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, timeout=60)
    if any(line.split()[1].startswith(prefix)
           for line in Path("/proc/mounts").read_text().splitlines()):
        raise NotAvailable(f"{path} still has file systems mounted in it; unmount them first")
    shutil.rmtree(path)


def host_mirror() -> str:
    """The Debian mirror: $UNICORE_DEBIAN_MIRROR, else the host's own apt source, else deb.debian.org."""
    if os.environ.get("UNICORE_DEBIAN_MIRROR"):
        return os.environ["UNICORE_DEBIAN_MIRROR"]
    sources = list(Path("/etc/apt").glob("sources.list.d/*.sources")) + [Path("/etc/apt/sources.list")]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        for uri in re.findall(r"(?:URIs:|^deb)\s+(\S+/debian)/?\s", text, re.M):
            return uri
    return DEFAULT_MIRROR


def _run_streaming(cmd: list[str], progress: Progress, title: str, timeout: float = 1800) -> None:
    """Run a build step, showing its latest output line as the progress text; NotAvailable on failure."""
    task = progress.add_task(title)
    tail: list[str] = []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")
    assert proc.stdout is not None
    for count, line in enumerate(proc.stdout, 1):
        tail = (tail + [line.rstrip()])[-20:]
        progress.update(task, description=f"{title} [{count}] {line.strip()[:70]}")
    if proc.wait(timeout=timeout) != 0:
        why = next((x for x in reversed(tail) if x.strip()), "no output")
        raise NotAvailable(f"{title} failed (status {proc.returncode}): {why}")
    finish(progress, task, f"{title}: done")


def finish(progress: Progress, task, description: str) -> None:
    """Mark a step done (its spinner turns into a tick)."""
    progress.update(task, description=description, total=1, completed=1)


def _debootstrap(rootfs: Path, suite: str, progress: Progress) -> None:
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", suite,
           str(rootfs), host_mirror()]
    _run_streaming(cmd, progress, f"debootstrap {suite} (minbase + {', '.join(PACKAGES)})")


def _in_root(rootfs: Path, *args: str) -> str:
    """Run a command inside the new root (its own apt, with the lists debootstrap fetched)."""
    proc = subprocess.run(["chroot", str(rootfs), *args], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise NotAvailable(f"`{' '.join(args)}` in the Debian root failed: "
                           f"{(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
    return proc.stdout


def _fetch_kernel(home: Path, progress: Progress) -> str:
    """Download Debian's kernel package with the root's apt and keep only its vmlinuz."""
    task = progress.add_task(f"kernel: resolving {KERNEL_META}")
    deps = _in_root(home / "rootfs", "apt-cache", "depends", KERNEL_META)
    match = re.search(r"Depends:\s*(linux-image-\S+)", deps)
    if not match:
        raise NotAvailable(f"{KERNEL_META} names no kernel package in this suite")
    package = match.group(1)
    progress.update(task, description=f"kernel: downloading {package}")
    _in_root(home / "rootfs", "sh", "-c", f"cd /tmp && apt-get -q -o APT::Sandbox::User=root "
             f"download {package}")
    deb = next((home / "rootfs" / "tmp").glob(f"{package}_*.deb"))
    progress.update(task, description=f"kernel: extracting vmlinuz from {deb.name}")
    _extract_vmlinuz(deb, home)
    deb.unlink()
    version = package.removeprefix("linux-image-")
    finish(progress, task, f"kernel: {package} ({deb.name.split('_')[1]})")
    return version


def _extract_vmlinuz(deb: Path, home: Path) -> None:
    unpack = home / "kernel-unpack"
    unpack.mkdir()
    tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(unpack), "--wildcards", "./boot/vmlinuz-*"],
                   stdin=tar.stdout, check=True, timeout=600)
    tar.wait(timeout=60)
    kernel = next((unpack / "boot").glob("vmlinuz-*"))
    kernel.rename(home / "vmlinuz")
    shutil.rmtree(unpack)


def _clean_apt(rootfs: Path) -> None:
    """Drop apt's download cache and package lists, as Debian's own container images do."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*"):
        for path in rootfs.glob(pattern):
            if path.is_file():
                path.unlink()


def _pack_cpio(rootfs: Path, out: Path, progress: Progress) -> None:
    """The root tree as a newc cpio archive (an initramfs the kernel unpacks into its tmpfs)."""
    task = progress.add_task(f"initramfs: packing {rootfs.name} into {out.name}")
    pack_cpio(rootfs, out)
    finish(progress, task, f"initramfs: {out.stat().st_size / 1e6:.1f} MB")


def pack_cpio(tree: Path, out: Path) -> None:
    """Write `tree` as a newc cpio archive at `out` (sorted, so the archive is reproducible)."""
    cpio.write(cpio.tree_members(tree), out)