"""The SQLite workload every system runs: create a table, insert rows in one transaction, query.

The SQL goes to the `sqlite3` shell on standard input (in-memory database), so every system runs
the same bytes the same way; the expected result is computed here, independently of SQLite.
"""

from dataclasses import dataclass

from unicore.errors import BadInputError

MODULUS = 10007  # a prime: values spread over the table without a pattern sqlite could shortcut


def _value(i: int) -> int:
    return (i * 7919) % MODULUS


def _name(i: int) -> str:
    return f"item-{i:06d}"


@dataclass(frozen=True)
class Workload:
    """N rows inserted in one transaction, then one aggregate query."""

    rows: int

    def __post_init__(self) -> None:
        if self.rows < 1:
            raise BadInputError(f"the workload needs at least one row (got {self.rows})")

    def sql(self) -> str:
        lines = ["CREATE TABLE kv(id INTEGER PRIMARY KEY, name TEXT NOT NULL, value INTEGER NOT NULL);",
                 "BEGIN;"]
        lines += [f"INSERT INTO kv(name, value) VALUES('{_name(i)}', {_value(i)});"
                  for i in range(1, self.rows + 1)]
        lines += ["COMMIT;",
                  "SELECT count(*), sum(value), min(name), max(name), sum(value % 2) FROM kv;", ""]
        return "\n".join(lines)

    def expected(self) -> str:
        """The one line the query prints, in the shell's default `list` mode."""
        values = [_value(i) for i in range(1, self.rows + 1)]
        return "|".join(str(x) for x in (len(values), sum(values), _name(1), _name(self.rows),
                                          sum(v % 2 for v in values)))


def result_line(text: str) -> str:
    """The query result from a system's output: its last non-empty line, without CR or blanks."""
    lines = [line.strip() for line in text.replace("\r", "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
