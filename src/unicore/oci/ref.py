"""OCI references as `unicore pkg -o` and `unicore run` take them, and the tools behind them.

`oci:DIR:TAG` is an OCI image layout (a directory), `oci-archive:FILE:TAG` the same as one tar
file: the transports skopeo names so. The layout is written with Debian's umoci and converted,
checked and copied with skopeo; no registry client of our own.
"""

import shutil
import subprocess
from typing import NamedTuple

from unicore.errors import BadInputError, ToolMissingError, UnicoreError

TRANSPORTS = ("oci", "oci-archive")
TAG_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


class Ref(NamedTuple):
    transport: str   # oci | oci-archive
    path: str        # the layout's directory or the archive's file
    tag: str

    def __str__(self) -> str:
        return f"{self.transport}:{self.path}:{self.tag}"


def is_ref(text: str) -> bool:
    return text.split(":", 1)[0] in TRANSPORTS and ":" in text


def parse_ref(text: str) -> Ref:
    """`oci:DIR:TAG` or `oci-archive:FILE:TAG` (TAG: OCI tag characters, at most 128)."""
    transport, _, rest = text.partition(":")
    path, sep, tag = rest.rpartition(":")
    if transport not in TRANSPORTS or not sep or not path:
        raise BadInputError(f"{text!r}: expected oci:DIR:TAG or oci-archive:FILE:TAG")
    if not tag or len(tag) > 128 or not set(tag) <= TAG_CHARS or tag[0] in ".-":
        raise BadInputError(f"{text!r}: tag {tag!r} is not an OCI tag (letters, digits, _ . -, at most 128)")
    return Ref(transport, path, tag)


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if not path:
        raise ToolMissingError(f"{name} not found: install Debian's {package} (make deps)")
    return path


def call(*cmd: str) -> str:
    """Run umoci or skopeo; their error, in one line, when it fails."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except OSError as exc:
        raise UnicoreError(f"cannot run {cmd[0]}: {exc}") from None
    if proc.returncode != 0:
        message = " ".join((proc.stderr or proc.stdout).split()) or f"exit {proc.returncode}"
        raise UnicoreError(f"{cmd[0].rsplit('/', 1)[-1]} {cmd[1]} failed: {message}")
    return proc.stdout


def umoci(*args: str) -> str:
    return call(tool("umoci", "umoci"), *args)


def skopeo(*args: str) -> str:
    return call(tool("skopeo", "skopeo"), *args)
