"""Parser for the text `strace -f -q -y -o FILE` writes: one event per syscall, signal or exit.

strace prints each line as `PID name(args) = result`; when another process interrupts a call it
splits it into `name(args <unfinished ...>` and later `<... name resumed>rest) = result` for the
same PID, so pending halves are kept per PID and joined before parsing. Arguments are split at
top-level commas while skipping quoted C strings (with escapes) and `-y` decorations such as
`3</etc/passwd>` or `AT_FDCWD</tmp>`, whose text may contain commas or parentheses.
"""

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

_PID_RE = re.compile(r"^(\d+)\s+(.*)$")
_CALL_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")
_RESUMED_RE = re.compile(r"^<\.\.\. ([A-Za-z0-9_]+) resumed>(.*)$")
_UNFINISHED = " <unfinished ...>"
_SIGNAL_RE = re.compile(r"^--- (SIG[A-Z0-9+-]+|stopped by (SIG[A-Z0-9]+))\b")
_EXIT_RE = re.compile(r"^\+\+\+ exited with (-?\d+) \+\+\+")
_KILLED_RE = re.compile(r"^\+\+\+ killed by (SIG[A-Z0-9+-]+)")
_SUPERSEDED_RE = re.compile(r"^\+\+\+ superseded by execve in pid (\d+) \+\+\+")
_ERRNO_RE = re.compile(r"^-1 (E[A-Z0-9]+)\b")
_DECOR_RE = re.compile(r"^(.*?)<(.*)>$", re.S)
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_SPECIAL_RE = re.compile(r'["<()\[\]{},]')
_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # unrolled: fast on long strings


@dataclass
class Call:
    """One system call: raw top-level argument texts and the raw result text."""

    pid: int
    name: str
    args: list[str]
    result: str | None  # None when the process died before the call returned
    errno: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.errno is None and not self.result.startswith("?")


@dataclass
class Signal:
    """A signal delivered to a process (`--- SIGCHLD {...} ---`)."""

    pid: int
    name: str


@dataclass
class Exit:
    """A process ended: `+++ exited with N +++` or `+++ killed by SIGX +++`."""

    pid: int
    status: int | None
    signal: str | None


Event = Call | Signal | Exit


@dataclass
class _Pending:
    calls: dict[int, str] = field(default_factory=dict)  # pid -> text before <unfinished ...>


def parse_trace(lines: Iterable[str]) -> Iterator[Event]:
    """Events in trace order; calls left unfinished (process killed) come last, result None."""
    pending = _Pending()
    for raw in lines:
        event = _parse_line(raw.rstrip("\n"), pending)
        if event is not None:
            yield event
    for pid, text in pending.calls.items():
        call = _call_from_text(pid, text + ")", complete=False)
        if call is not None:
            yield call


def _parse_line(line: str, pending: _Pending) -> Event | None:
    m = _PID_RE.match(line)
    if not m:
        return None  # not a traced-process line (e.g. an empty line)
    pid, body = int(m.group(1)), m.group(2)
    if body.startswith("---"):
        return _signal(pid, body)
    if body.startswith("+++"):
        return _superseded(pid, body, pending) or _exit(pid, body)
    resumed = _RESUMED_RE.match(body)
    if resumed:
        before = pending.calls.pop(pid, resumed.group(1) + "(")
        body = before + resumed.group(2)
    if body.endswith(_UNFINISHED):
        pending.calls[pid] = body[: -len(_UNFINISHED)]
        return None
    return _call_from_text(pid, body, complete=True)


def _signal(pid: int, body: str) -> Signal | None:
    m = _SIGNAL_RE.match(body)
    if not m:
        return None
    return Signal(pid, m.group(2) or m.group(1))


def _superseded(pid: int, body: str, pending: _Pending) -> Call | None:
    """A thread called execve: its pending execve resumes under the leader's pid `pid`.

    The leader's own pending call never returns; it is reported as unfinished so it is counted.
    """
    m = _SUPERSEDED_RE.match(body)
    if not m:
        return None
    lost = pending.calls.pop(pid, None)
    execve = pending.calls.pop(int(m.group(1)), None)
    if execve is not None:
        pending.calls[pid] = execve
    return _call_from_text(pid, lost + ")", complete=False) if lost else None


def _exit(pid: int, body: str) -> Exit | None:
    m = _EXIT_RE.match(body)
    if m:
        return Exit(pid, int(m.group(1)), None)
    m = _KILLED_RE.match(body)
    return Exit(pid, None, m.group(1)) if m else None  # "superseded by execve" is no exit


def _call_from_text(pid: int, body: str, complete: bool) -> Call | None:
    m = _CALL_RE.match(body)
    if not m:
        return None
    start = m.end()
    end = scan(body, start, stop_at=")")
    if end < 0:
        return None
    args = split_args(body[start:end])
    if not complete:
        return Call(pid, m.group(1), args, None)
    result = body[end + 1 :].strip()
    result = result[1:].strip() if result.startswith("=") else None
    errno = _ERRNO_RE.match(result) if result else None
    return Call(pid, m.group(1), args, result, errno.group(1) if errno else None)


def scan(text: str, i: int, stop_at: str) -> int:
    """Index of the first `stop_at` character at nesting depth 0 from `i`, or -1."""
    stack: list[str] = []
    while True:
        m = _SPECIAL_RE.search(text, i)  # jump to the next character that matters (long strings!)
        if not m:
            return -1
        i, c = m.start(), m.group(0)
        if c == '"':
            i = _skip_string(text, i)
        elif c == "<" and _opens_decoration(text, i):
            i = _skip_angle(text, i)
        elif not stack and c in stop_at:
            return i
        else:
            if c in _OPENERS:
                stack.append(_OPENERS[c])
            elif stack and c == stack[-1]:
                stack.pop()
            i += 1


def _skip_string(text: str, i: int) -> int:
    """Index after the closing quote of the C string starting at `i` (the end if unterminated)."""
    m = _STRING_RE.match(text, i)
    return m.end() if m else len(text)


def _opens_decoration(text: str, i: int) -> bool:
    """`<` starts a decoration, not a `1<<CAP_X` shift as capget prints."""
    prev = text[i - 1] if i else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    return prev != "<" and nxt != "<"


def _skip_angle(text: str, i: int) -> int:
    """Index after the `>` matching the `<` at `i` (decorations nest: `0</dev/null<char 1:3>>`)."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def split_args(text: str) -> list[str]:
    """Top-level comma-separated pieces of an argument list, stripped."""
    out: list[str] = []
    i = 0
    while True:
        j = scan(text, i, stop_at=",")
        if j < 0:
            piece = text[i:].strip()
            if piece or out:
                out.append(piece)
            return out
        out.append(text[i:j].strip())
        i = j + 1


_SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "a": 7, "b": 8, "\\": 92, '"': 34}


def unescape(body: str) -> bytes:
    """Bytes of a C string body as strace prints it (\\n, \\xHH, octal, \\\\, \\")."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 >= len(body):
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        i = _unescape_one(body, i + 1, out)
    return bytes(out)


def _unescape_one(body: str, i: int, out: bytearray) -> int:
    """Decode the escape whose letter is at `i`; return the index after it."""
    c = body[i]
    if c in _SIMPLE_ESCAPES:
        out.append(_SIMPLE_ESCAPES[c])
        return i + 1
    if c == "x":
        m = re.match(r"[0-9a-fA-F]{1,2}", body[i + 1 :])
        digits = m.group(0) if m else ""
        out.append(int(digits, 16) if digits else ord("x"))
        return i + 1 + len(digits)
    m = re.match(r"[0-7]{1,3}", body[i:])
    if m:
        out.append(int(m.group(0), 8) & 0xFF)
        return i + len(m.group(0))
    out += c.encode("utf-8", "surrogateescape")
    return i + 1


def string_arg(arg: str) -> str | None:
    """The text of a quoted string argument (`"/etc/x"` or a truncated `"abc"...`), else None."""
    if not arg.startswith('"'):
        return None
    end = _skip_string(arg, 0)
    return unescape(arg[1 : end - 1]).decode("utf-8", "surrogateescape")


def decoration(arg: str) -> tuple[str, str | None]:
    """Split a `-y` decorated value: `3</etc/x>` -> ("3", "/etc/x"); plain values -> (arg, None)."""
    m = _DECOR_RE.match(arg.strip())
    if not m or not _opens_decoration(arg.strip(), len(m.group(1))):
        return arg.strip(), None
    return m.group(1), unescape(m.group(2)).decode("utf-8", "surrogateescape")


def string_list(arg: str) -> list[str]:
    """The strings of an array argument such as execve's argv `["sh", "-c", "x"]`."""
    inner = arg.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        return []
    items = split_args(inner[1:-1])
    return [s for s in (string_arg(item) for item in items) if s is not None]
