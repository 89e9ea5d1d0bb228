"""The user's terminal, lent to the guest (the guest side is pool/lib/tty; docs/run.md).

When `unicore run`'s stdin is a terminal, the guest is told so on its command line
(`tty=FDS:ROWSxCOLS`: which of its streams 0-2 are terminals here, and the window size), and its
console files answer isatty, tcgetattr and TIOCGWINSZ as a Linux tty does. A program's tcsetattr
comes back as a console frame on stream SETTINGS (the kernel's 36-byte struct termios), applied
here to the user's terminal: the host's line discipline does the echo and line editing, or stays
out of the way in raw mode (readline, editors). The terminal's settings are restored at the end.
"""

import os
import struct
import termios
from typing import BinaryIO

SETTINGS = 3  # console stream of terminal settings, guest to host
KERNEL_TERMIOS = struct.Struct("<IIIIB19s")  # iflag, oflag, cflag, lflag, line, cc[19]
IFLAG, OFLAG, CFLAG, LFLAG, CC = 0, 1, 2, 3, 6


def _fd(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


class Terminal:
    """The terminal the runner's stdin is: its kernel token, and the guest's settings applied."""

    def __init__(self, fd: int, streams: str) -> None:
        self.fd, self.streams = fd, streams
        self.saved = termios.tcgetattr(fd)

    @classmethod
    def of(cls, stdin: bytes | BinaryIO | None, stdout_fd: int = 1, stderr_fd: int = 2) -> "Terminal | None":
        """A Terminal when `stdin` is a terminal (None otherwise: the guest sees pipes)."""
        fd = _fd(stdin)
        if fd is None or not os.isatty(fd):
            return None
        return cls(fd, "0" + "1" * os.isatty(stdout_fd) + "2" * os.isatty(stderr_fd))

    def token(self) -> str:
        try:
            size = os.get_terminal_size(self.fd)
            rows, cols = size.lines, size.columns
        except OSError:
            rows, cols = 24, 80
        return f"tty={self.streams}:{rows}x{cols}"

    def apply(self, frame: bytes) -> None:
        """The guest's tcsetattr: its input, output and local modes and control characters (the
        line speed and character size stay the host's)."""
        if len(frame) != KERNEL_TERMIOS.size:
            return
        iflag, oflag, _cflag, lflag, _line, cc = KERNEL_TERMIOS.unpack(frame)
        attrs = termios.tcgetattr(self.fd)
        attrs[IFLAG], attrs[OFLAG], attrs[LFLAG] = iflag, oflag, lflag
        attrs[CC] = [bytes([c]) for c in cc] + attrs[CC][len(cc):]
        if not lflag & termios.ICANON:  # VMIN and VTIME are numbers in raw mode
            attrs[CC][termios.VMIN], attrs[CC][termios.VTIME] = cc[termios.VMIN], cc[termios.VTIME]
        try:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, attrs)
        except termios.error:
            pass

    def restore(self) -> None:
        try:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        except termios.error:
            pass
