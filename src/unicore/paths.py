"""Where unicore keeps its caches: the one owner of every cache path.

The root is $UNICORE_CACHE when set, else $XDG_CACHE_HOME/unicore, else ~/.cache/unicore (the XDG
base directory convention). Everything under it is content-keyed, so several users of one
machine (or several checkouts) may share it safely.
"""

from __future__ import annotations  # Path in annotations only: pathlib loads on first use

import os


def cache_root_name() -> str:
    """The cache root as a string (the launch fast path, runner/launch.py, imports no pathlib)."""
    override = os.environ.get("UNICORE_CACHE")
    if override:
        return override
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "unicore")


def cache_root() -> Path:
    from pathlib import Path
    return Path(cache_root_name())


def launch_cache_name() -> str:
    """Launch records, one per image path (runner/launch.py)."""
    return os.path.join(cache_root_name(), "runner", "launch")


def sources_cache() -> Path:
    """Verified Debian source packages (program/fetch.py)."""
    return cache_root() / "sources"


def builds_cache() -> Path:
    """Programs built from external projects, keyed by source, compiler and flags (program/external.py)."""
    return cache_root() / "builds"


def analysis_cache() -> Path:
    """Per-object static-analysis summaries, keyed by content hash (analysis/static/cache.py)."""
    return cache_root() / "analysis"


def bench_cache() -> Path:
    """The bench's Debian system and unikernel builds (bench/)."""
    return cache_root() / "bench"


def images_cache() -> Path:
    """Linked images, keyed by the content hash of everything the link reads (image/cache.py)."""
    return cache_root() / "images"
def sysroots_cache() -> Path:
    """Foreign-architecture Debian sysroots: .debs unpacked with dpkg-deb -x (program/sysroot.py)."""
    return cache_root() / "sysroots"


def tender_cache() -> Path:
    """The spt tender, compiled once per source and compiler (runner/spt.py)."""
    return cache_root() / "spt"


def runner_cache() -> Path:
    """Host facts the runner probed once (runner/hostcache.py): keyed by what they depend on."""
    return cache_root() / "runner"


def file_sha256(path: Path) -> str:
    """A file's content key (cache entries are keyed by what they were made from), read in
    1 MiB chunks."""
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
