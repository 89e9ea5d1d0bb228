"""Per-object analysis results cached as JSON by content hash.

Location: the `cache_dir` argument, else unicore.paths.analysis_cache() (<cache root>/analysis,
by default ~/.cache/unicore/analysis). One file per object: `<sha256>.json`. The summary version is part of
the file so an older format is recomputed, not misread; a damaged file is ignored.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from unicore.analysis.static.callgraph import SUMMARY_VERSION
from unicore.paths import analysis_cache


class Cache:
    def __init__(self, directory: Path | None = None):
        self.dir = Path(directory) if directory is not None else analysis_cache()
        self.hits = 0
        self.misses = 0

    def _file(self, sha256: str) -> Path:
        return self.dir / f"{sha256}.json"

    def get(self, sha256: str) -> dict | None:
        try:
            data = json.loads(self._file(sha256).read_text())
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not isinstance(data, dict) or data.get("version") != SUMMARY_VERSION or data.get("sha256") != sha256:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, summary: dict) -> None:
        """Write atomically (rename), so concurrent analyses never read half a file; best effort."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                json.dump(summary, f, separators=(",", ":"))
            os.replace(tmp, self._file(summary["sha256"]))
        except OSError:
            pass  # an unwritable cache only costs time
