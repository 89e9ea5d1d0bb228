"""9pfs message layer on the host: T-messages encode to the bytes 9P2000.L specifies (built
here independently with struct.pack), R-messages decode, and malformed frames are refused
(size larger than the data, a string running past the end) without reading out of bounds."""

import struct
import subprocess
from pathlib import Path

import pytest

from fs_helpers import HERE, POOL, SANITIZE, gcc, includes, lib_sources


def frame(mtype: int, tag: int, body: bytes) -> bytes:
    return struct.pack("<IBH", 7 + len(body), mtype, tag) + body


def s(text: str) -> bytes:
    return struct.pack("<H", len(text)) + text.encode()


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("p9")
    sources = [str(HERE / "p9_prog.c"), str(HERE / "shim.c"), str(POOL / "9pfs" / "p9_msg.c")]
    sources += lib_sources("vfs", "ramfs")  # string helpers (and what vfs links against)
    return gcc(out / "p9_prog", sources, *SANITIZE, *includes("vfs", "ramfs", "9pfs"))


def run(prog: Path, *frames: bytes) -> list[str]:
    proc = subprocess.run([str(prog), *(f.hex() for f in frames)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "Sanitizer" not in proc.stderr, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.slow
def test_encodes_t_messages(prog: Path) -> None:
    out = run(prog)
    assert out[0] == "Tversion err=0 " + frame(100, 0xFFFF, struct.pack("<I", 69632) + s("9P2000.L")).hex()
    assert out[1] == "Twalk err=0 " + frame(110, 1, struct.pack("<IIH", 7, 8, 1) + s("etc")).hex()
    assert out[2] == "Tread err=0 " + frame(116, 1, struct.pack("<IQI", 9, 0x1122334455667788, 4096)).hex()
    assert out[3] == "overflow err=1"


@pytest.mark.slow
def test_decodes_r_messages(prog: Path) -> None:
    qid = struct.pack("<BIQ", 0x80, 3, 0xABCDEF)
    out = run(prog,
              frame(101, 0xFFFF, struct.pack("<I", 8192) + s("9P2000.L")),
              frame(7, 1, struct.pack("<I", 2)),
              frame(111, 1, struct.pack("<H", 2) + qid + qid),
              frame(23, 1, s("../target")))
    assert out[4:] == ["type=101 msize=8192 version=9P2000.L err=0", "type=7 ecode=2 err=0",
                       "type=111 nwqid=2 qid=128/3/abcdef qid=128/3/abcdef err=0",
                       "type=23 target=../target err=0"]


@pytest.mark.slow
def test_refuses_malformed_frames(prog: Path) -> None:
    good = frame(23, 1, s("abc"))
    too_big = struct.pack("<I", 500) + good[4:]
    short_string = frame(23, 1, struct.pack("<H", 40) + b"abc")
    out = run(prog, too_big, good[:5], short_string)
    assert out[4:] == ["type=-5 err=0", "type=-5 err=0", "type=23 target= err=1"]
