"""Unmodified dynamically linked glibc executables in the unikernel: the loader
(ld-linux-x86-64.so.2) and shared libraries come from the image's root file system; stdout and
exit status equal to the native run. Debian's own coreutils and sqlite3 included, on every
target (the `target` fixture): on qemu/arm64 the arm64 builds of the same packages, from a
sysroot, compared with their run under qemu-aarch64 user mode (bbuild.debian, bbuild.reference)."""

import os
import struct
import subprocess
from pathlib import Path

import pytest
from bbuild import closure_entries, compile_c, debian, reference, rootfs_for

from unicore.image.rootfs import Entry, merge, write_cpio
from unicore.runner import run_image
from unicore.runner.qemu import qemu_command

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
COREUTILS = ["/bin/cat", "/usr/bin/env", "/usr/bin/sha256sum", "/bin/ls"]  # guest paths, Debian's on each arch
ETC = ["/etc/passwd", "/etc/group", "/etc/nsswitch.conf"]  # what ls opens to name owners


def native(path: str, args: list[str], env: dict, stdin: bytes | None = None) -> tuple[bytes, int]:
    proc = subprocess.run([path, *args], env=env, input=stdin, capture_output=True, timeout=60)
    return proc.stdout, proc.returncode


def boot(image, args, argv0=None, env=None, stdin=None, **kw):
    return run_image(image, args, env=env, argv0=argv0, stdin_bytes=stdin, accel="tcg", timeout=120, **kw)


@pytest.mark.parametrize("kind,embedded", [("dynamic", False), ("dynamic-nopie", True)])
def test_dynamic_glibc_program(kind, embedded, binary_workdir, make_binary_image):
    """PIE from the rootfs (argv[0] is its path), and non-PIE embedded in the image."""
    program = compile_c("hello", kind, binary_workdir)
    rootfs = rootfs_for(program, binary_workdir / f"{kind}.cpio", with_binary=not embedded)
    image = make_binary_image(f"hello-{kind}", program if embedded else None, None, rootfs=rootfs, fs=True,
                              name=str(program))
    args, env = ["3", "x y"], {"GREETING": "hi"}
    r = boot(image, args, env=env)
    assert (r.stdout, r.exit_status) == native(str(program), args, env)
    assert r.exit_status == 3


def test_dynamic_musl_program(binary_workdir, make_binary_image):
    """musl's dynamic loader is its libc (/lib/ld-musl-x86_64.so.1): a PIE run from the rootfs."""
    program = compile_c("hello", "musl-dynamic", binary_workdir)
    loader = Path("/lib/ld-musl-x86_64.so.1")
    rootfs = binary_workdir / "musl-dynamic.cpio"
    write_cpio(merge([Entry(str(loader), loader, "loader"), Entry(str(program), program, "program")]), rootfs)
    image = make_binary_image("hello-musl-dynamic", None, None, rootfs=rootfs, fs=True, name=str(program))
    r = boot(image, ["4"], env={"A": "b"})
    assert (r.stdout, r.exit_status) == native(str(program), ["4"], {"A": "b"})
    assert r.exit_status == 4


@pytest.fixture(scope="module")
def coreutils_image(binary_workdir, make_binary_image, target):
    """One image whose rootfs holds the four programs, their libraries, /etc files and data."""
    data = binary_workdir / "data"
    data.mkdir(exist_ok=True)
    (data / "notes.txt").write_text("unikernels run\nexisting binaries\n")
    (data / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (data / "run.sh").chmod(0o755)
    for f in [data / "notes.txt", data / "run.sh"]:
        os.utime(f, (0, 0))  # the rootfs archive carries mtime 0
    programs = {p: debian(target, p) for p in COREUTILS}
    entries = [e for prog in programs.values() for e in closure_entries(prog.host, prog.sysroot)]
    entries += [Entry(p, Path(p), "etc") for p in ETC]
    entries += [Entry(str(f), f, "data") for f in [data / "notes.txt", data / "run.sh"]]
    rootfs = binary_workdir / f"coreutils-{target.replace('/', '-')}.cpio"
    write_cpio(merge(entries), rootfs)
    image = make_binary_image("coreutils", None, None, rootfs=rootfs, fs=True, name="/bin/cat", target=target)
    return image, data, programs


def test_cat_of_a_rootfs_file(coreutils_image):
    image, data, programs = coreutils_image
    r = boot(image, [str(data / "notes.txt")], argv0="/bin/cat")
    assert (r.stdout, r.exit_status) == (b"unikernels run\nexisting binaries\n", 0)
    assert (r.stdout, r.exit_status) == reference(programs["/bin/cat"], [str(data / "notes.txt")], {})


def test_env(coreutils_image):
    image, _, programs = coreutils_image
    env = {"A": "1", "TWO_WORDS": "x y"}
    r = boot(image, [], argv0="/usr/bin/env", env=env)
    assert (r.stdout, r.exit_status) == (b"A=1\nTWO_WORDS=x y\n", 0)
    assert (r.stdout, r.exit_status) == reference(programs["/usr/bin/env"], [], env)


def test_sha256sum(coreutils_image):
    image, data, programs = coreutils_image
    args = [str(data / "notes.txt"), str(data / "run.sh")]
    r = boot(image, args, argv0="/usr/bin/sha256sum")
    assert (r.stdout, r.exit_status) == reference(programs["/usr/bin/sha256sum"], args, {})
    assert r.exit_status == 0 and r.stdout.count(b"\n") == 2


def test_ls_la(coreutils_image):
    """File lines equal the native ones field by field; `total`, the `.`/`..` lines and so the
    column widths differ by design (ramfs counts 512-byte blocks of the data only and gives
    directories size 0)."""
    image, data, programs = coreutils_image
    env = {"TZ": "UTC", "LC_ALL": "C"}
    r = boot(image, ["-la", str(data)], argv0="/bin/ls", env=env)
    out, status = reference(programs["/bin/ls"], ["-la", str(data)], env)

    def file_lines(text: bytes) -> list[list[str]]:
        return [line.split() for line in text.decode().splitlines() if line.endswith(("notes.txt", "run.sh"))]

    assert file_lines(r.stdout) == file_lines(out)
    assert [" ".join(f) for f in file_lines(r.stdout)] == ["-rw-r--r-- 1 root root 33 Jan 1 1970 notes.txt",
                                                           "-rwxr-xr-x 1 root root 18 Jan 1 1970 run.sh"]
    assert r.stdout.decode().splitlines()[0] == "total 1" and r.exit_status == status == 0


def test_sqlite3_runs_a_sql_script(binary_workdir, make_binary_image, target):
    sqlite3 = debian(target, "/usr/bin/sqlite3")
    rootfs = binary_workdir / f"sqlite3-{target.replace('/', '-')}.cpio"
    write_cpio(merge(closure_entries(sqlite3.host, sqlite3.sysroot)), rootfs)
    image = make_binary_image("sqlite3", None, None, rootfs=rootfs, fs=True, name=sqlite3.path, target=target)
    script = (REPO / "examples" / "sqlite" / "demo.sql").read_bytes()
    env = {"HOME": "/root"}
    r = boot(image, [], env=env, stdin=script)
    assert (r.stdout, r.exit_status) == reference(sqlite3, [], env, script)
    assert b"3.40.1   1002\n" in r.stdout


def test_kernel_token_exec_runs_a_rootfs_program_instead_of_the_embedded_one(binary_workdir, make_binary_image,
                                                                            tmp_path):
    """exec=PATH (core's uk_core_boot_param) beats the embedded program: here a static musl hello is
    embedded and the dynamic glibc hello of the rootfs runs."""
    embedded = compile_c("hello", "musl", binary_workdir)
    dynamic = compile_c("hello", "dynamic", binary_workdir)
    rootfs = rootfs_for(dynamic, binary_workdir / "exec-token.cpio")
    image = make_binary_image("exec-token", embedded, None, rootfs=rootfs, fs=True)
    ctl = tmp_path / "ctl"
    cmdline = f"exec={dynamic} argv0={dynamic} -- 5"
    proc = subprocess.run(qemu_command(image, cmdline, 64, "tcg", ctl), capture_output=True, timeout=120)
    assert proc.stdout == native(str(dynamic), ["5"], {})[0]
    assert ctl.read_text() == "exit 5\n"


def test_program_headers_outside_the_first_page_are_read_from_the_whole_file(binary_workdir, make_binary_image,
                                                                              tmp_path):
    """exec reads a rootfs program's first page for its headers; when they lie elsewhere (here
    e_phoff points to a copy at the end of the file) it reads the whole file instead. Linux loads
    that file too and glibc then finds no program headers in memory: both crash with SIGSEGV."""
    program = compile_c("hello", "static", binary_workdir)
    data = bytearray(program.read_bytes())
    phoff, phnum = struct.unpack_from("<Q", data, 0x20)[0], struct.unpack_from("<H", data, 0x38)[0]
    data += bytes(-len(data) % 8)
    struct.pack_into("<Q", data, 0x20, len(data))
    data += data[phoff:phoff + 56 * phnum]
    moved = tmp_path / "hello-far-phdrs"
    moved.write_bytes(data)
    moved.chmod(0o755)
    rootfs = binary_workdir / "far-phdrs.cpio"
    write_cpio(merge([Entry(str(moved), moved, "program")]), rootfs)
    image = make_binary_image("far-phdrs", None, None, rootfs=rootfs, fs=True, name=str(moved))
    r = boot(image, [])
    assert subprocess.run([str(moved)], capture_output=True).returncode == -11
    assert (r.crashed, r.exit_status) == (True, 128 + 11)
    assert b"unicore: exec " not in r.kernel  # it was loaded: the crash is glibc's, as natively
