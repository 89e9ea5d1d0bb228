"""The console channel, host side (docs/design.md, "Console channel"; docs/run.md).

One virtio-console port (QEMU `virtio-serial-device` in multiport mode + a `virtserialport` at
port 1: a `virtconsole` port would drop what the socket cannot take at once) on a socket
pair: QEMU holds one end (`-chardev socket,fd=N`), the runner the other. Frames both ways are an
8-byte header, little-endian `u32 length, u32 fd`, then `length` bytes:
- guest to host: fd 1 stdout, fd 2 stderr; an empty fd-0 frame means "the program reads stdin";
  fd 3 a terminal's new settings (tty.py), only when the runner lent the guest a terminal;
  fd 4 control lines (`exit N`, `crash SIG`) on platforms without a control UART (QEMU virt, arm64);
- host to guest: fd-0 frames are stdin; an empty fd-0 frame is its end of file.
The runner reads its stdin source only after the guest asked for it, and then streams it: a
program that never reads stdin leaves it unread, and `yes | unicore run IMG -- head -3` ends.
"""

import os
import socket
import struct
import threading
from typing import BinaryIO, Callable

HEADER = struct.Struct("<II")
CHUNK = 1 << 18  # bytes of stdin per frame
STDIN, STDOUT, STDERR, SETTINGS, CONTROL = 0, 1, 2, 3, 4


def console_devices(chardev: str) -> list[str]:
    """QEMU arguments for the console port on `chardev` (a -chardev spec with id=ukcon)."""
    return ["-chardev", chardev, "-device", "virtio-serial-device,max_ports=2",
            "-device", "virtserialport,chardev=ukcon,nr=1"]


class Channel:
    """The socket pair; `qemu_args()` for QEMU, then `started()` once QEMU holds its end."""

    def __init__(self) -> None:
        self.host, self.guest = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.guest.set_inheritable(True)
        self.reading = threading.Event()  # the guest asked for stdin

    @property
    def pass_fds(self) -> tuple[int, ...]:
        return (self.guest.fileno(),)

    def qemu_args(self) -> list[str]:
        return console_devices(f"socket,id=ukcon,fd={self.guest.fileno()}")

    def started(self) -> None:
        """QEMU has its own copy now: drop ours, so its exit reads as end of file here."""
        self.guest.close()

    def close(self) -> None:
        self.guest.close()
        self.host.close()


class Demux:
    """Splits the guest's frames into streams as bytes arrive (frames may span reads)."""

    def __init__(self, deliver: Callable[[int, bytes], None], on_read_request: Callable[[], None],
                 on_settings: Callable[[bytes], None] = lambda frame: None) -> None:
        self.deliver = deliver
        self.on_read_request = on_read_request
        self.on_settings = on_settings  # a whole SETTINGS frame
        self.settings = bytearray()
        self.header = bytearray()
        self.fd = STDOUT
        self.left = 0

    def feed(self, data: bytes) -> None:
        view, at = memoryview(data), 0
        while at < len(view):
            if self.left:
                take = min(self.left, len(view) - at)
                self._payload(bytes(view[at:at + take]))
                self.left -= take
                at += take
                continue
            take = min(HEADER.size - len(self.header), len(view) - at)
            self.header += view[at:at + take]
            at += take
            if len(self.header) == HEADER.size:
                self._header_done()

    def _payload(self, chunk: bytes) -> None:
        if self.fd != SETTINGS:
            self.deliver(self.fd, chunk)
            return
        self.settings += chunk
        if len(chunk) == self.left:  # the frame's last bytes (left is taken off after this)
            self.on_settings(bytes(self.settings))
            self.settings.clear()

    def _header_done(self) -> None:
        self.left, self.fd = HEADER.unpack(self.header)
        self.header.clear()
        if self.fd == STDIN and not self.left:
            self.on_read_request()
        elif self.fd == SETTINGS and not self.left:
            self.on_settings(b"")


def frames(data: bytes) -> bytes:
    """`data` as stdin frames (none for empty data)."""
    return b"".join(HEADER.pack(len(data[i:i + CHUNK]), STDIN) + data[i:i + CHUNK]
                    for i in range(0, len(data), CHUNK))


EOF_FRAME = HEADER.pack(0, STDIN)


def _chunks(stdin: bytes | BinaryIO | None):
    """The stdin source in pieces as they come: a file with a descriptor is read with os.read, so a
    pipe or a terminal hands over what it has (a line, for a terminal) without waiting for more."""
    if stdin is None:
        return
    if isinstance(stdin, (bytes, bytearray, memoryview)):
        for i in range(0, len(stdin), CHUNK):
            yield bytes(stdin[i:i + CHUNK])
        return
    try:
        fd = stdin.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    while chunk := (os.read(fd, CHUNK) if fd is not None else stdin.read(CHUNK)):
        yield chunk


def feed_stdin(channel: Channel, stdin: bytes | BinaryIO | None, stop: threading.Event) -> None:
    """Once the guest asks, stream `stdin` to it, then the end-of-file frame. Runs in a thread; a
    guest that ended or stopped reading is not an error."""
    while not channel.reading.wait(0.1):
        if stop.is_set():
            return
    try:
        for chunk in _chunks(stdin):
            if stop.is_set():
                return
            channel.host.sendall(frames(chunk))
        channel.host.sendall(EOF_FRAME)
    except (OSError, ValueError):
        pass


def start_feeder(channel: Channel, stdin: bytes | BinaryIO | None) -> threading.Event:
    """The stdin thread (a daemon: it may sit in a read of the runner's own stdin for ever, e.g. a
    terminal); set the returned event to make it stop at its next step."""
    stop = threading.Event()
    threading.Thread(target=feed_stdin, args=(channel, stdin, stop), daemon=True).start()
    return stop
