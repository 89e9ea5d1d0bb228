"""Issue 18: reproducible, cacheable, offline builds.

Two builds of the same inputs give byte-identical images; the image cache is keyed by the
content hash of the link's inputs and may be shared (UNICORE_CACHE); a build needs no network
once its sources are cached (run under `unshare -n`, a network namespace with no interfaces up).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "examples" / "hello" / "hello.c"
CAN_UNSHARE = shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def build(source: Path, out: Path, cache: Path | None, *extra: str, prefix: tuple[str, ...] = (),
          cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"UNICORE_CACHE": str(cache)} if cache else {})}
    proc = subprocess.run([*prefix, sys.executable, "-m", "unicore", "build", str(source), "-o", str(out / "app.img"),
                           "--build-dir", str(out / "build"), *extra], capture_output=True, text=True,
                          timeout=900, env=env, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """hello built once with an empty cache: the image every other build must equal."""
    out = tmp_path_factory.mktemp("reference")
    proc = build(HELLO, out, out / "cache")
    assert "from the cache" not in proc.stderr and (out / "build" / "kernel.elf").is_file()  # linked
    return out / "app.img"


def test_two_builds_of_the_same_inputs_are_byte_identical(reference, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    second = build(HELLO, tmp_path / "two" / "deeper", tmp_path / "cache2", cwd=tmp_path / "elsewhere")
    assert "from the cache" not in second.stderr and (tmp_path / "two" / "deeper" / "build" / "kernel.elf").is_file()
    assert reference.read_bytes() == (tmp_path / "two" / "deeper" / "app.img").read_bytes()


def test_shared_cache_is_keyed_by_content(tmp_path):
    cache = tmp_path / "shared"
    build(HELLO, tmp_path / "a", cache)
    entries = list((cache / "images").rglob("*.img"))
    assert len(entries) == 1 and entries[0].read_bytes() == (tmp_path / "a" / "app.img").read_bytes()
    hit = build(HELLO, tmp_path / "b", cache)  # another builder, same inputs: the cache's image
    assert "from the cache" in hit.stderr and not (tmp_path / "b" / "build" / "kernel.elf").exists()
    assert (tmp_path / "b" / "app.img").read_bytes() == (tmp_path / "a" / "app.img").read_bytes()
    assert (tmp_path / "b" / "app.img.plan.json").is_file()
    source = tmp_path / "hello.c"  # same file name, other bytes: another key
    source.write_text(HELLO.read_text().replace("Hello", "Howdy"))
    miss = build(source, tmp_path / "c", cache)
    assert "from the cache" not in miss.stderr and len(list((cache / "images").rglob("*.img"))) == 2


@pytest.mark.skipif(not CAN_UNSHARE, reason="unshare -n (a network namespace) needs root or user namespaces")
def test_build_offline(reference, tmp_path):
    """No network at all: a fresh cache, so the whole build (compile, analysis, link) runs."""
    offline = build(HELLO, tmp_path / "off", tmp_path / "c2", prefix=("unshare", "-n"))
    assert "from the cache" not in offline.stderr
    assert (tmp_path / "off" / "app.img").read_bytes() == reference.read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(not CAN_UNSHARE, reason="unshare -n (a network namespace) needs root or user namespaces")
def test_project_with_debian_sources_builds_offline_once_cached(tmp_path):
    """examples/sqlite fetches Debian's sqlite3 source: once it is in the cache, no network is needed."""
    sources = Path(os.environ.get("UNICORE_CACHE") or Path.home() / ".cache" / "unicore") / "sources"
    if not any(sources.glob("sqlite3_*")):
        pytest.skip("Debian's sqlite3 source is not cached yet (build examples/sqlite once online)")
    proc = build(ROOT / "examples" / "sqlite", tmp_path / "sqlite", None, prefix=("unshare", "-n"))
    assert (tmp_path / "sqlite" / "app.img").stat().st_size > 100_000, proc.stderr
