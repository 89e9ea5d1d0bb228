"""Guest RAM when the user gives no -m: enough for the image, its root file system unpacked into
ramfs, and the program's own heap and stack.

The image is loaded whole into RAM (kernel, program, rootfs archive); the initrd library copies
every file into ramfs before it gives the archive's pages back, so for a moment the rootfs is
there twice. 48 MiB on top leaves the program what 64 MiB always left a small image.
"""

from pathlib import Path

FLOOR_MB = 64
HEADROOM_MB = 48
STEP_MB = 16


def default_mem_mb(image: Path) -> int:
    """max(64, 2 x the image + 48) MiB, rounded up to 16 MiB (a 42 MiB Python image: 144)."""
    try:
        size_mb = -(-Path(image).stat().st_size // (1 << 20))
    except OSError:
        return FLOOR_MB
    wanted = 2 * size_mb + HEADROOM_MB
    return max(FLOOR_MB, -(-wanted // STEP_MB) * STEP_MB)
