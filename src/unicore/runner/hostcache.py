"""Host facts the runner would otherwise probe on every run, cached on disk.

Each fact is stored with a stamp of what it depends on (this boot's id for /proc/cpuinfo, a
binary's size, mtime and inode for what it links): a changed stamp probes again. One small JSON
file, `runner_cache()/host.json`, replaced atomically; a cache that cannot be written only costs
the probe.
"""

import json
import os

from unicore.paths import runner_cache

BOOT_ID = "/proc/sys/kernel/random/boot_id"


def boot_stamp() -> str:
    """This boot's id: facts of the running kernel and CPU hold until the next boot."""
    try:
        with open(BOOT_ID) as f:
            return f.read().strip()
    except OSError:
        return ""


def file_stamp(path: str) -> str:
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _load(path) -> dict:
    try:
        with open(path) as f:
            facts = json.load(f)
        return facts if isinstance(facts, dict) else {}
    except (OSError, ValueError):
        return {}


def _store(path, facts: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(facts, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def cached(name: str, stamp: str, probe):
    """probe()'s value for `name`, from the cache when it was probed under the same `stamp`."""
    path = runner_cache() / "host.json"
    facts = _load(path)
    entry = facts.get(name)
    if isinstance(entry, list) and len(entry) == 2 and entry[0] == stamp and stamp:
        return entry[1]
    value = probe()
    facts[name] = [stamp, value]
    _store(path, facts)
    return value
