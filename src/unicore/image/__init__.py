"""The image build system: compile the plan's libraries and link one bootable image with ninja.

Public API: `build_image(plan, program, output, build_dir, debug=False) -> Path` (build.py),
imported on first use so that `unicore.image.facts` (what the runner reads of an image linked
without the pipeline) does not bring in the build's imports (pyelftools among them).
"""

__all__ = ["build_image"]


def __getattr__(name: str):
    if name == "build_image":
        from unicore.image.build import build_image
        return build_image
    raise AttributeError(f"module 'unicore.image' has no attribute {name!r}")
