"""The launch record and `unicore run`'s fast path (issue 19, docs/run.md "Launcher").

The common run (an image file, no volumes, no -p or --net: the plain user network is fine,
stdin not a terminal, no --timings) is supervised by a small C program, `unicore-launch`
(launcher/launcher.c, compiled once and cached like the spt tender), that `unicore run` execs: no Python stays in the process
tree. What it runs is a launch record, written by the first such run of an image and read by
every later one before the CLI framework is imported:

    NUL-separated fields, each KEY=VALUE:
    version=unicore-launch-record 2
    dep=PATH<TAB>STAMP    a file the record was computed from (size:mtime_ns:inode; "-": absent)
    env=NAME<TAB>VALUE    an environment variable it depended on (TMPDIR, PATH)
    boot=ID               the boot it was computed in (the host cache's facts hold until reboot)
    accel=auto|kvm|tcg    the --accel asked for; mem=MB the guest RAM (default_mem=MB without -m)
    notice=LINE           what `unicore run` says on stderr first (the accelerator and why)
    opt=WORD              the launcher's own options (mode, identity, image copy, normal exits)
    token=WORD            a kernel token the runner adds before the program's (the user network's)
    arg=WORD              the VMM's argv; "@CMDLINE@" stands for the kernel command line

A stale or missing record, or anything outside the common case, falls through to the full CLI,
which writes a fresh record and execs the launcher too. This module's top level imports only os
and sys (and runner/cmdline.py): the guard tests/runner/test_run_path.py checks the imports.
"""

import os
import sys

from unicore.paths import launch_cache_name
from unicore.runner.cmdline import kernel_cmdline

VERSION = "unicore-launch-record 2"
CMDLINE = "@CMDLINE@"
IMAGE = "@IMAGE@"          # the launcher's copy of the image (an unprivileged VMM)
ENV_KEYS = ("TMPDIR", "PATH")
BOOT_ID = "/proc/sys/kernel/random/boot_id"
GUEST_CON, GUEST_CTL = 3, 4  # the VMM's fds for the console channel and COM2 (launcher.c)
VALUED = {"-m": "mem", "--mem": "mem", "-e": "env", "--env": "env", "--accel": "accel",
          "--timeout": "timeout", "--argv0": "argv0", "-w": "workdir", "--workdir": "workdir"}
FLAGS = {"--debug": "debug", "--boottime": "boottime"}
LISTS = ("dep", "env", "opt", "arg", "token")  # the record's repeated fields


# ---- reading: the fast path ----

def record_path(image: str) -> str | None:
    """The record of an image, by its real path (None when the name would be too long)."""
    name = os.path.realpath(image).replace("%", "%25").replace("/", "%2F")
    return os.path.join(launch_cache_name(), name) if len(name) < 250 else None


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _boot_id() -> str:
    try:
        with open(BOOT_ID) as f:
            return f.read().strip()
    except OSError:
        return ""


def _trusted(st: os.stat_result) -> bool:
    """A record (or launcher) we would exec from: ours or root's, writable by nobody else (the
    cache may be shared by several users: paths.py; a record names a program to run)."""
    return st.st_uid in (os.geteuid(), 0) and not st.st_mode & 0o022


def parse_run_args(argv: list[str]) -> dict | None:
    """The common `unicore run` arguments (argparse's meaning, intermixed); None for anything
    else (an unknown or abbreviated option, a value that looks like an option): argparse decides."""
    opts = {"env": [], "args": [], "debug": False, "boottime": False}
    words, i = [], 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            opts["args"] += argv[i + 1:]
            break
        key, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if key in VALUED:
            if not eq:
                if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                    return None
                value, i = argv[i + 1], i + 1
            opts["env"].append(value) if VALUED[key] == "env" else opts.__setitem__(VALUED[key], value)
        elif word in FLAGS:
            opts[FLAGS[word]] = True
        elif word.startswith("-"):
            return None
        else:
            words.append(word)
        i += 1
    if not words:
        return None
    opts["image"], opts["args"] = words[0], [*words[1:], *opts["args"]]
    return opts


def _typed(opts: dict) -> dict | None:
    """-m as int, --timeout as a positive float, -e as KEY=VALUE pairs; None when argparse would
    complain (its message is the one users get)."""
    try:
        mem = None if opts.get("mem") is None else int(opts["mem"])
        timeout = None if opts.get("timeout") is None else float(opts["timeout"])
    except ValueError:
        return None
    if not opts.get("workdir", "/").startswith("/"):
        return None  # the full CLI's one line
    env = {}
    for pair in opts["env"]:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            return None
        env[key] = value
    if timeout is not None and not timeout > 0:
        return None
    return {**opts, "mem": mem, "timeout": timeout, "env": env, "accel": opts.get("accel", "auto")}


def load_record(image: str, accel: str, mem: int | None) -> dict | None:
    """The image's record when it still holds for this host, these files and this request."""
    path = record_path(image)
    try:
        with open(path, "rb") as f:
            if not _trusted(os.fstat(f.fileno())):
                return None
            fields = f.read().decode().split("\0")
    except (OSError, TypeError, UnicodeDecodeError):
        return None
    rec = {"dep": [], "env": [], "opt": [], "arg": [], "token": []}
    for field in fields:
        key, _, value = field.partition("=")
        rec[key].append(value) if key in LISTS else rec.__setitem__(key, value)
    if rec.get("version") != VERSION or rec.get("accel") != accel or rec.get("boot") != _boot_id():
        return None
    if str(mem if mem is not None else rec.get("default_mem")) != rec.get("mem"):
        return None
    for dep in rec["dep"]:
        dep_path, _, stamp = dep.partition("\t")
        if _stamp(dep_path) != stamp:
            return None
    try:
        if not _trusted(os.stat(rec["launcher"])):
            return None
    except (OSError, KeyError):
        return None
    for env in rec["env"]:
        name, _, value = env.partition("\t")
        if os.environ.get(name, "") != value:
            return None
    return rec


def exec_launcher(rec: dict, cmdline: str, timeout: float | None) -> None:
    """Become the launcher (os.execv: this process's pid, signals and stdio are its)."""
    sys.stderr.write(rec["notice"] + "\n")
    sys.stderr.flush()
    argv = [cmdline if a == CMDLINE else a for a in rec["arg"]]
    launcher = rec["launcher"]
    extra = ["--timeout", repr(timeout)] if timeout is not None else []
    os.execv(launcher, [launcher, *rec["opt"], *extra, "--", *argv])


def fast_run(argv: list[str]) -> None:
    """`unicore run ARGV` through the launcher when the image's record holds; returns (doing
    nothing) when the full CLI must handle it."""
    opts = parse_run_args(argv)
    opts = opts and _typed(opts)
    if opts is None or os.isatty(0) or not os.path.isfile(opts["image"]):
        return
    rec = load_record(opts["image"], opts["accel"], opts["mem"])
    if rec is None:
        return
    cmdline = kernel_cmdline(opts["args"], opts["env"], opts["debug"], opts["boottime"], opts.get("argv0"),
                             rec["token"], opts.get("workdir"))
    exec_launcher(rec, cmdline, opts["timeout"])


# ---- writing: the full CLI's common case ----

LAUNCHER_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher", "launcher.c")
LAUNCHER_CFLAGS = ("-O2", "-Wall", "-Wextra", "-Werror")


def launcher_path() -> str | None:
    """The launcher binary for the current source, compiled on first use into the runner cache
    (an atomic rename makes concurrent first uses safe); None without gcc or when it does not
    build: the Python runner supervises then."""
    import hashlib
    import shutil
    import subprocess
    from unicore.paths import runner_cache
    gcc = shutil.which("gcc")
    if not gcc:
        return None
    with open(LAUNCHER_SOURCE, "rb") as f:
        key = hashlib.sha256(f.read() + f"{_stamp(os.path.realpath(gcc))} {LAUNCHER_CFLAGS}".encode()).hexdigest()[:16]
    out = runner_cache() / f"unicore-launch-{key}"
    if out.is_file():
        return str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}")
    proc = subprocess.run([gcc, *LAUNCHER_CFLAGS, "-o", str(tmp), LAUNCHER_SOURCE], capture_output=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        return None
    tmp.chmod(0o755)  # whatever the umask: the fast path execs only a launcher nobody else can write
    os.replace(tmp, out)
    return str(out)


def write_record(image, mem: int, default_mem: int, accel_arg: str, notice: str, launcher,
                 opts: list[str], argv: list[str], deps: list, tokens: list[str] = ()) -> dict:
    """Store the record for `image` (atomically; a cache that cannot be written only costs
    the next run the full CLI) and return it as load_record would."""
    deps = [os.path.realpath(image), f"{os.path.realpath(image)}.plan.json", str(launcher), LAUNCHER_SOURCE,
            *map(str, deps)]
    fields = [f"version={VERSION}", f"boot={_boot_id()}", f"accel={accel_arg}", f"mem={mem}",
              f"default_mem={default_mem}", f"notice={notice}", f"launcher={launcher}",
              *(f"dep={d}\t{_stamp(d)}" for d in deps),
              *(f"env={name}\t{os.environ.get(name, '')}" for name in ENV_KEYS),
              *(f"opt={o}" for o in opts), *(f"arg={a}" for a in argv), *(f"token={t}" for t in tokens)]
    path = record_path(str(image))
    if path:
        _prune(os.path.dirname(path))
    if path and all("\0" not in f for f in fields):
        tmp = f"{path}.{os.getpid()}"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                f.write("\0".join(fields).encode())
            os.replace(tmp, path)
        except OSError:
            pass
    return {"notice": notice, "launcher": str(launcher), "opt": opts, "arg": argv, "token": list(tokens)}


def _prune(directory: str) -> None:
    """Drop the records of images that no longer exist (tests' temporary images, say): a full
    run's small cost, so the fast path never lists the directory."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        image = name.replace("%2F", "/").replace("%25", "%")
        if image.startswith("/") and not os.path.exists(image):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def qemu_launch(image, mem: int, accel: str, arch: str, normal_exits: tuple[int, ...],
                network: list[str] = ()) -> tuple[list[str], list[str], list]:
    """(launcher options, VMM argv, extra deps) for QEMU: the runner's own command (qemu.py,
    so options other work adds to it land here too), the identity confine.py picks; `network`:
    the user network's devices (network.py), for an image with the network library."""
    import tempfile
    from pathlib import Path
    from unicore.runner.confine import qemu_identity
    from unicore.runner.console import console_devices
    from unicore.runner.qemu import qemu_command
    from unicore.runner.volumes import DEFAULT_SECURITY
    identity, _ = qemu_identity([], DEFAULT_SECURITY, accel, Path(tempfile.gettempdir()))
    opts = ["--mode", "qemu", "--normal", ",".join(map(str, normal_exits))]
    if identity is not None:
        uid, gid, groups = identity.triple()
        groups = "".join(f":{g}" for g in groups)
        opts += ["--identity", f"{uid}:{gid}{groups}", "--copy", os.path.realpath(image)]
    target = IMAGE if identity is not None else os.path.realpath(image)
    argv = qemu_command(Path(target), CMDLINE, mem, accel, GUEST_CTL, (), DEFAULT_SECURITY,
                        console_devices(f"socket,id=ukcon,fd={GUEST_CON}"), list(network), arch)
    return opts, argv, [argv[0]]


def spt_launch(image, mem: int) -> tuple[list[str], list[str], list]:
    """(launcher options, tender argv, extra deps) for an spt image: fds 3 and 4 kernel and control."""
    from unicore.runner.spt import TENDER_SOURCE, tender_command, tender_path
    tender = tender_path()
    return ["--mode", "spt"], tender_command(tender, mem, 3, 4, os.path.realpath(image), CMDLINE), [tender, TENDER_SOURCE]
