"""Scenario files: the shipped examples load, and every invalid file gives one line naming the
file and the field (the invalid files are kept in data/scenarios/)."""

from pathlib import Path

import pytest

from unicore.analysis.dynamic.scenario import Command, load_scenario
from unicore.errors import BadInputError

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "data" / "scenarios"


def test_sqlite3_example():
    s = load_scenario(ROOT / "examples/scenarios/sqlite3.toml")
    assert (s.name, s.program, s.args) == ("sqlite3-memory", Path("/usr/bin/sqlite3"), [":memory:"])
    assert s.stdin == (ROOT / "examples/scenarios/sqlite3.sql").read_bytes()
    assert (s.expect_exit, s.expect_stdout, s.timeout, s.stop) == (0, "3|three\n6\n", 10.0, "wait")
    assert s.cwd == ROOT / "examples/scenarios"


def test_tcp_example():
    s = load_scenario(ROOT / "examples/scenarios/tcp-server.toml")
    assert (s.port, s.stop, s.args) == (0, "terminate", ["tcp_server.py", "{port}"])
    assert s.commands == [Command(tcp="{port}", send="ping\n", expect="echo: ping")]
    assert s.expect_stdout_contains == "listening on 127.0.0.1:"


def test_defaults_and_relative_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "in.txt").write_bytes(b"\xff\x00data")
    path = tmp_path / "sub" / "mine.json"
    path.write_text('{"schema": 1, "program": "../prog", "cwd": "..", "stdin_file": "../in.txt",'
                    ' "env": {"A": "1"}, "commands": [{"shell": "true"}, {"tcp": 8080, "host": "::1"}]}')
    s = load_scenario(path)
    assert s.name == "mine" and s.args is None and s.env == {"A": "1"}
    assert s.program == tmp_path / "sub" / ".." / "prog" and s.cwd == tmp_path / "sub" / ".."
    assert s.stdin == b"\xff\x00data" and s.timeout is None and s.port is None
    assert s.commands == [Command(shell="true"), Command(tcp="8080", host="::1")]


BAD_CASES = {
    "no-schema.toml": "field 'schema': missing",
    "schema-2.toml": "field 'schema': unsupported version 2",
    "args-not-list.toml": "field 'args': must be a list of strings",
    "stdin-both.toml": "field 'stdin_file': give either stdin or stdin_file",
    "stdin-file-missing.toml": "field 'stdin_file': cannot read",
    "broken.toml": "invalid TOML",
    "broken.json": "invalid JSON",
    "negative-timeout.json": "field 'timeout': must be a positive number",
    "bad-stop.toml": "field 'stop': must be one of wait, terminate, kill",
    "unknown-key.toml": "field 'timeot': unknown field",
    "tcp-port-range.toml": "field 'commands[0].tcp': must be a port number",
    "tcp-port-placeholder-without-port.toml": "field 'commands[0].tcp': '{port}' needs",
    "command-both.toml": "field 'commands[0]': needs exactly one of 'shell' or 'tcp'",
    "expect-exit-string.toml": "field 'expect.exit': must be an integer",
    "expect-unknown.toml": "field 'expect.status': unknown field",
    "env-not-string.toml": "field 'env.A': must map",
    "port-bool.toml": "field 'port': must be an integer",
    "top-level-array.json": "the top level must be a table/object",
}


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_invalid_scenarios_name_file_and_field(name):
    with pytest.raises(BadInputError) as info:
        load_scenario(BAD / name)
    message = str(info.value)
    assert message.startswith(f"scenario {BAD / name}: ")
    assert BAD_CASES[name] in message
    assert "\n" not in message


def test_missing_scenario_file(tmp_path):
    with pytest.raises(BadInputError, match=r"scenario .*absent.toml: cannot read: No such file"):
        load_scenario(tmp_path / "absent.toml")


def test_every_bad_file_is_covered():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(BAD_CASES)
