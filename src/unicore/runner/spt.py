"""Running an spt image (plat spt, docs/spt.md): the tender, compiled once and cached, loads the
image into its own process and sandboxes it; this module builds the tender and supervises it.

The tender's fds are the wire: the program's stdin, stdout and stderr are the process's 0, 1 and
2; kernel messages and crash reports come on fd 3, control lines (`exit N`, `crash SIG`) on fd 4,
each a pipe here. A process killed by a signal (the seccomp filter kills with SIGSYS) is exit
128+signal, reported as a crash. The tender is tied to us as QEMU is (lifetime.py: setpriv's
parent-death signal, its own process group, the cleaner).
"""

import os
import selectors
import shutil
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO, Callable

from unicore.errors import ToolMissingError, UnicoreError
from unicore.paths import tender_cache
from unicore.runner import lifetime
from unicore.runner.hostcache import cached, file_stamp
from unicore.runner.console import _chunks

POOL_DIR = Path(__file__).resolve().parents[1] / "pool"  # not pool.manifest: the run path reads no manifest
TENDER_SOURCE = POOL_DIR / "plat" / "spt" / "tender" / "tender.c"
HEADERS = (POOL_DIR / "plat" / "spt" / "include", POOL_DIR / "arch" / "x86_64" / "linux" / "include")
CFLAGS = ("-O2", "-Wall", "-Wextra", "-Werror")
KERNEL_FD, CONTROL_FD = 3, 4


NOTE = struct.pack("<III", 8, 9 * 8, 0x53505431) + b"unicore\0"  # uk/linux_host.h: UK_LINUX_NOTE_TYPE


def is_spt_image(image: Path) -> bool:
    """Whether the image is built for plat spt: a PT_NOTE segment holds the note the tender reads
    (read from the ELF program headers directly: the run path imports no ELF reader)."""
    with open(image, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:5] != b"\x7fELF\x02":
            return False
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        for i in range(len(table) // 56):
            p_type, _, offset, _, _, filesz = struct.unpack_from("<IIQQQQ", table, i * 56)
            if p_type == 4:  # PT_NOTE
                f.seek(offset)
                if NOTE in f.read(min(filesz, 4096)):
                    return True
    return False


def _tender_key(gcc: str) -> str:
    import hashlib  # only when the tender is looked up: not on the QEMU run path
    digest = hashlib.sha256()
    for path in [TENDER_SOURCE, *sorted(p for d in HEADERS for p in d.rglob("*.h"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    st = Path(gcc).resolve().stat()  # the compiler by identity: no `gcc --version` on every run
    digest.update(f"{Path(gcc).resolve()} {st.st_size} {st.st_mtime_ns} {' '.join(CFLAGS)}".encode())
    return digest.hexdigest()[:16]


def _cached_key(gcc: str) -> str:
    """_tender_key without hashing the sources and running `gcc --version` on every run: cached
    under the stamps (size, mtime, inode) of gcc and of every file it hashes (hostcache.py)."""
    files = [gcc, TENDER_SOURCE, *sorted(p for d in HEADERS for p in d.rglob("*.h"))]
    stamp = ";".join(f"{p}={file_stamp(str(p))}" for p in files)
    return cached("spt-tender-key", stamp, lambda: _tender_key(gcc))


def tender_path() -> Path:
    """The tender binary for the current sources, compiled on first use (an atomic rename makes
    concurrent first uses safe)."""
    gcc = shutil.which("gcc")
    if not gcc:
        raise ToolMissingError("gcc not found: run `make deps` (scripts/install-deps)")
    out = tender_cache() / f"unicore-spt-{_cached_key(gcc)}"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent)) / out.name
    incs = [f"-I{d}" for d in HEADERS]
    proc = subprocess.run([gcc, *CFLAGS, *incs, "-o", str(tmp), str(TENDER_SOURCE)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UnicoreError(f"cannot build the spt tender:\n{proc.stderr.rstrip()}")
    os.replace(tmp, out)
    shutil.rmtree(tmp.parent, ignore_errors=True)
    return out


def _feed(fd: int, stdin: bytes | BinaryIO | None, stop: threading.Event) -> None:
    """Stream stdin into the tender's stdin pipe, then close it (end of file)."""
    try:
        for chunk in _chunks(stdin):
            if stop.is_set():
                break
            os.write(fd, chunk) if len(chunk) < 4096 else _write_all(fd, chunk)
    except OSError:
        pass  # the program ended or closed its stdin
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _pump(streams: dict[int, str], deadline: float | None, add: Callable[[str, bytes], None]) -> bool:
    """Read every stream until all ended or the deadline passed; True if it passed."""
    sel = selectors.DefaultSelector()
    for fd, name in streams.items():
        sel.register(fd, selectors.EVENT_READ, name)
    while sel.get_map():
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        if wait == 0.0:
            return True
        for key, _ in sel.select(wait):
            chunk = os.read(key.fd, 1 << 20)
            if chunk:
                add(key.data, chunk)
            else:
                sel.unregister(key.fd)
    return False


def tender_command(tender: Path, mem_mb: int, kernel_fd: int, control_fd: int, image: Path, cmdline: str,
                   volumes=()) -> list[str]:
    """The tender's command line (docs/spt.md); the launch record holds it too (launch.py), for
    runs without volumes."""
    return [str(tender), "--mem", str(mem_mb), "--kernel-fd", str(kernel_fd), "--control-fd", str(control_fd),
            *[a for v in volumes for a in ("--volume", f"{v.host}{':ro' if v.readonly else ''}")], str(image), cmdline]


def run_tender(image: Path, cmdline: str, mem_mb: int, timeout: float | None, stdin,
               add: Callable[[str, bytes], None], on_spawn: Callable[[], None] = lambda: None,
               volumes=()) -> tuple[int, bool, float]:
    """Run `image` under the tender; each output chunk goes to add(name, chunk) with name one of
    stdout, stderr, kernel, control; on_spawn() just before the tender starts; `volumes`
    (volumes.Volume) become the tender's fds 6 on, in order (the kernel's vol.volN tokens). Returns
    (process status as 0-255 or -signal, timed out, wall s)."""
    tender = tender_path()
    pipes = {name: os.pipe() for name in ("stdin", "stdout", "stderr", "kernel", "control")}
    prefix, _ = lifetime.launch(None, [])
    child = {"stdin": pipes["stdin"][0], "stdout": pipes["stdout"][1], "stderr": pipes["stderr"][1],
             "kernel": pipes["kernel"][1], "control": pipes["control"][1]}
    cmd = [*prefix, *tender_command(tender, mem_mb, child["kernel"], child["control"], image, cmdline, volumes)]
    proc, stop = None, threading.Event()
    try:
        with lifetime.RunDir() as run:
            on_spawn()
            start = time.monotonic()
            proc = subprocess.Popen(cmd, stdin=child["stdin"], stdout=child["stdout"], stderr=child["stderr"],
                                    pass_fds=(child["kernel"], child["control"]), process_group=0)
            run.guest_started(proc.pid)
            for fd in child.values():
                os.close(fd)
            threading.Thread(target=_feed, args=(pipes["stdin"][1], stdin, stop), daemon=True).start()
            streams = {pipes[n][0]: n for n in ("stdout", "stderr", "kernel", "control")}
            timed_out = _pump(streams, None if timeout is None else start + timeout, add)
            stop.set()
            if timed_out:
                proc.kill()
            proc.wait()
            return proc.returncode, timed_out, time.monotonic() - start
    except BaseException as exc:
        if proc is not None:
            lifetime.stop(proc, lifetime.signal_of(exc))
        raise
    finally:
        for name in ("stdout", "stderr", "kernel", "control"):
            _close_quietly(pipes[name][0])


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
