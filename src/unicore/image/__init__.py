"""The image build system: compile the plan's libraries and link one bootable image with ninja.

Public API: `build_image(plan, program, output, build_dir, debug=False) -> Path` (build.py).
"""

from unicore.image.build import build_image

__all__ = ["build_image"]
