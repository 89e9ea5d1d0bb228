"""Running the corpus: each program built once, as a user builds it (`unicore build --binary
PROGRAM`, the CLI in a child process), images cached by content; each case run natively and as
a unikernel on fresh copies of its inputs at the same path, streams and exit status compared.

Image cache key: the build's arguments, the program's bytes, the scenario's bytes and every source file of unicore (the
Python toolkit and the C pool): an unchanged program with an unchanged toolkit is not rebuilt.

Streams: stdout, stderr and the exit status are each compared on their own (the console carries
the guest's stdout and stderr apart, docs/design.md "Console channel").
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import unicore
from unicore.compat.corpus import Case
from unicore.errors import UnicoreError

NATIVE_TIMEOUT = 30.0
BUILD_TIMEOUT = 1800.0
BASE_ENV = {"PATH": "/usr/bin:/bin"}
SOURCE_SUFFIXES = {".py", ".c", ".h", ".S", ".toml", ".ld", ".json", ".lds"}


@dataclass(frozen=True)
class Streams:
    stdout: bytes
    stderr: bytes
    status: int


@dataclass
class Built:
    image: Path | None
    seconds: float
    cached: bool
    error: str = ""


@dataclass
class Result:
    case: Case
    passed: bool
    differences: list[str] = field(default_factory=list)
    build: Built | None = None
    native_s: float = 0.0
    guest_s: float = 0.0
    native: Streams | None = None  # what each run gave (None: it did not run)
    guest: Streams | None = None


@cache
def source_digest() -> str:
    h = hashlib.sha256()
    root = Path(unicore.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _file_digest(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else "-"


def image_key(case: Case) -> str:
    parts = [*build_args(case), _file_digest(case.program.resolve()), _file_digest(case.scenario), source_digest()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def build_args(case: Case) -> list[str]:
    """What a user types: the binary, its scenario if it needs one, and host volumes (9pfs) since
    the cases read their inputs from a shared directory (`unicore run -v` asks for --with 9pfs)."""
    return ["build", "--binary", str(case.program), *(["--scenario", str(case.scenario)] if case.scenario else []),
            "--with", "9pfs"]


def build(case: Case, cache_dir: Path, progress=lambda m: None) -> Built:
    """The case's image, from the cache or built with the CLI exactly as a user types it."""
    if not case.program.is_file():
        return Built(None, 0.0, False, f"{case.program} is not installed")
    stem = f"{case.program.name}-{image_key(case)}"
    image = cache_dir / f"{stem}.img"
    if image.is_file():
        return Built(image, 0.0, True)
    cmd = [sys.executable, "-m", "unicore", *build_args(case), "-o", str(image), "--build-dir", str(cache_dir / stem)]
    progress(f"building {case.program} (unicore {' '.join(build_args(case))})")
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Built(None, time.monotonic() - start, False, f"build did not finish in {BUILD_TIMEOUT:g} s")
    seconds = time.monotonic() - start
    if proc.returncode != 0 or not image.is_file():
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return Built(None, seconds, False, "build failed: " + (lines[-1] if lines else f"exit {proc.returncode}"))
    return Built(image, seconds, False)


def _args(case: Case, data: Path) -> list[str]:
    return [a.replace("{data}", str(data)) for a in case.args]


def _env(case: Case) -> dict[str, str]:
    return {**BASE_ENV, **dict(case.env)}


def _fresh_inputs(case: Case, data: Path) -> None:
    shutil.rmtree(data, ignore_errors=True)
    if case.inputs.is_dir():
        shutil.copytree(case.inputs, data, symlinks=True)
    else:
        data.mkdir(parents=True)


def run_native(case: Case, data: Path) -> Streams:
    """The program as a shell runs it: argv[0] its name, cwd /, only the case's environment."""
    try:
        proc = subprocess.run([case.program.name, *_args(case, data)], executable=str(case.program),
                              input=case.stdin, capture_output=True, env=_env(case), cwd="/",
                              timeout=NATIVE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Streams(b"", b"", 124)
    status = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return Streams(proc.stdout, proc.stderr, status)


def run_guest(case: Case, image: Path, data: Path) -> tuple[Streams, bool]:
    """The image booted with the same argv, stdin and environment; (streams, timed out)."""
    from unicore.runner import run_image
    from unicore.runner.memory import default_mem_mb
    volumes = [f"{data}:{data}"] if any("{data}" in a for a in case.args) else []
    result = run_image(image, args=_args(case, data), env=_env(case), mem_mb=case.mem or default_mem_mb(image),
                       timeout=case.timeout, stdin_bytes=case.stdin, volumes=volumes)
    return Streams(result.stdout, result.stderr, result.exit_status), result.timed_out


def _first_difference(a: bytes, b: bytes) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at byte {n}: native {a[n:n + 50]!r}, unikernel {b[n:n + 50]!r}"


def compare(native: Streams, guest: Streams) -> list[str]:
    out = []
    if native.status != guest.status:
        out.append(f"exit status: native {native.status}, unikernel {guest.status}")
    if native.stdout != guest.stdout:
        out.append(f"stdout differs {_first_difference(native.stdout, guest.stdout)}")
    if native.stderr != guest.stderr:
        out.append(f"stderr differs {_first_difference(native.stderr, guest.stderr)}")
    return out


def run_case(case: Case, built: Built) -> Result:
    if built.image is None:
        return Result(case, False, [built.error], built)
    with tempfile.TemporaryDirectory(prefix="unicore-compat-") as tmp:
        data = Path(tmp) / "data"
        _fresh_inputs(case, data)
        start = time.monotonic()
        native = run_native(case, data)
        native_s = time.monotonic() - start
        _fresh_inputs(case, data)  # the guest sees the inputs as the native run found them
        start = time.monotonic()
        try:
            guest, timed_out = run_guest(case, built.image, data)
        except UnicoreError as exc:
            return Result(case, False, [f"run failed: {exc}"], built, native_s, time.monotonic() - start, native)
        guest_s = time.monotonic() - start
    differences = compare(native, guest)
    if timed_out:
        differences.insert(0, f"unikernel did not finish within {case.timeout:g} s")
    return Result(case, not differences, differences, built, native_s, guest_s, native, guest)


def run_corpus(cases: list[Case], cache_dir: Path, progress=lambda m: None, done=lambda r: None) -> list[Result]:
    """Every case, programs built once each (in corpus order), sequentially (QEMU under TCG is a
    core's worth of work); `done` hears each result as it comes (a long run shows its failures
    while it goes on)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    images: dict[tuple, Built] = {}
    results = []
    for case in cases:
        key = (case.program, case.scenario)
        if key not in images:
            images[key] = build(case, cache_dir, progress)
        progress(f"running {case.name}")
        results.append(run_case(case, images[key]))
        done(results[-1])
    return results
