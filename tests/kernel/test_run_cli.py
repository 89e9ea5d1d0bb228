"""`unicore run` end to end: exit status, accelerator line, stdin from a pipe, crash and timeout."""

import subprocess
import sys

import pytest
from targets import NULL_CAUSE, arch_of

pytestmark = pytest.mark.slow


def unicore_run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore.cli", "run", "--accel", "tcg", *args],
                          input=stdin, capture_output=True, timeout=120)


FIRST_LINE = {"qemu/x86_64": "unicore: accelerator tcg (requested)\n", "qemu/arm64": "unicore: accelerator tcg (requested)\n",
              "spt/x86_64": "unicore: platform spt (a sandboxed process, docs/spt.md)\n"}


def test_status_args_and_env_pass_through(make_image, target):
    r = unicore_run(str(make_image("argv_env")), "-e", "GREETING=yo", "--timeout", "60", "--", "7", "--flag")
    assert r.returncode == 7
    assert r.stdout.decode().splitlines()[:4] == ["argc=3", "argv[0]=argv_env", "argv[1]=7", "argv[2]=--flag"]
    assert r.stderr.decode() == FIRST_LINE[target]


def test_piped_stdin(make_image):
    r = unicore_run(str(make_image("stdin_sum")), "--timeout", "60", stdin=b"hello\n")
    assert (r.returncode, r.stdout) == (0, b"bytes=6 adler32=084b021f\n")


def test_crash_and_timeout_messages(make_image, target):
    crash = unicore_run(str(make_image("null_deref", cflags=["-O0"])), "--timeout", "60")
    assert (crash.returncode, crash.stdout) == (139, b"about to crash\n")  # the report goes to stderr
    assert crash.stderr.decode().splitlines()[1] == f"unicore: crash: {NULL_CAUSE[arch_of(target)]}"
    assert crash.stderr.decode().splitlines()[-1] == "unicore: guest crashed (signal 11, exit 139)"
    hang = unicore_run(str(make_image("hang")), "--timeout", "2")
    assert hang.returncode == 124
    assert hang.stderr.decode().splitlines()[-1] == "unicore: guest did not finish within 2 s: stopped (exit 124)"


def test_bad_image_is_one_line(tmp_path):
    bad = tmp_path / "bad.img"
    bad.write_bytes(b"not an image")
    r = unicore_run(str(bad), "--timeout", "30")
    assert r.returncode == 125
    assert r.stderr.decode().splitlines()[-1].startswith("unicore: QEMU could not run the image (exit 1): ")
    missing = unicore_run(str(tmp_path / "nope.img"))
    assert (missing.returncode, missing.stderr.decode()) == (2, f"unicore: image not found: {tmp_path / 'nope.img'}\n")


def test_large_stdin_is_streamed_into_a_small_guest(make_image):
    """16 MiB through a pipe into a 5 MiB guest: stdin is streamed as the program reads it (the
    console channel, docs/run.md), never held whole in guest memory; every byte arrives."""
    import zlib
    data = bytes(range(256)) * (16 * 4096)
    r = unicore_run(str(make_image("stdin_sum")), "-m", "5", "--timeout", "100", stdin=data)
    assert (r.returncode, r.stdout) == (0, f"bytes={len(data)} adler32={zlib.adler32(data):08x}\n".encode())


def test_too_little_memory_is_refused_before_boot(make_image):
    r = unicore_run(str(make_image("hello")), "-m", "2", "--timeout", "60")
    assert (r.returncode, r.stdout) == (2, b"")
    line = r.stderr.decode()
    assert line.startswith("unicore: -m 2: this image needs more than 2 MiB (its program and payload end at 0x2")
    assert line.endswith("; add its stack and heap)\n") and line.count("\n") == 1


def test_workdir(target, tmp_path):
    """-w: the program starts in that directory, made if missing (docker run -w); relative files
    land there. A relative -w is one line, before booting. Built as a user builds it (the
    controller adds the file system for getcwd and open)."""
    from kbuild import PROGRAMS
    image = str(tmp_path / "cwd.img")
    built = subprocess.run([sys.executable, "-m", "unicore.cli", "build", str(PROGRAMS / "cwd.c"), "--target", target,
                            "-o", image, "--build-dir", str(tmp_path / "build")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    r = unicore_run(image, "-w", "/srv/app/data", "--timeout", "60")
    assert (r.returncode, r.stdout) == (0, b"cwd=/srv/app/data\n/srv/app/data/rel.txt: here\n"), r.stderr
    default = unicore_run(image, "--timeout", "60")
    assert (default.returncode, default.stdout) == (0, b"cwd=/\n/rel.txt: here\n")
    bad = unicore_run(image, "-w", "srv")
    assert bad.returncode == 2 and bad.stdout == b""
    assert bad.stderr.decode() == "unicore: -w srv: the working directory must be an absolute guest path\n"
