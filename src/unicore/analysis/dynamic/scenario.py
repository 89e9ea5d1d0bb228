"""Scenario files (docs/scenario.md): how to run a program for dynamic analysis.

A scenario is TOML (`.toml`) or JSON (`.json`) with `schema = 1`. Every path in it is relative
to the scenario file. Invalid files raise BadInputError with one line naming the file and field.
"""

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unicore.errors import BadInputError

SCHEMA = 1
STOPS = ("wait", "terminate", "kill")
_TOP_KEYS = {"schema", "name", "program", "args", "env", "cwd", "scratch", "stdin", "stdin_file", "timeout",
             "port", "stop", "commands", "expect"}
_COMMAND_KEYS = {"shell", "tcp", "host", "send", "expect"}
_EXPECT_KEYS = {"exit", "stdout", "stdout_contains"}


@dataclass(frozen=True)
class Command:
    """One action run against the program while it runs: a shell command or a TCP exchange."""

    shell: str | None = None
    tcp: str | None = None  # port number, or "{port}" for the scenario's port
    host: str = "127.0.0.1"
    send: str = ""
    expect: str | None = None

    def describe(self) -> str:
        return f"shell: {self.shell}" if self.shell is not None else f"tcp {self.host}:{self.tcp}"


@dataclass
class Scenario:
    """A validated scenario; `args` None means "use the program's arguments from the caller"."""

    name: str
    path: Path | None = None
    program: Path | None = None
    args: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    scratch: bool = False  # each run in a fresh empty working directory (instead of cwd)
    stdin: bytes = b""
    timeout: float | None = None
    port: int | None = None  # 0: pick a free loopback port at run time
    stop: str = "wait"
    commands: list[Command] = field(default_factory=list)
    expect_exit: int | None = None
    expect_stdout: str | None = None
    expect_stdout_contains: str | None = None


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file; BadInputError names the file and the bad field."""
    path = Path(path)
    data = _read(path)
    return _Validator(path, data).scenario()


def _read(path: Path) -> dict:
    try:
        text = path.read_text()
    except OSError as e:
        raise BadInputError(f"scenario {path}: cannot read: {e.strerror or e}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise BadInputError(f"scenario {path}: invalid {kind}: {e}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"scenario {path}: the top level must be a table/object")
    return data


class _Validator:
    """Checks each field in turn; `fail` raises the one-line error."""

    def __init__(self, path: Path, data: dict):
        self.path, self.data, self.base = path, data, path.resolve().parent

    def fail(self, field_name: str, message: str):
        raise BadInputError(f"scenario {self.path}: field '{field_name}': {message}")

    def scenario(self) -> Scenario:
        self._check_schema()
        self._check_keys(self.data, _TOP_KEYS, "")
        expect = self._table("expect")
        self._check_keys(expect, _EXPECT_KEYS, "expect.")
        return Scenario(
            name=self._str("name", self.path.stem), path=self.path,
            program=self._path("program"), args=self._str_list("args"), env=self._env(),
            cwd=self._path("cwd") or self.base, scratch=self._bool("scratch"), stdin=self._stdin(),
            timeout=self._timeout(),
            port=self._port(), stop=self._stop(), commands=self._commands(),
            expect_exit=self._int(expect, "expect.exit"),
            expect_stdout=self._opt_str(expect, "stdout", "expect.stdout"),
            expect_stdout_contains=self._opt_str(expect, "stdout_contains", "expect.stdout_contains"),
        )

    def _check_schema(self) -> None:
        if "schema" not in self.data:
            self.fail("schema", f"missing (this version reads schema = {SCHEMA})")
        if self.data["schema"] != SCHEMA or isinstance(self.data["schema"], bool):
            self.fail("schema", f"unsupported version {self.data['schema']!r} (expected {SCHEMA})")

    def _check_keys(self, table: dict, allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(prefix + key, f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def _table(self, key: str) -> dict:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, "must be a table/object")
        return value

    def _str(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value:
            self.fail(key, "must be a non-empty string")
        return value

    def _bool(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
        return value

    def _opt_str(self, table: dict, key: str, label: str) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            self.fail(label, "must be a string")
        return value

    def _int(self, table: dict, label: str) -> int | None:
        value = table.get(label.split(".")[-1])
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            self.fail(label, "must be an integer")
        return value

    def _path(self, key: str) -> Path | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.fail(key, "must be a non-empty path string")
        return self.base / value  # an absolute value replaces the base

    def _str_list(self, key: str) -> list[str] | None:
        value = self.data.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            self.fail(key, "must be a list of strings")
        return value

    def _env(self) -> dict[str, str]:
        env = self._table("env")
        for key, value in env.items():
            if not isinstance(value, str) or not key or "=" in key:
                self.fail(f"env.{key}", "must map a variable name (no '=') to a string")
        return dict(env)

    def _stdin(self) -> bytes:
        if "stdin" in self.data and "stdin_file" in self.data:
            self.fail("stdin_file", "give either stdin or stdin_file, not both")
        if "stdin" in self.data:
            if not isinstance(self.data["stdin"], str):
                self.fail("stdin", "must be a string (or use stdin_file)")
            return self.data["stdin"].encode()
        stdin_file = self._path("stdin_file")
        if stdin_file is None:
            return b""
        try:
            return stdin_file.read_bytes()
        except OSError as e:
            self.fail("stdin_file", f"cannot read {stdin_file}: {e.strerror or e}")

    def _timeout(self) -> float | None:
        value = self.data.get("timeout")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            self.fail("timeout", "must be a positive number of seconds")
        return None if value is None else float(value)

    def _port(self) -> int | None:
        value = self.data.get("port")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 65536):
            self.fail("port", "must be an integer 0..65535 (0 picks a free port)")
        return value

    def _stop(self) -> str:
        value = self.data.get("stop", "wait")
        if value not in STOPS:
            self.fail("stop", f"must be one of {', '.join(STOPS)}")
        return value

    def _commands(self) -> list[Command]:
        value = self.data.get("commands", [])
        if not isinstance(value, list):
            self.fail("commands", "must be an array of tables ([[commands]])")
        return [self._command(i, item) for i, item in enumerate(value)]

    def _command(self, i: int, item: Any) -> Command:
        label = f"commands[{i}]"
        if not isinstance(item, dict):
            self.fail(label, "must be a table/object")
        self._check_keys(item, _COMMAND_KEYS, label + ".")
        if ("shell" in item) == ("tcp" in item):
            self.fail(label, "needs exactly one of 'shell' or 'tcp'")
        for key in ("shell", "host", "send", "expect"):
            if key in item and not isinstance(item[key], str):
                self.fail(f"{label}.{key}", "must be a string")
        if "shell" in item:
            return Command(shell=item["shell"])
        return Command(tcp=self._tcp_port(item["tcp"], label), host=item.get("host", "127.0.0.1"),
                       send=item.get("send", ""), expect=item.get("expect"))

    def _tcp_port(self, value: Any, label: str) -> str:
        if value == "{port}":
            if "port" not in self.data:
                self.fail(f"{label}.tcp", "'{port}' needs the top-level 'port' field")
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            self.fail(f"{label}.tcp", "must be a port number 1..65535 or \"{port}\"")
        return str(value)
