"""initrd on the host: a tree packed by `cpio -o -H newc` is unpacked into ramfs with the
same names, types, permissions, contents, link targets and mtimes; a truncated archive gives
EINVAL and a full ramfs ENOSPC, without a crash (AddressSanitizer/UBSan on)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fs_helpers import HERE, SANITIZE, gcc, includes, lib_sources

LIBS = ("vfs", "ramfs", "devfs", "initrd")


def fnv(data: bytes) -> str:
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return f"{h:016x}"


def make_tree(root: Path) -> None:
    (root / "etc" / "deep" / "er").mkdir(parents=True)
    (root / "etc" / "hosts").write_text("127.0.0.1 localhost\n")
    (root / "etc" / "deep" / "er" / "odd").write_bytes(bytes(range(256)) * 13 + b"xyz")
    (root / "empty").write_bytes(b"")
    secret = root / "etc" / "secret"
    secret.write_text("s")
    secret.chmod(0o600)
    (root / "bin").mkdir(mode=0o711)
    (root / "bin").chmod(0o711)
    tool = root / "bin" / "tool"
    tool.write_bytes(b"\x7fELF" + b"\0" * 5000)
    tool.chmod(0o755)
    (root / "etc" / "link").symlink_to("hosts")
    (root / "abs").symlink_to("/etc/deep")
    for p in [root, *root.rglob("*")]:
        os.utime(p, (1600000000, 1600000000), follow_symlinks=False)


def expected_listing(root: Path) -> list[str]:
    lines = []
    for p in sorted(root.rglob("*")):
        rel, st = str(p.relative_to(root)), p.lstat()
        if p.is_symlink():
            lines.append(f"{rel} link {os.readlink(p)}")
        elif p.is_dir():
            lines.append(f"{rel} dir {st.st_mode & 0o7777:o}")
        else:
            data = p.read_bytes()
            lines.append(f"{rel} file {st.st_mode & 0o7777:o} {len(data)} {fnv(data)} {int(st.st_mtime)}")
    return sorted(lines)


def pack(root: Path, out: Path) -> bytes:
    if not shutil.which("cpio"):
        pytest.skip("cpio is not installed")
    names = "\n".join(sorted(str(p.relative_to(root)) for p in root.rglob("*"))) + "\n"
    subprocess.run(["cpio", "-o", "-H", "newc", "--quiet", "-O", str(out)], cwd=root,
                   input=names, text=True, check=True)
    return out.read_bytes()


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("initrd")
    sources = [str(HERE / "initrd_prog.c"), str(HERE / "shim.c")] + lib_sources(*LIBS)
    return gcc(out / "initrd_prog", sources, *SANITIZE, *includes(*LIBS))


def run(prog: Path, *args: str) -> list[str]:
    proc = subprocess.run([str(prog), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Sanitizer" not in proc.stderr, proc.stderr[-4000:]
    return proc.stdout.splitlines()


@pytest.mark.slow
def test_unpacks_cpio_tree_exactly(prog: Path, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    make_tree(root)
    pack(root, tmp_path / "a.cpio")
    out = run(prog, str(tmp_path / "a.cpio"))
    expected = expected_listing(root)
    assert out[0] == f"unpacked {len(expected)}"
    assert sorted(out[1:]) == expected


@pytest.mark.slow
def test_truncated_archive_is_einval(prog: Path, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    make_tree(root)
    data = pack(root, tmp_path / "a.cpio")
    # cpio pads the archive with zeros after the trailer: cut before it
    for cut in (50, len(data) // 2, data.index(b"TRAILER!!!") - 5):
        (tmp_path / "cut.cpio").write_bytes(data[:cut])
        assert run(prog, str(tmp_path / "cut.cpio"))[0] == "unpacked -22"
    (tmp_path / "junk.cpio").write_bytes(b"this is not a cpio archive at all" * 10)
    assert run(prog, str(tmp_path / "junk.cpio")) == ["unpacked -22"]


@pytest.mark.slow
def test_full_ramfs_is_enospc(prog: Path, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "big").write_bytes(b"x" * 100000)
    pack(root, tmp_path / "a.cpio")
    assert run(prog, str(tmp_path / "a.cpio"), "50000") == ["unpacked -28"]
    assert run(prog, str(tmp_path / "a.cpio"), "100000")[0] == "unpacked 1"


@pytest.mark.slow
def test_unpacks_the_archive_unicore_build_writes(prog: Path, tmp_path: Path) -> None:
    """The contract with unicore.image.rootfs: its cpio writer and this reader agree."""
    from unicore.image.rootfs import from_tree, merge, write_cpio

    root = tmp_path / "tree"
    root.mkdir()
    make_tree(root)
    write_cpio(merge(from_tree(root)), tmp_path / "rootfs.cpio")
    out = run(prog, str(tmp_path / "rootfs.cpio"))
    # the writer records directories as 0755 and keeps the files' mtimes
    expected = [line.replace(" dir 711", " dir 755") for line in expected_listing(root)]
    assert out[0] == f"unpacked {len(expected)}"
    assert sorted(out[1:]) == sorted(expected)
