"""A foreign-architecture Debian sysroot: a package, its Depends closure, unpacked into the cache.

Used by `build --binary` of an arm64 Debian executable on an x86_64 host (docs/arm64.md). The host
is not changed (no `dpkg --add-architecture`): apt runs with its own lists and cache under
paths.sysroots_cache()/<arch>/apt, asks for the Depends and Pre-Depends closure (`apt-cache depends --recurse`,
Recommends left out, and the packaging tools in SKIP: a sysroot is not installed, nothing runs
maintainer scripts), downloads the .debs (`apt-get download`) and unpacks each with `dpkg-deb -x` into
<arch>/<key>/root, keyed by the package versions, so the same packages give the same directory;
each package's status stanza and file list go to root/var/lib/dpkg as dpkg would keep them, so
the rootfs package policies know which package owns a sysroot file.
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

from unicore.errors import ToolMissingError, UnicoreError
from unicore.paths import sysroots_cache

SKIP = {"dpkg", "tar", "install-info", "debconf", "perl-base"}  # tools a sysroot never runs
RECIPE = 2  # 2: the package database (var/lib/dpkg) is written; bump when the layout changes


def _apt_options(arch: str) -> list[str]:
    state = sysroots_cache() / arch / "apt"
    (state / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (state / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    opts = {"APT::Architecture": arch, "APT::Architectures": arch, "Dir::State::Lists": state / "lists",
            "Dir::State::Status": "/dev/null", "Dir::Cache": state / "cache", "Debug::NoLocking": "1",
            "APT::Sandbox::User": "root"}
    return [x for k, v in opts.items() for x in ("-o", f"{k}={v}")]


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    if shutil.which(cmd[0]) is None:
        raise ToolMissingError(f"{cmd[0]} is missing (Debian package {'dpkg' if cmd[0] == 'dpkg-deb' else 'apt'})")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise UnicoreError(f"{cmd[0]} {cmd[-1]} failed: {last}")
    return proc.stdout


def depends_closure(packages: list[str], arch: str) -> dict[str, str]:
    """package -> version of `packages` and everything they Depend or Pre-Depend on, for `arch`
    (coreutils' libraries are Pre-Depends); the SKIP tools are neither taken nor followed."""
    opts = _apt_options(arch)
    if not any((sysroots_cache() / arch / "apt" / "lists").glob("*Packages*")):
        _run(["apt-get", *opts, "update"])
    out = _run(["apt-cache", *opts, "depends", "--recurse", "--no-recommends", "--no-suggests",
                "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *packages])
    graph = _depends_graph(out)
    names, todo = set(), [p for p in packages if p not in SKIP]
    while todo:
        name = todo.pop()
        if name not in names:
            names.add(name)
            todo += [d for d in graph.get(name, []) if d not in SKIP and not d.startswith("<")]
    return _versions(sorted(names), opts)


def _depends_graph(text: str) -> dict[str, list[str]]:
    """package -> the names on its Depends and PreDepends lines (alternatives included), from
    `apt-cache depends --recurse` (a package line, then its indented dependency lines)."""
    graph: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = graph.setdefault(line.strip(), [])
        elif current is not None and line.strip().lstrip("|").startswith(("Depends:", "PreDepends:")):
            current.append(line.split(":", 1)[1].strip())
    return graph


def _versions(names: list[str], opts: list[str]) -> dict[str, str]:
    """name -> candidate version, from one `apt-cache policy` (a block per package, in order)."""
    found, current = {}, None
    for line in _run(["apt-cache", *opts, "policy", *names]).splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1].split(":")[0]
        elif current and line.strip().startswith("Candidate:"):
            found[current] = line.split(":", 1)[1].strip()
    missing = [n for n in names if found.get(n, "(none)") == "(none)"]
    if missing:
        raise UnicoreError(f"{missing[0]}: no candidate version in the Debian archive")
    return {n: found[n] for n in names}


def debian_sysroot(packages: list[str], arch: str = "arm64") -> Path:
    """The root directory of `packages` and their Depends closure for `arch`, unpacked (cached)."""
    closure = depends_closure(packages, arch)
    key = hashlib.sha256(repr([RECIPE, sorted(closure.items())]).encode()).hexdigest()[:16]
    top = sysroots_cache() / arch / key
    if (top / "packages.txt").exists():
        return top / "root"
    tmp = top.with_name(key + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "debs").mkdir(parents=True)
    _run(["apt-get", *_apt_options(arch), "download", *(f"{n}={v}" for n, v in closure.items())], cwd=tmp / "debs")
    for deb in sorted((tmp / "debs").glob("*.deb")):
        listing = _run(["dpkg-deb", "-X", str(deb), str(tmp / "root")])
        _record(tmp / "root", deb, listing)
    (tmp / "packages.txt").write_text("".join(f"{n} {v}\n" for n, v in closure.items()))
    shutil.rmtree(tmp / "debs")
    shutil.rmtree(top, ignore_errors=True)
    tmp.rename(top)
    return top / "root"


def _record(root: Path, deb: Path, listing: str) -> None:
    """The unpacked package in root/var/lib/dpkg as dpkg keeps it (a status stanza, info/NAME.list
    of its paths), for the rootfs package policies (rootfs/dpkg.py reads it)."""
    fields = _run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Pre-Depends", "Depends"])
    db = root / "var/lib/dpkg"
    (db / "info").mkdir(parents=True, exist_ok=True)
    name = next(line.split(":", 1)[1].strip() for line in fields.splitlines() if line.startswith("Package:"))
    paths = ["/" + p.strip().lstrip("./").rstrip("/") for p in listing.splitlines() if p.strip() not in ("", "./")]
    (db / "info" / f"{name}.list").write_text("".join(p + "\n" for p in paths))
    with open(db / "status", "a") as status:
        status.write(fields.rstrip("\n") + "\nStatus: install ok installed\n\n")
