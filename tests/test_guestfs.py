"""Root file system assembly: selection rules and a cpio archive that GNU cpio reads back."""

import subprocess

import pytest

from unicore.errors import BadInputError
from unicore.image.rootfs import Entry, from_pairs, from_report, from_tree, merge, write_cpio


def test_report_files_filtered_by_prefix_and_secrets():
    chosen, skipped = from_report(["/etc/hostname", "/etc/shadow", "/root/.bashrc", "/nonexistent/x",
                                   "/usr/share/zoneinfo/UTC", "/etc"])
    assert [e.guest for e in chosen] == ["/etc/hostname", "/usr/share/zoneinfo/UTC"]
    assert skipped == ["/etc/shadow", "/root/.bashrc", "/nonexistent/x", "/etc"]


def test_cpio_round_trip(tmp_path):
    tree = tmp_path / "tree"
    (tree / "data").mkdir(parents=True)
    (tree / "data" / "a.txt").write_text("alpha\n")
    (tree / "run.sh").write_text("#!/bin/sh\n")
    (tree / "run.sh").chmod(0o755)
    (tree / "link").symlink_to("data/a.txt")
    extra = tmp_path / "extra"
    extra.write_bytes(b"\xff" * 5)
    entries = merge(from_tree(tree), from_pairs([f"{extra}:/opt/x/extra.bin"]))
    archive = tmp_path / "root.cpio"
    write_cpio(entries, archive)
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["cpio", "-idm", "--quiet"], stdin=archive.open("rb"), cwd=out, check=True)
    assert (out / "data" / "a.txt").read_text() == "alpha\n"
    assert (out / "opt" / "x" / "extra.bin").read_bytes() == b"\xff" * 5
    assert (out / "link").is_symlink() and (out / "link").read_text() == "alpha\n"
    assert (out / "run.sh").stat().st_mode & 0o777 == 0o755
    assert int((out / "data" / "a.txt").stat().st_mtime) == int((tree / "data" / "a.txt").stat().st_mtime)
    listing = subprocess.run(["cpio", "-it", "--quiet"], stdin=archive.open("rb"), capture_output=True,
                             text=True, check=True).stdout.split()
    assert listing == ["data", "data/a.txt", "link", "opt", "opt/x", "opt/x/extra.bin", "run.sh"]


def test_first_source_wins_and_parents_are_made():
    entries = merge([Entry("/a/b/c", None, "one")], [Entry("/a/b/c", None, "two")])
    assert [(e.guest, e.reason) for e in entries] == [("/a", "parent directory"), ("/a/b", "parent directory"),
                                                      ("/a/b/c", "one")]


@pytest.mark.parametrize("pair,message", [("nocolon", "HOST:GUEST"), ("/nonexistent:/x", "is not a file"),
                                          ("/etc/hostname:/../x", "must not contain")])
def test_bad_file_pairs(pair, message):
    with pytest.raises(BadInputError, match=message):
        from_pairs([pair])
