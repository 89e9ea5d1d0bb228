"""Findings 2-5 of issue 10: volumes that keep data safe, and strings that reach QEMU intact.

- 2: a volume one guest writes is refused to a second guest (and to one while a host process
  holds flock on it), in one line naming the holder; read-only volumes share; --no-volume-lock
  opts out; nested host directories exclude each other.
- 3: `-v HOST:/`, a guest path given twice or inside another volume, and more volumes than
  microvm's slots are refused before QEMU starts; `:ro` volumes give the guest EROFS.
- 4: by default (mapped-xattr) a guest chown and guest symlinks are not host metadata;
  passthrough (explicit) makes them real.
- 5: commas, spaces, colons and '=' in the volume path, TMPDIR and the image path."""

import os
import shutil
import subprocess
import sys

import pytest

from trust_helpers import qemu_of, start_run, unicore_run, wait_for_line

pytestmark = pytest.mark.slow
META_LINES = ["chown: ok", "stat: uid 1234 gid 5678 mode 640", "symlink abs: ok", "symlink rel: ok",
              "readlink: ok /etc/hostname (symlink)", "readlink: ok ../../../../etc/hostname (symlink)"]


def lines(proc) -> list[str]:
    return proc.stdout.decode().splitlines()


def last_err(proc) -> str:
    return proc.stderr.decode().splitlines()[-1]


def test_read_only_volume_gives_erofs(trust_image, tmp_path):
    (tmp_path / "in.txt").write_text("kept\n")
    r = unicore_run("-v", f"{tmp_path}:/data:ro", str(trust_image), "--", "ro", "/data")
    assert (r.returncode, lines(r)) == (0, ["create: Read-only file system", "mkdir: Read-only file system",
                                            "unlink: Read-only file system", "append: Read-only file system",
                                            "read: ok kept"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]
    assert (tmp_path / "in.txt").read_text() == "kept\n"


def test_guest_metadata_is_not_host_metadata_by_default(trust_image, tmp_path):
    r = unicore_run("-v", f"{tmp_path}:/data", str(trust_image), "--", "meta", "/data")
    assert (r.returncode, lines(r)) == (0, META_LINES)  # the guest sees what it did
    owned = (tmp_path / "owned.txt").stat()
    assert (owned.st_uid, owned.st_gid) == (os.geteuid(), os.getegid())  # the host file is not chowned
    assert int.from_bytes(os.getxattr(tmp_path / "owned.txt", "user.virtfs.uid"), "little") == 1234
    for name, target in [("abs", b"/etc/hostname"), ("rel", b"../../../../etc/hostname")]:
        assert not (tmp_path / name).is_symlink()  # a plain file holding the target: nothing to follow
        assert (tmp_path / name).read_bytes() == target


def test_passthrough_is_real_host_metadata(trust_image, tmp_path):
    r = unicore_run("--volume-security", "passthrough", "-v", f"{tmp_path}:/data", str(trust_image),
                    "--", "meta", "/data")
    assert (r.returncode, lines(r)) == (0, META_LINES)
    assert ((tmp_path / "owned.txt").stat().st_uid, os.readlink(tmp_path / "abs")) == (1234, "/etc/hostname")


def test_second_guest_on_a_written_volume_is_refused(trust_image, tmp_path):
    first = start_run("-v", f"{tmp_path}:/data", str(trust_image), "--", "tick", "/data")
    try:
        wait_for_line(first, b"ticking")
        second = unicore_run("-v", f"{tmp_path}:/other", str(trust_image), "--", "writer", "/other", "b", "10")
        assert (second.returncode, second.stdout) == (2, b"")
        comm = open(f"/proc/{first.pid}/comm").read().strip()
        assert last_err(second) == (f"unicore: volume {tmp_path} is in use by pid {first.pid} ({comm}): it cannot "
                                    "be written by two guests at once (wait for it, or pass --no-volume-lock to "
                                    "share it anyway)")
        nested = tmp_path / "sub"
        nested.mkdir()
        inner = unicore_run("-v", f"{nested}:/data", str(trust_image), "--", "writer", "/data", "c", "10")
        assert inner.returncode == 2 and f"volume {tmp_path} is in use by pid {first.pid}" in last_err(inner)
        shared = unicore_run("--no-volume-lock", "-v", f"{tmp_path}:/data", str(trust_image),
                             "--", "writer", "/data", "d", "10")
        assert (shared.returncode, lines(shared)[0].split(":")[0]) == (0, "writer d")
    finally:
        first.terminate()
        assert first.wait(30) == 143


def test_read_only_volumes_share_and_exclude_writers(trust_image, tmp_path):
    (tmp_path / "in.txt").write_text("x\n")
    reader = start_run("-v", f"{tmp_path}:/data:ro", str(trust_image), "--", "spin")
    try:
        wait_for_line(reader, b"spinning")
        other = unicore_run("-v", f"{tmp_path}:/data:ro", str(trust_image), "--", "ro", "/data")
        assert (other.returncode, lines(other)[-1]) == (0, "read: ok x")
        writer = unicore_run("-v", f"{tmp_path}:/data", str(trust_image), "--", "writer", "/data", "w", "1")
        assert writer.returncode == 2 and "cannot be written by two guests at once" in last_err(writer)
    finally:
        reader.terminate()
        reader.wait(30)


def test_host_process_holding_flock_excludes_the_guest(trust_image, tmp_path):
    if not shutil.which("flock"):
        pytest.skip("util-linux flock missing")
    holder = subprocess.Popen(["flock", str(tmp_path), "sleep", "60"])
    try:
        for _ in range(100):
            if str(holder.pid) in open("/proc/locks").read():
                break
            __import__("time").sleep(0.05)
        r = unicore_run("-v", f"{tmp_path}:/data", str(trust_image), "--", "writer", "/data", "h", "1")
        assert r.returncode == 2 and f"is in use by pid {holder.pid} (flock)" in last_err(r)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("spec, message", [
    ("{d}:/", "volume '{d}:/': cannot mount a volume at / (the image's root file system); mount it at a "
              "directory such as /data"),
    ("{d}:/data -v {d}/a:/data/", "guest path /data is given twice (volumes {d} and {d}/a)"),
    ("{d}:/data -v {d}/a:/data/x", "guest path /data/x is inside volume /data: mount volumes side by side"),
])
def test_bad_guest_paths_are_refused_before_boot(trust_image, tmp_path, spec, message):
    (tmp_path / "a").mkdir()
    args = []
    for part in spec.format(d=tmp_path).split(" -v "):
        args += ["-v", part]
    r = unicore_run(*args, str(trust_image), "--", "echo", "x")
    assert (r.returncode, r.stdout, last_err(r)) == (2, b"", "unicore: " + message.format(d=tmp_path))


def test_more_volumes_than_slots_is_refused_before_boot(trust_image, tmp_path):
    args = []
    for i in range(24):
        (tmp_path / str(i)).mkdir()
        args += ["-v", f"{tmp_path / str(i)}:/v{i}"]
    r = unicore_run(*args, str(trust_image), "--", "echo", "x")
    assert (r.returncode, r.stdout, last_err(r)) == (
        2, b"", "unicore: 24 volumes: microvm has 24 virtio slots (1 taken by other devices)")
    ok = unicore_run(*args[:46], str(trust_image), "--", "writer", "/v22", "last", "2")
    assert (ok.returncode, (tmp_path / "22" / "out.txt").read_text()) == (0, "last line 0\nlast line 1\n")


def test_commas_spaces_colons_and_equals_reach_qemu_intact(trust_image, open_tmp):
    """The volume path, TMPDIR (the control channel and stdin module live there) and the image
    path all hold ', :=' (QEMU's option parser reads ',' as a separator unless doubled)."""
    odd = "a,b c:d=e,mux=on"
    volume, tmpdir, images = open_tmp / f"vol {odd}", open_tmp / f"tmp {odd}", open_tmp / f"img {odd}"
    for d in (volume, tmpdir, images):
        d.mkdir()
    image = images / f"trust {odd}.img"
    shutil.copyfile(trust_image, image)
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    r = subprocess.run([sys.executable, "-m", "unicore", "run", "--accel", "tcg", "-v", f"{volume}:/da ta,x=1",
                        str(image), "--", "writer", "/da ta,x=1", "w", "3"],
                       input=b"some stdin", capture_output=True, timeout=120, env=env)
    assert (r.returncode, r.stderr.decode().count("\n")) == (0, 1), r.stderr.decode()
    assert lines(r)[0].startswith("writer w: 3 lines, checksum ")
    assert (volume / "out.txt").read_text() == "w line 0\nw line 1\nw line 2\n"
    assert list(tmpdir.iterdir()) == []
