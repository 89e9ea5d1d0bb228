"""QEMU confined: seccomp sandbox, an unprivileged identity when `unicore` is root and nothing
needs root, and the identity choice itself (runner/confine.py)."""

import os
import pwd
from pathlib import Path

import pytest

from trust_helpers import qemu_of, start_run, unicore_run, wait_for_line
from unicore.runner.confine import Identity, can_access, has_seccomp, qemu_identity
from unicore.runner.qemu import qemu_binary
from unicore.runner.volumes import Volume

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (privilege dropping)")


def status_fields(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()[0] if value.split() else ""
    return fields


def guest_status(image: Path, tmpdir: Path, *args: str) -> dict[str, str]:
    """/proc status of the QEMU of `unicore run ARGS IMAGE -- spin` while it spins."""
    proc = start_run(*args, str(image), "--", "spin", env={**os.environ, "TMPDIR": str(tmpdir)})
    try:
        wait_for_line(proc, b"spinning")
        return status_fields(qemu_of(proc.pid))
    finally:
        proc.terminate()
        assert proc.wait(30) == 143


@pytest.mark.slow
@root_only
def test_qemu_runs_sandboxed_as_nobody_without_volumes(trust_image, open_tmp):
    if not has_seccomp(qemu_binary()):
        pytest.skip("this QEMU has no seccomp sandbox")
    status = guest_status(trust_image, open_tmp)
    nobody = pwd.getpwnam("nobody")
    assert (status["Uid"], status["Gid"], status["Seccomp"], status["NoNewPrivs"]) == \
        (str(nobody.pw_uid), str(nobody.pw_gid), "2", "1")


@pytest.mark.slow
@root_only
def test_qemu_runs_as_the_volume_owner(trust_image, open_tmp):
    volume = open_tmp / "vol"
    volume.mkdir()
    os.chown(volume, 4321, 4321)
    status = guest_status(trust_image, open_tmp, "-v", f"{volume}:/data")
    assert (status["Uid"], status["Gid"]) == ("4321", "4321")
    r = unicore_run("-v", f"{volume}:/data", str(trust_image), "--", "writer", "/data", "o", "1",
                    env={**os.environ, "TMPDIR": str(open_tmp)})
    assert r.returncode == 0 and (volume / "out.txt").stat().st_uid == 4321


@root_only
def test_identity_choice(tmp_path, open_tmp):
    nobody = pwd.getpwnam("nobody")
    assert qemu_identity([], "mapped-xattr", "tcg", open_tmp) == \
        (Identity(nobody.pw_uid, nobody.pw_gid), f"uid {nobody.pw_uid} (no volumes)")
    root_vol = Volume(open_tmp, "/data")
    assert qemu_identity([root_vol], "mapped-xattr", "tcg", open_tmp) == \
        (None, f"root: volume {open_tmp} belongs to root")
    user_vol = open_tmp / "u"
    user_vol.mkdir()
    os.chown(user_vol, 4321, 4321)
    assert qemu_identity([Volume(user_vol, "/d")], "passthrough", "tcg", open_tmp) == \
        (None, "root: passthrough volumes set ownership as any user")
    assert qemu_identity([Volume(user_vol, "/d")], "mapped-xattr", "tcg", open_tmp)[0] == Identity(4321, 4321)
    hidden = tmp_path / "u"  # under pytest's 0700 directory: unreachable for uid 4321
    hidden.mkdir()
    os.chown(hidden, 4321, 4321)
    assert qemu_identity([Volume(hidden, "/d")], "mapped-xattr", "tcg", open_tmp) == \
        (None, f"root: {hidden} is not reachable for uid 4321")
    assert qemu_identity([], "mapped-xattr", "tcg", tmp_path) == \
        (None, f"root: the temporary directory {tmp_path} is not reachable for uid {nobody.pw_uid}")


def test_access_from_mode_bits(open_tmp):
    d = open_tmp / "d"
    d.mkdir(mode=0o750)
    os.chown(d, 0, 4000)
    assert can_access(d, Identity(5000, 4000), 5) and not can_access(d, Identity(5000, 4000), 7)
    assert not can_access(d, Identity(5000, 5000), 1)
    assert can_access(d, Identity(0, 0), 7)


def test_exit_status_channel_is_parsed_strictly():
    """The program runs at CPL0 and can write COM2 itself: only exact, in-range lines count."""
    from unicore.runner.run import _status
    assert _status("exit 7\n") == (7, None)
    assert _status("crash 11\n") == (139, 11)
    assert _status("exit 99999\nexit -1\nexit 3x\ncrash 0\ncrash 65\n") == (None, None)
    assert _status("stdin\nexit 256\nexit 255\n") == (255, None)
