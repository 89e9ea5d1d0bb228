"""Which host files go into the guest's root file system, by policy, in named groups.

File policies (docs/rootfs.md):
- `trace`: the program, its library closure, and the files one analysis run opened or found
  (the behaviour before packages: a run that never imported `email` gets no `email`);
- `package` (default): that, plus a base every Linux program expects (/tmp, /etc/passwd, ...),
  the runtime files of every Debian package owning a traced file, interpreter families whole
  (python3.X, perl, ruby, node, tcl, lua), the libraries those files need, libraries named in
  dlopen strings, and zoneinfo when the program reads the local time or TZ is set;
- `package+depends`: that, plus the runtime files of those packages' dependencies, transitively.

`--policy` takes a syscall policy (static+dynamic, static, dynamic), a file policy, or both
separated by a comma: `--policy dynamic,package+depends`.
"""

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from unicore.image import rootfs as guestfs
from unicore.analysis.report import POLICIES as SYSCALL_POLICIES
from unicore.errors import BadInputError, UnicoreError
from unicore.formats import elf
from unicore.image.rootfs import Entry
from unicore.rootfs import base, dpkg, libraries

FILE_POLICIES = ("trace", "package", "package+depends")
DEFAULT_POLICY = ("static+dynamic", "package")

# Package files that are not needed to run anything: documentation, manuals, shell completion,
# C headers (Perl's CORE/*.h: 8 MB) and static libraries, service-manager files, desktop integration.
NOT_RUNTIME = re.compile(r"^/usr/share/(doc|doc-base|man|info|lintian|bug|menu|bash-completion|zsh|fish|"
                         r"applications|icons|pixmaps|gdb|metainfo|appdata|pkgconfig|i18n)/|^/usr/include/|"
                         r"^/usr/lib/[^/]+/pkgconfig/|\.a$|\.h$|\.pod$|/pod/|^/etc/(init\.d|cron\.[a-z]+|logrotate\.d|"
                         r"systemd)/|^/(usr/)?lib/systemd/")
# Plug-in sets loaded one file at a time on request, large as a whole: under `package` only the
# files the run used come (`package+depends` brings them all).
ON_DEMAND = {"/usr/lib/x86_64-linux-gnu/gconv/": "iconv's charset converters (8 MB)",
             "/usr/lib/aarch64-linux-gnu/gconv/": "iconv's charset converters (arm64 sysroots)"}
LOCALE_DIR = re.compile(r"^/usr/share/locale/([^/]+)/")
EXECUTABLE_DIRS = ("/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/games/", "/usr/local/bin/")

# Interpreter families: a traced file of one of these packages brings every installed package of
# the family whole (its whole standard library: a run imports only what its script needed).
FAMILIES = {
    "python": re.compile(r"^python3\.\d+(-minimal)?$|^libpython3\.\d+-(minimal|stdlib)$"),
    "perl": re.compile(r"^(perl|perl-base|perl-modules-[\d.]+|libperl[\d.]+)$"),
    "ruby": re.compile(r"^(lib)?ruby[\d.]*$|^ruby-|^rubygems-integration$"),
    "node": re.compile(r"^nodejs$|^libnode\d+$|^node-"),
    "tcl": re.compile(r"^(lib)?tcl8\.\d+$"),
    "lua": re.compile(r"^(lib)?lua5\.\d+(-0)?$"),
}


def interpreter_family(program: str) -> str | None:
    """The interpreter family (python, perl...) whose package owns `program`, if any."""
    owner = dpkg.load().owner(program)
    return next((f for f, pattern in FAMILIES.items() if owner and pattern.match(owner)), None)


def parse_policy(text: str) -> tuple[str, str]:
    """`--policy` value -> (syscall policy, file policy); either half may be left out."""
    syscalls, files = DEFAULT_POLICY
    for part in (p.strip() for p in text.split(",")):
        if part in SYSCALL_POLICIES:
            syscalls = part
        elif part in FILE_POLICIES:
            files = part
        else:
            raise BadInputError(f"--policy {text}: unknown policy {part!r}; syscalls: "
                                f"{', '.join(SYSCALL_POLICIES)}; files: {', '.join(FILE_POLICIES)}")
    return syscalls, files


@dataclass
class Group:
    name: str
    reason: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(_file_size(e) for e in self.entries)


@dataclass
class Rootfs:
    policy: str
    groups: list[Group]
    skipped: list[str]

    def describe(self, archive_bytes: int) -> dict:
        """What rootfs.json holds: the policy, the archive's size, each group with its files."""
        return {"policy": self.policy, "archive_bytes": archive_bytes, "skipped": self.skipped,
                "groups": [{"name": g.name, "reason": g.reason, "bytes": g.size,
                            "files": [{"path": e.guest, "why": e.reason} | ({"symlink": e.symlink} if e.symlink else {})
                                      for e in g.entries]} for g in self.groups]}

    def entries(self) -> list[Entry]:
        """Every entry once (the first group naming a guest path wins), with parent directories
        and the host's directory symlinks (/lib -> usr/lib)."""
        return guestfs.merge(*[_place(g.entries) for g in self.groups if g.entries])


def _file_size(entry: Entry) -> int:
    if entry.symlink is not None or entry.host is None:
        return 0
    try:
        return entry.host.stat().st_size if entry.host.is_file() else 0
    except OSError:
        return 0


def _dir_links(path: str) -> list[Entry]:
    """Entries for the symlinked directories on the way to `path` (at their canonical place)."""
    links, prefix = [], ""
    for part in Path(path).parent.parts[1:]:
        prefix += "/" + part
        if os.path.islink(prefix):
            links.append(Entry(dpkg.canonical(prefix), None, "directory symlink, as on the host",
                               os.readlink(prefix)))
    return links


def _place(entries: list[Entry]) -> list[Entry]:
    """Host files at their canonical guest paths (so /lib/x/libc.so.6 and /usr/lib/x/libc.so.6
    are one file), with the directory symlinks that make the other spellings work."""
    out = []
    for entry in entries:
        if entry.host is None or str(entry.host) != entry.guest:
            out.append(entry)
            continue
        out += _dir_links(entry.guest)
        if entry.symlink is not None:  # the target's spelling may cross symlinked directories too
            out += _dir_links(os.path.join(os.path.dirname(entry.guest), entry.symlink))
        out.append(replace(entry, guest=dpkg.canonical(entry.guest)))
    return out


def assemble(program_entries: list[Entry], traced: list[str], policy: str, build_dir: Path,
             user_entries: list[Entry] = (), executed: list[str] = (), sysroot: Path | None = None) -> Rootfs:
    """The groups of the root file system for `policy` (one of FILE_POLICIES); `executed`: the
    programs the analysis runs started with execve (they come with their closures); `sysroot`:
    where traced paths are looked up first (a foreign binary's run under qemu-user -L)."""
    chosen, skipped = guestfs.from_report(traced, sysroot=sysroot)
    rootfs = Rootfs(policy, [], skipped)
    seen: set[str] = set()
    _add(rootfs, seen, Group("user files", "given with --rootfs or --file", list(user_entries)))
    _add(rootfs, seen, Group("program", "the program and the shared libraries it loads", program_entries))
    _add(rootfs, seen, Group("executed", "programs the analysis runs started (execve), with their libraries",
                             _executed(executed, seen)))
    rootfs.skipped = [p for p in skipped if dpkg.canonical(p) not in seen]
    _add(rootfs, seen, Group("traced", "opened or found by the program in the analysis run", chosen))
    if policy == "trace":
        return rootfs
    _add(rootfs, seen, Group("base", "what every Linux program expects",
                             base.entries(build_dir, traced, host_links=sysroot is None)))
    if sysroot:  # guest paths, the sysroot's own package database (program/sysroot.py)
        program = program_entries[0].guest if program_entries else ""
        seeds = [e.guest for e in program_entries if e.host] + traced
    else:
        program = str(program_entries[0].host) if program_entries else ""
        seeds = [str(e.host) for e in program_entries if e.host] + traced
    for name, reason in _packages(policy, seeds, sysroot).items():
        files = _runtime(name, program, _languages(traced), policy == "package+depends", sysroot)
        _add(rootfs, seen, Group(f"package {name}", reason, files))
    if sysroot is None:  # the DT_NEEDED search is the host's (a sysroot's closure is the static one)
        _add_libraries(rootfs, seen)
    _links_as_on_host(rootfs, seen, sysroot)
    return rootfs


def _database(sysroot: Path | None) -> dpkg.Database:
    return dpkg.load(Path(sysroot) / "var/lib/dpkg") if sysroot else dpkg.load()


def _on_host(path: str, sysroot: Path | None) -> str:
    """Where the guest's `path` is on the host: inside `sysroot` when given."""
    return os.path.join(sysroot, path.lstrip("/")) if sysroot else path


def _interpreter(path: str) -> str | None:
    """The PT_INTERP loader of an ELF file, or a `#!` script's interpreter."""
    with open(path, "rb") as f:
        data = f.read(4096)
    if data.startswith(b"#!"):
        words = data[2:].split(b"\n")[0].split()
        return words[0].decode(errors="replace") if words else None
    try:
        header = elf.parse(data, path)
    except UnicoreError:
        return None
    seg = next((s for s in header.segments if s.type == elf.PT_INTERP), None)
    return data[seg.offset:seg.offset + seg.filesz].rstrip(b"\0").decode() if seg and seg.offset + seg.filesz <= len(data) else None


def _executed(paths: list[str], seen: set[str]) -> list[Entry]:
    """Executed programs (their symlinks as on the host), their interpreters and shared libraries."""
    out, todo, done = [], [p for p in paths if os.path.isfile(p)], set()
    while todo:
        path = todo.pop(0)
        if path in done or not os.path.isfile(path):
            continue
        done.add(path)
        why = "run by the program (execve in the analysis, or named in its strings: analysis/static/programs.py)"
        if os.path.islink(path):
            out.append(Entry(path, Path(path), why, os.readlink(path)))
            todo.append(os.path.realpath(path))
        else:
            out.append(Entry(path, Path(path), why))
        interp = _interpreter(os.path.realpath(path))
        if interp:
            todo.append(interp)
    libs = libraries.closure([e.guest for e in out if e.symlink is None], seen)
    return out + [Entry(lib, Path(lib), f"needed by {who}") for lib, who in libs.items()]


def _add(rootfs: Rootfs, seen: set[str], group: Group) -> None:
    """Append `group` with only the entries no earlier group has (by canonical guest path)."""
    fresh = []
    for entry in group.entries:
        key = dpkg.canonical(entry.guest) if entry.host is not None and str(entry.host) == entry.guest else entry.guest
        if key not in seen:
            seen.add(key)
            fresh.append(entry)
    if fresh:
        rootfs.groups.append(replace(group, entries=fresh))


def _packages(policy: str, seeds: list[str], sysroot: Path | None = None) -> dict[str, str]:
    """Package name -> why it comes, for the files the program loaded, opened or found."""
    db = _database(sysroot)
    chosen: dict[str, str] = {}
    for path in seeds:
        if not os.path.isfile(_on_host(path, sysroot)):  # a directory (/usr/lib) belongs to many packages
            continue
        owner = db.owner(path)
        if owner and owner not in chosen:
            chosen[owner] = f"owns {path}"
    if base.reads_local_time(seeds) or os.environ.get("TZ"):
        chosen.setdefault("tzdata", "zoneinfo: the program reads the local time" if base.reads_local_time(seeds)
                          else "zoneinfo: TZ is set")
    for owner in list(chosen):
        family = next((f for f, pattern in FAMILIES.items() if pattern.match(owner)), None)
        for name in sorted(db.packages) if family else ():
            if FAMILIES[family].match(name):
                chosen.setdefault(name, f"interpreter {family}, whole: {owner} {chosen[owner]}")
    if policy == "package+depends":
        for name in sorted(db.depends_closure(set(chosen)) - set(chosen)):
            chosen[name] = "a dependency of the packages above"
    return {name: chosen[name] for name in chosen if name in db.packages}


def _languages(traced: list[str]) -> set[str]:
    """Message catalogue languages asked for: the ones the run read, and the build's environment's."""
    langs = {m.group(1) for m in map(LOCALE_DIR.match, traced) if m}
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for value in os.environ.get(var, "").split(":"):
            lang = value.split(".")[0]
            if lang and lang not in ("C", "POSIX"):
                langs |= {lang, lang.split("_")[0]}
    return langs


def _runtime(name: str, program: str, langs: set[str], on_demand: bool, sysroot: Path | None = None) -> list[Entry]:
    """The package's files a program can use at run time (not docs, manuals, other programs)."""
    out, why = [], f"runtime file of {name}"
    for path in _database(sysroot).packages[name].files:
        locale = LOCALE_DIR.match(path)
        if NOT_RUNTIME.search(path) or (locale and locale.group(1) not in langs) \
                or any(path.startswith(n) for n in guestfs.NEVER) \
                or (not on_demand and dpkg.canonical(path).startswith(tuple(ON_DEMAND))):
            continue
        if path.startswith(EXECUTABLE_DIRS) and dpkg.canonical(path) != dpkg.canonical(program):
            continue  # one program per image: another executable could only run through execve
        host = _on_host(path, sysroot)
        if os.path.islink(host):
            out.append(Entry(path, Path(host), why, os.readlink(host)))
        elif os.path.isfile(host):
            out.append(Entry(path, Path(host), why))
    return out


def _host_files(rootfs: Rootfs) -> list[str]:
    return [str(e.host) for g in rootfs.groups for e in g.entries
            if e.host is not None and e.symlink is None and e.host.is_file()]


def _add_libraries(rootfs: Rootfs, seen: set[str]) -> None:
    """Libraries the brought objects need (DT_NEEDED), and those named in dlopen strings."""
    files = _host_files(rootfs)
    needs = libraries.closure(files, seen)
    _add(rootfs, seen, Group("needed libraries", "DT_NEEDED of brought objects (extension modules...)",
                             [Entry(lib, Path(lib), f"needed by {who}") for lib, who in needs.items()]))
    program_objects = [str(e.host) for g in rootfs.groups if g.name == "program" for e in g.entries
                       if e.host is not None and e.host.is_file()]
    named = {}
    for obj in program_objects:
        for lib_name in libraries.dlopen_names(obj):
            lib = libraries.find_library(lib_name)
            if lib and dpkg.canonical(lib) not in seen and lib not in named:
                named[lib] = f"named in a dlopen string of {obj}"
    more = libraries.closure(list(named), seen | {dpkg.canonical(p) for p in named})
    named.update({lib: f"needed by {who}" for lib, who in more.items()})
    _add(rootfs, seen, Group("dlopen libraries", "libraries the program's objects may dlopen",
                             [Entry(lib, Path(lib), why) for lib, why in named.items()]))


def _links_as_on_host(rootfs: Rootfs, seen: set[str], sysroot: Path | None = None) -> None:
    """A host symlink stays a symlink when the guest has its target (the loader's /lib64 name
    is not a second copy of ld.so), and becomes a copy of the target's bytes when not (inside
    `sysroot`: its links, their targets as guest paths)."""
    root = os.path.realpath(sysroot) if sysroot else "/"
    for group in rootfs.groups:
        for i, entry in enumerate(group.entries):
            if entry.host is None or str(entry.host) != _on_host(entry.guest, sysroot) or not entry.host.is_symlink():
                continue
            target = "/" + os.path.relpath(os.path.realpath(entry.host), root)
            present = target in seen and entry.host.is_file()
            if entry.symlink is not None and not present and entry.host.is_file():
                group.entries[i] = replace(entry, symlink=None)
            elif entry.symlink is None and present:
                group.entries[i] = replace(entry, symlink=os.readlink(entry.host))
