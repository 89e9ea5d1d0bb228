"""`unicore run oci:DIR:TAG` / `oci-archive:FILE:TAG`: an image packaged by `unicore pkg`, read
back with skopeo (manifest, config: the platform, Cmd, Env, annotations) and umoci (the layers,
unpacked into a temporary bundle; umoci checks every blob's digest as it reads it)."""

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from unicore.errors import BadInputError
from unicore.oci.package import KERNEL, RunSettings
from unicore.oci.ref import Ref, skopeo, umoci


class Packaged(NamedTuple):
    kernel: Path        # the image file, unpacked
    run: RunSettings    # how it was packaged to run
    annotations: dict[str, str]


def _layout(ref: Ref, tmp: Path) -> Path:
    """The image layout holding `ref`: its own directory, or the archive copied out by skopeo."""
    if not Path(ref.path).exists():
        raise BadInputError(f"{ref}: {ref.path} does not exist")
    if ref.transport == "oci":
        return Path(ref.path)
    layout = tmp / "layout"
    skopeo("copy", "-q", f"oci-archive:{ref.path}:{ref.tag}", f"oci:{layout}:{ref.tag}")
    return layout


def _settings(config: dict, notes: dict[str, str]) -> RunSettings:
    env = dict(e.split("=", 1) for e in (config.get("Env") or []) if "=" in e)
    memory = notes.get("dev.unicore.memory", "")
    return RunSettings(list(config.get("Cmd") or []), env, notes.get("dev.unicore.argv0") or None,
                       int(memory) if memory.isdigit() else None)


@contextmanager
def unpacked(ref: Ref) -> Iterator[Packaged]:
    """The packaged kernel and its run settings, in a temporary directory for the block's time."""
    with tempfile.TemporaryDirectory(prefix="unicore-oci-") as tmp:
        layout = _layout(ref, Path(tmp))
        source = f"oci:{layout}:{ref.tag}"
        manifest = json.loads(skopeo("inspect", "--raw", source))
        config = json.loads(skopeo("inspect", "--config", "--raw", source))
        notes = manifest.get("annotations") or {}
        if notes.get("com.urunc.unikernel.unikernelType") != "unicore":
            raise BadInputError(f"{ref}: not an image packaged by `unicore pkg` (no unicore annotations)")
        bundle = Path(tmp) / "bundle"
        umoci("unpack", "--rootless", "--image", f"{layout}:{ref.tag}", str(bundle))
        kernel = bundle / "rootfs" / KERNEL.lstrip("/")
        if not kernel.is_file():
            raise BadInputError(f"{ref}: the image has no {KERNEL}")
        yield Packaged(kernel, _settings(config.get("config") or {}, notes), notes)
