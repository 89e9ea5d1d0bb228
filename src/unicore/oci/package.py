"""`unicore pkg`: an image as an OCI image that containerd, urunc and kraft take (docs/oci.md).

Layers (each one file, written by `umoci insert`): the kernel image at /unikraft/bin/kernel, the
root file system archive at /unikraft/bin/initrd when the image has one (its `.uk_initrd`
section: QEMU's -initrd then hands the kernel the same archive), and /urunc.json (urunc's
annotations again, base64, for engines that drop annotations). The config carries the platform
(OCI os/architecture), the program's arguments (Cmd) and environment (Env); the manifest and the
config's labels carry the annotations both urunc (`com.urunc.unikernel.*`) and kraft
(`org.unikraft.*`) read. Every timestamp is SOURCE_DATE_EPOCH (default 0) and every file mode
fixed, so packaging the same image twice gives the same digests.
"""

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

from unicore import __version__
from unicore.controller.planfile import image_record
from unicore.errors import BadInputError
from unicore.formats import elf
from unicore.oci.ref import Ref, skopeo, umoci
from unicore.runner.qemu import kernel_cmdline
from unicore.runner.volumes import Volume

KERNEL = "/unikraft/bin/kernel"    # kraft's well-known paths (kraftkit oci/pack.go)
INITRD = "/unikraft/bin/initrd"
URUNC_JSON = "/urunc.json"
OCI_ARCH = {"x86_64": "amd64", "arm64": "arm64"}
HYPERVISOR = {"qemu": "qemu", "spt": "spt"}   # unicore platform -> urunc monitor name


class RunSettings(NamedTuple):
    """How the packaged image is to run: what `unicore run IMAGE` would be given."""
    args: list[str] = []
    env: dict[str, str] = {}
    argv0: str | None = None
    mem_mb: int | None = None
    volumes: list[str] = []   # guest directories volumes are mounted at (kernel tokens vol.volN=DIR)


def epoch_seconds() -> int:
    """SOURCE_DATE_EPOCH (the reproducible-builds convention), else 0."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else 0


def epoch() -> str:
    import datetime
    moment = datetime.datetime.fromtimestamp(epoch_seconds(), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def annotations(plan: dict, run: RunSettings, has_initrd: bool) -> dict[str, str]:
    """The manifest's annotations: urunc's (pkg/unikontainers/config.go) and kraft's (oci/annotations.go)."""
    target = plan["target"]
    urunc = {"com.urunc.unikernel.unikernelType": "unicore",
             "com.urunc.unikernel.unikernelVersion": __version__,
             "com.urunc.unikernel.hypervisor": HYPERVISOR.get(target["plat"], target["plat"]),
             "com.urunc.unikernel.binary": KERNEL,
             "com.urunc.unikernel.cmdline": kernel_cmdline(run.args, run.env, False, False, run.argv0,
                                                           volumes=[Volume(Path("."), g) for g in run.volumes]),
             "com.urunc.unikernel.mountRootfs": "false"}
    if has_initrd:
        urunc["com.urunc.unikernel.initrd"] = INITRD
    kraft = {"org.unikraft.kernel.image": KERNEL, "org.unikraft.kernel.version": __version__,
             "org.unikraft.kernel.arch": target["arch"], "org.unikraft.kernel.plat": target["plat"],
             "org.unikraft.image.name": plan["program"].get("name", "unikernel")}
    if has_initrd:
        kraft["org.unikraft.kernel.initrd"] = INITRD
    ours = {"dev.unicore.argv0": run.argv0 or "", "dev.unicore.memory": str(run.mem_mb or "")}
    return {**urunc, **kraft, **ours}


def urunc_json(notes: dict[str, str]) -> bytes:
    """/urunc.json: urunc's keys with base64 values ("b64:" prefix, config.go decodeConfigValue)."""
    return json.dumps({k: "b64:" + base64.b64encode(v.encode()).decode()
                       for k, v in sorted(notes.items()) if k.startswith("com.urunc.")}, indent=1).encode()


def initrd_of(image: Path) -> bytes | None:
    """The root file system archive linked into the image (section .uk_initrd), None without one."""
    data = image.read_bytes()
    section = elf.section_data(data, elf.parse(data, image), ".uk_initrd")
    return section or None


def _fix_times(root: Path, stamp: int) -> None:
    """Every path of the tree at the epoch (tar headers carry mtimes)."""
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(os.path.join(top, name), (stamp, stamp), follow_symlinks=False)
    os.utime(root, (stamp, stamp))


def _add(bundle: Path, target: str, data: bytes) -> None:
    path = bundle / "rootfs" / target.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    for d in [path.parent, *path.parent.relative_to(bundle / "rootfs").parents]:
        (bundle / "rootfs" / d).chmod(0o755)
    path.write_bytes(data)
    path.chmod(0o644)


def package(image: Path, ref: Ref, run: RunSettings = RunSettings()) -> str:
    """Write `image` to `ref`; returns the manifest's digest."""
    image = Path(image)
    plan, _ = image_record(image) if image.is_file() else (None, None)
    if plan is None:
        raise BadInputError(f"{image}: no image with its IMAGE.plan.json here (build it with `unicore build`)")
    for guest in run.volumes:
        if not guest.startswith("/") or guest.rstrip("/") == "":
            raise BadInputError(f"--volume {guest!r}: a guest directory is absolute and not / (e.g. /data)")
    initrd = initrd_of(image)
    notes = annotations(plan, run, initrd is not None)
    files = {KERNEL: image.read_bytes(), **({INITRD: initrd} if initrd else {}), URUNC_JSON: urunc_json(notes)}
    with tempfile.TemporaryDirectory(prefix="unicore-pkg-") as tmp:
        layout = Path(ref.path) if ref.transport == "oci" else Path(tmp) / "layout"
        _write_layout(layout, ref.tag, Path(tmp) / "bundle", files, plan, run, notes)
        digest = manifest_digest(layout, ref.tag)
        if ref.transport == "oci-archive":
            Path(ref.path).unlink(missing_ok=True)
            skopeo("copy", "-q", f"oci:{layout}:{ref.tag}", f"oci-archive:{ref.path}:{ref.tag}")
    return digest


def _write_layout(layout: Path, tag: str, bundle: Path, files: dict[str, bytes], plan: dict, run: RunSettings,
                  notes: dict[str, str]) -> None:
    """One layer per file through umoci's unpack/repack (Debian's umoci 0.4.7 `insert` writes
    layers without the tar trailer, which GNU tar and Python refuse; repack's are whole)."""
    image, when, stamp = f"{layout}:{tag}", epoch(), epoch_seconds()
    if not (layout / "index.json").is_file():
        umoci("init", "--layout", str(layout))
    umoci("new", "--image", image)
    umoci("unpack", "--rootless", "--image", image, str(bundle))
    for target, data in files.items():
        _add(bundle, target, data)
        _fix_times(bundle / "rootfs", stamp)
        umoci("repack", "--refresh-bundle", "--image", image, "--history.created", when,
              "--history.created_by", f"unicore pkg: {target}", str(bundle))
    config = ["--created", when, "--history.created", when, "--history.created_by", "unicore pkg: config",
              "--os", "linux", "--architecture", OCI_ARCH.get(plan["target"]["arch"], plan["target"]["arch"]),
              "--clear=config.env", "--clear=config.cmd", "--clear=config.entrypoint",
              "--config.entrypoint", KERNEL, "--author", f"unicore {__version__}"]
    config += [f"--config.cmd={a}" for a in run.args]
    config += [f"--config.env={k}={v}" for k, v in run.env.items()]
    for key, value in notes.items():
        config += ["--manifest.annotation", f"{key}={value}"]
        if key.startswith("com.urunc."):
            config += ["--config.label", f"{key}={value}"]
    umoci("config", "--image", image, *config)
    umoci("gc", "--layout", str(layout))


def manifest_digest(layout: Path, tag: str) -> str:
    index = json.loads((layout / "index.json").read_text())
    for m in index.get("manifests", []):
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return m["digest"]
    raise BadInputError(f"{layout}: no image tagged {tag!r}")
