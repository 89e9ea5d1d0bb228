"""Debian's package database, read directly: which package owns a path, a package's files, its
dependencies (/var/lib/dpkg/info/*.list and /var/lib/dpkg/status, the files dpkg -S and
dpkg-query read).

A path is looked up as given, canonical (the parent directory resolved, the name kept) and
through the top-level directory symlinks of merged /usr: /usr/lib/x86_64-linux-gnu/libc.so.6 (as
a program may open it) is /lib/x86_64-linux-gnu/libc.so.6 (as dpkg lists it).
"""

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DPKG_DIR = Path("/var/lib/dpkg")


@cache
def _real_dir(path: str) -> str:
    return os.path.realpath(path or "/")


def canonical(path: str) -> str:
    """`path` with its parent directory resolved (symlinked directories followed), name kept."""
    parent, name = os.path.split(path)
    return os.path.join(_real_dir(parent), name)


@cache
def _top_links() -> tuple[tuple[str, str], ...]:
    """(/lib, /usr/lib)-style pairs: the symlinked top-level directories of merged /usr."""
    out = []
    for name in sorted(os.listdir("/")):
        link = "/" + name
        if os.path.islink(link) and os.path.isdir(link):
            out.append((link, os.path.realpath(link)))
    return tuple(out)


def _aliases(path: str) -> list[str]:
    """`path` and its spellings through the top-level directory symlinks (as dpkg may list it)."""
    out = [path]
    for link, target in _top_links():
        if path.startswith(target + "/"):
            out.append(link + path[len(target):])
    return out


@dataclass
class Package:
    name: str                      # without the :arch qualifier
    files: list[str] = field(default_factory=list)   # as dpkg lists them
    depends: list[str] = field(default_factory=list)  # first alternative of each Depends/Pre-Depends


@dataclass
class Database:
    packages: dict[str, Package]
    owners: dict[str, str]         # path as dpkg lists it -> package name

    def owner(self, path: str) -> str | None:
        """The package that ships `path` (or the file it resolves to), or None."""
        for candidate in (path, *_aliases(canonical(path)), *_aliases(os.path.realpath(path))):
            if candidate in self.owners:
                return self.owners[candidate]
        return None

    def depends_closure(self, names: set[str]) -> set[str]:
        """`names` and every installed package they depend on, transitively."""
        seen, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.packages:
                continue
            seen.add(name)
            todo += self.packages[name].depends
        return seen


def _depends(field_text: str) -> list[str]:
    """Package names of a Depends field: the first alternative of each clause, no versions."""
    names = []
    for clause in field_text.split(","):
        first = clause.split("|")[0].strip()
        match = re.match(r"[a-z0-9][a-z0-9+.-]*", first)
        if match:
            names.append(match.group(0))
    return names


def _status(root: Path) -> dict[str, list[str]]:
    """Installed package -> dependencies, from the status file's stanzas."""
    out: dict[str, list[str]] = {}
    try:
        text = (root / "status").read_text(errors="replace")
    except OSError:
        return out
    for stanza in text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", stanza, re.M))
        if "installed" in fields.get("Status", "").split()[-1:]:
            deps = _depends(fields.get("Pre-Depends", "")) + _depends(fields.get("Depends", ""))
            out[fields["Package"]] = deps
    return out


@cache
def load(root: Path = DPKG_DIR) -> Database:
    """The whole database (about 900 packages, 130,000 paths here: a fraction of a second)."""
    deps = _status(root)
    packages: dict[str, Package] = {}
    owners: dict[str, str] = {}
    for listing in sorted((root / "info").glob("*.list")):
        name = listing.name[:-len(".list")].split(":")[0]
        files = [line for line in listing.read_text(errors="replace").splitlines() if line not in ("", "/.")]
        packages[name] = Package(name, files, deps.get(name, []))
        for path in files:
            owners.setdefault(path, name)
    return Database(packages, owners)
