"""File systems in the booted unikernel, on every target (QEMU microvm on x86_64 and virt on
arm64 under TCG, and spt: the `target` fixture; host volumes are QEMU's so far, docs/spt.md; the
native run of an arm64 program is QEMU's user mode):
- fsprog on ramfs behaves exactly like the same program natively (`unicore verify`);
- fsprog on a host volume prints the native transcript and leaves the same tree on the host;
- on spt, a volume cannot be left: `..`, a symlink out, or the host's own openat from borrowed
  kernel code (Landlock stops the last);
- a file written on a volume is complete on the host after exit; host files are readable;
- a path outside the rootfs is ENOENT; a full ramfs gives ENOSPC without a crash.

Volumes are attached with `unicore run -v HOSTDIR:GUESTDIR` (virtio-9p, docs/fs.md; on spt the
directory itself, docs/spt.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fs_helpers import HERE, ROOT

from unicore.runner.verify import native_command

pytestmark = pytest.mark.slow


def unicore(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "unicore", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


TARGETS = ["qemu/x86_64", "qemu/arm64", "spt/x86_64"]


@pytest.fixture(scope="module", params=TARGETS, ids=lambda t: t.replace("/", "-"))
def target(request) -> str:
    return request.param


def with_security(target: str, security: str) -> None:
    if target.startswith("spt/") and security != "passthrough":
        pytest.skip("spt volumes carry the host's metadata, as passthrough (docs/spt.md)")


def build(src: Path, out: Path, *extra: str, target: str = "qemu/x86_64") -> Path:
    proc = unicore("build", str(src), "-o", str(out), "--build-dir", str(out.parent / (out.stem + ".build")),
                   "--target", target, *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def native_cmd(image: Path) -> list[str]:
    """The command running the image's program natively (under qemu-aarch64 for arm64)."""
    return native_command(Path(json.loads(Path(str(image) + ".plan.json").read_text())["program"]["path"]))


def boot(image: Path, args: list[str], volumes: dict[str, Path] | None = None, *options: str) -> tuple[str, int]:
    """`unicore run [OPTIONS] [-v HOST:GUEST]... IMAGE -- ARGS`; returns (console, exit status)."""
    vols = [arg for guest, host in (volumes or {}).items() for arg in ("-v", f"{host}:{guest}")]
    proc = subprocess.run([sys.executable, "-m", "unicore", "run", *options, *vols, str(image), "--", *args],
                          input=b"", capture_output=True, timeout=120)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc.stdout.decode(errors="replace"), proc.returncode


def tree(root: Path) -> list[str]:
    out = []
    for p in sorted(root.rglob("*")):
        kind = "link" if p.is_symlink() else "dir" if p.is_dir() else f"file {p.stat().st_size}"
        out.append(f"{p.relative_to(root)} {kind} {p.lstat().st_mode & 0o7777:o}")
    return out


def mapped_tree(root: Path) -> list[str]:
    """tree() as the guest sees a mapped-xattr volume: QEMU keeps the guest's st_mode in the
    user.virtfs.mode attribute (host files are plain 0600 files, 0700 directories)."""
    import stat
    out = []
    for p in sorted(root.rglob("*")):
        mode = int.from_bytes(os.getxattr(p, "user.virtfs.mode", follow_symlinks=False), "little")
        kind = "link" if stat.S_ISLNK(mode) else "dir" if stat.S_ISDIR(mode) else f"file {p.stat().st_size}"
        out.append(f"{p.relative_to(root)} {kind} {mode & 0o7777:o}")
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory, target: str) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fsimg")
    volumes = ["--with", "host-volumes"]  # 9pfs on QEMU, hostfs on spt
    return {
        "target": target,  # type: ignore[dict-item]
        "fsprog": build(HERE / "fsprog.c", out / "fsprog.img", *volumes, target=target),
        "guestprog": build(HERE / "guestprog.c", out / "guestprog.img", *volumes,
                           "--option", "UK_RAMFS_QUOTA_KB=64", target=target),
    }


def test_fsprog_on_ramfs_verifies_against_native(images: dict[str, Path], tmp_path: Path) -> None:
    proc = unicore("verify", str(images["fsprog"]), "--", "fsw", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("same behaviour:")
    assert (tmp_path / "fsw" / "a.txt").read_bytes() == b"hel"  # the native run's own tree


@pytest.mark.parametrize("security", ["mapped-xattr", "passthrough"])
def test_fsprog_on_9p_volume_matches_native(images: dict[str, Path], tmp_path: Path, security: str) -> None:
    """The default mapped-xattr model (guest modes, owners and symlinks kept in xattrs) and
    passthrough (real host metadata) both give the guest exactly the native transcript."""
    with_security(images["target"], security)
    native_dir, volume = tmp_path / "native", tmp_path / "volume"
    native_dir.mkdir(), volume.mkdir()
    native = subprocess.run([*native_cmd(images["fsprog"]), str(native_dir / "w")],
                            capture_output=True, text=True, timeout=60)
    console, status = boot(images["fsprog"], ["/data/w"], {"/data": volume}, "--volume-security", security)
    assert (status, console) == (native.returncode, native.stdout)
    assert console.endswith("done\n")
    host_view = tree(volume / "w") if security == "passthrough" else mapped_tree(volume / "w")
    assert host_view == tree(native_dir / "w")
    assert (volume / "w" / "a.txt").read_bytes() == b"hel"
    if security == "mapped-xattr":
        assert not any(p.is_symlink() for p in (volume / "w").rglob("*"))
        assert {p.lstat().st_mode & 0o7777 for p in (volume / "w").rglob("*") if p.is_file()} == {0o600}


def test_volume_file_complete_on_host_after_exit(images: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("from the host\n")
    console, status = boot(images["guestprog"], ["persist", "/data", "2000"], {"/data": tmp_path})
    assert (console, status) == ("fsync 0 close 0\nin.txt: from the host\n", 0)
    assert (tmp_path / "out.txt").read_text() == "".join(f"line {i}\n" for i in range(2000))


def test_path_outside_rootfs_is_enoent(images: dict[str, Path]) -> None:
    assert boot(images["guestprog"], ["outside", "/etc/passwd"]) == \
        ("open /etc/passwd: No such file or directory\n", 0)


def test_full_ramfs_gives_enospc_without_crash(images: dict[str, Path]) -> None:
    console, status = boot(images["guestprog"], ["enospc", "/"])
    assert (console, status) == (
        "wrote 65536 then No space left on device\nclose 0 unlink 0\nwrite after unlink 100\n", 0)


def test_mmap_of_files(images: dict[str, Path]) -> None:
    """MAP_PRIVATE copies (writes stay private), offsets, MAP_SHARED read-only, bad input."""
    assert boot(images["guestprog"], ["mmap", "/"]) == (
        "private ok: ab b tail 0\nfile after private write: a\noffset map: ab\n"
        "shared read-only ok: a\nunaligned offset: Invalid argument\nbad fd: Bad file descriptor\n", 0)


def test_large_io_on_volume_matches_native(images: dict[str, Path], tmp_path: Path) -> None:
    """1 MiB in one write and one read: many 9P messages; same output and bytes as native."""
    native_dir, volume = tmp_path / "native", tmp_path / "volume"
    native_dir.mkdir(), volume.mkdir()
    native = subprocess.run([*native_cmd(images["guestprog"]), "bigio", str(native_dir)],
                            capture_output=True, text=True, timeout=60)
    assert native.stdout.startswith("write 1048576\n") and "same 1" in native.stdout
    assert boot(images["guestprog"], ["bigio", "/data"], {"/data": volume}) == (native.stdout, 0)
    assert (volume / "big").read_bytes() == (native_dir / "big").read_bytes()


def test_rootfs_tree_is_in_the_guest(tmp_path: Path, target: str) -> None:
    """`unicore build --rootfs DIR`: the cpio linked into the image is unpacked by initrd."""
    tree = tmp_path / "tree"
    (tree / "etc" / "app").mkdir(parents=True)
    (tree / "etc" / "app" / "conf.txt").write_text("answer = 42\n")
    (tree / "etc" / "app" / "conf.txt").chmod(0o600)
    (tree / "etc" / "app" / "link").symlink_to("conf.txt")
    (tree / "data.bin").write_bytes(bytes(range(256)) * 40)
    image = build(HERE / "guestprog.c", tmp_path / "rootfs.img", "--rootfs", str(tree), target=target)
    console, status = boot(image, ["cat", "/etc/app/conf.txt", "/etc/app/link", "/data.bin", "/etc/passwd"])
    assert status == 0
    lines = console.split("\n")
    assert lines[:4] == ["/etc/app/conf.txt: mode 100600 size 12", "answer = 42",
                         "/etc/app/link: mode 120777 size 8", "answer = 42"]
    assert lines[4] == "/data.bin: mode 100644 size 10240"
    assert console.endswith("/etc/passwd: No such file or directory\n")


def test_missing_volume_dir_fails_before_boot(images: dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "unicore", "run", "-v", f"{tmp_path}/nope:/data",
                           str(images["guestprog"]), "--", "persist", "/data", "1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and proc.stdout == ""
    assert f"host directory {tmp_path}/nope does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_volume_cannot_be_left_on_spt(images: dict[str, Path], tmp_path: Path) -> None:
    """Beside the volume, a secret file. In the guest, `..` above the mount, an absolute symlink
    to the host directory and a relative one out all resolve in the guest's own tree (no such
    file). The host's openat relative to the volume's fd, from code borrowing the kernel's
    `syscall` (the seccomp filter allows openat there), is refused by Landlock: EACCES, never
    an fd, while the same call for a file inside the volume opens it."""
    if images["target"] != "spt/x86_64":
        pytest.skip("the host-call boundary of spt volumes (docs/spt.md)")
    volume = tmp_path / "vol"
    volume.mkdir()
    (tmp_path / "secret.txt").write_text("host secret\n")
    (volume / "in.txt").write_text("inside\n")
    (volume / "abs").symlink_to(tmp_path)
    (volume / "rel").symlink_to("../secret.txt")
    console, status = boot(images["guestprog"], ["cat", "/data/../secret.txt", "/data/abs/secret.txt",
                                                 "/data/rel", "/data/in.txt"], {"/data": volume})
    assert (console, status) == (
        "/data/../secret.txt: No such file or directory\n/data/abs/secret.txt: No such file or directory\n"
        "/data/rel: mode 120777 size 13\n/data/in.txt: mode 100644 size 7\ninside\n", 0)
    console, status = boot(images["guestprog"], ["borrow", "in.txt", "../secret.txt", "abs/secret.txt", "rel",
                                                 str(tmp_path / "secret.txt")], {"/data": volume})
    assert (console, status) == (
        "gadget found\nopenat in.txt: opened\nopenat ../secret.txt: Permission denied\n"
        "openat abs/secret.txt: Permission denied\nopenat rel: Permission denied\n"
        f"openat {tmp_path / 'secret.txt'}: Permission denied\n", 0)
    assert "secret" not in console.replace("secret.txt", "")
