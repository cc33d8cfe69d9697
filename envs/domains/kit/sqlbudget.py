"""The work budget of agent-written SQL: one budget for every entry point that runs it.

One action must never cost unbounded time or memory, and SQL is where one short text
can ask for both: an endless ``WITH RECURSIVE``, ``zeroblob(400000000)``, a table of
millions of rows. While agent SQL runs (:func:`agent_budget`), SQLite itself enforces

* work: the virtual machine is interrupted after ``MAX_STEPS_K`` thousand steps (a
  count, not a clock, so the same query fails the same way on every machine), or
  after ``MAX_SECONDS``: a backstop for steps that each move a large value (sorting
  rows of 64 KiB blobs), which no query on a task's tables comes near;
* work inside one step, which no interrupt reaches (SQLite checks for one only where
  its program jumps back, between rows): a function call runs to its end. So
  ``printf``/``format`` are refused (``printf('%.*c', 1000000000, 'x')`` loops a
  billion times in one call: 3 s here), the other functions whose one call costs
  the product of its arguments' lengths (:data:`QUADRATIC_FUNCTIONS`, 20-40 ms on
  64 KiB values) are allowed :data:`MAX_QUADRATIC_CALLS` times in a statement, LIKE and
  GLOB patterns are short (``MAX_LIKE_PATTERN_BYTES``: a 20,000-byte one took 3 s),
  and the SQL text is at most ``MAX_SQL_CHARS`` long, which bounds the calls between
  two checks (:class:`FunctionBudget`, consulted by the connection's authorizer);
* values: no text or blob longer than ``MAX_VALUE_BYTES`` and no result wider than
  ``MAX_COLUMNS`` columns (SQLite's run-time limits);
* storage: a statement that writes (``CREATE TABLE ... AS``) grows the database to
  ``MAX_DATABASE_PAGES`` pages at most (a read-only one cannot write to it);

and :func:`fetch_rows` stops a result before it grows past ``MAX_RESULT_CHARS``
characters, before it is rendered. Each bound gives a :class:`~nexgym.error.ToolError`
that names it and says how to stay within it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nexgym.error import ToolError

__all__ = [
    "MAX_COLUMNS",
    "MAX_DATABASE_PAGES",
    "MAX_LIKE_PATTERN_BYTES",
    "MAX_QUADRATIC_CALLS",
    "MAX_RESULT_CHARS",
    "MAX_SECONDS",
    "MAX_SQL_CHARS",
    "MAX_STEPS_K",
    "MAX_VALUE_BYTES",
    "QUADRATIC_FUNCTIONS",
    "REFUSED_FUNCTIONS",
    "FunctionBudget",
    "agent_budget",
    "explain",
    "fetch_rows",
]

#: SQLite virtual-machine steps (in thousands) after which a query is interrupted.
MAX_STEPS_K = 200
#: Wall-clock seconds after which a query is interrupted, whatever its step count.
MAX_SECONDS = 0.5
#: Longest text or blob agent SQL may make, in bytes (a longer one could not be shown).
MAX_VALUE_BYTES = 65_536
#: Most columns in the result of agent SQL.
MAX_COLUMNS = 64
#: Most pages (4 KiB each: 32 MiB) the database may grow to while agent SQL runs.
MAX_DATABASE_PAGES = 8192
#: Most characters of a result returned to the agent, counted as it is rendered.
MAX_RESULT_CHARS = 65_536
#: Longest agent SQL text: it bounds the function calls SQLite makes between two checks.
MAX_SQL_CHARS = 10_000
#: Longest LIKE or GLOB pattern, in bytes (a match costs its length times the text's).
MAX_LIKE_PATTERN_BYTES = 100
#: Functions refused in agent SQL: the time of one call has no bound (see above).
REFUSED_FUNCTIONS = frozenset({"printf", "format"})
#: Functions one call of which costs up to the product of its arguments' lengths.
QUADRATIC_FUNCTIONS = frozenset({"instr", "replace", "like", "glob"})
#: Most calls of :data:`QUADRATIC_FUNCTIONS` in one agent statement.
MAX_QUADRATIC_CALLS = 8
#: Virtual-machine steps between two calls of the budget's progress handler.
_STEP_INTERVAL = 100

# fixed texts: the connection's statement cache keeps one compiled copy of each
_LIMIT_PAGES = f"PRAGMA max_page_count = {MAX_DATABASE_PAGES}"
_UNLIMIT_PAGES = "PRAGMA max_page_count = 1073741823"  # SQLite's default


@contextmanager
def agent_budget(conn: sqlite3.Connection, *, writes: bool = False) -> Iterator[None]:
    """Run the ``with`` block's statements on ``conn`` within the budget.

    Args:
        conn: the connection.
        writes: whether the block's statements write; the database's size is capped
            then, by pragmas run on entry and exit (a read-only authorizer, which
            denies pragmas, must be set inside the block).
    """
    steps = 0
    deadline = time.monotonic() + MAX_SECONDS

    def count_steps() -> int:
        nonlocal steps
        steps += _STEP_INTERVAL
        return 1 if steps > 1000 * MAX_STEPS_K or time.monotonic() > deadline else 0

    limits = {
        sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,
        sqlite3.SQLITE_LIMIT_COLUMN: MAX_COLUMNS,
        sqlite3.SQLITE_LIMIT_SQL_LENGTH: MAX_SQL_CHARS + 100,  # and the agent marker
        sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: MAX_LIKE_PATTERN_BYTES,
    }
    before = {limit: conn.setlimit(limit, value) for limit, value in limits.items()}
    if writes:
        conn.execute(_LIMIT_PAGES).fetchall()  # (it returns the new limit)
    conn.set_progress_handler(count_steps, _STEP_INTERVAL)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)
        if writes:
            conn.execute(_UNLIMIT_PAGES).fetchall()
        for limit, value in before.items():
            conn.setlimit(limit, value)


class FunctionBudget:
    """The functions one agent statement may call, counted as SQLite compiles it.

    The connection's authorizer asks :meth:`allows` for every function call in the
    statement (an operator such as LIKE included); a refusal makes the statement fail
    to compile, and :attr:`refusal` says why, for the agent.
    """

    __slots__ = ("quadratic_calls", "refusal")

    def __init__(self) -> None:
        self.quadratic_calls = 0
        self.refusal: str | None = None

    def start(self) -> None:
        """Begin counting for a new statement."""
        self.quadratic_calls = 0
        self.refusal = None

    def allows(self, name: str) -> bool:
        """Whether the statement may call function ``name`` once more."""
        name = name.lower()
        if name in REFUSED_FUNCTIONS:
            self.refusal = (
                f"{name}() is not allowed in agent SQL (one call can do unbounded work); "
                "build text with || and substr(), round numbers with round()"
            )
            return False
        if name in QUADRATIC_FUNCTIONS:
            self.quadratic_calls += 1
            if self.quadratic_calls > MAX_QUADRATIC_CALLS:
                self.refusal = (
                    f"the query uses instr, replace, LIKE or GLOB more than "
                    f"{MAX_QUADRATIC_CALLS} times, the most allowed; split it into "
                    "several queries"
                )
                return False
        return True


def fetch_rows(cursor: sqlite3.Cursor, max_rows: int) -> tuple[list[list[Any]], bool]:
    """Up to ``max_rows`` rows of a cursor and whether more were left.

    Rows are fetched one at a time and counted as they will be rendered, so a result
    stops at its first row past the limit (a row alone is bounded by SQLite's limits).

    Raises:
        ToolError: when the rows would pass ``MAX_RESULT_CHARS`` characters.
    """
    rows: list[list[Any]] = []
    size = 0
    for row in cursor:
        if len(rows) == max_rows:
            return rows, True
        size += 24 * len(row)  # a number, a null, or a text's quotes and separators
        for value in row:
            kind = type(value)
            if kind is str:
                size += len(value)
            elif kind is bytes:
                size += 4 * len(value)  # rendered as the bytes' repr: b'\x00...'
        if size > MAX_RESULT_CHARS:
            raise ToolError(
                f"the result is too large: its first {len(rows) + 1} row(s) pass "
                f"{MAX_RESULT_CHARS:,} characters; select fewer or shorter columns "
                "(substr, length) or fewer rows (WHERE, LIMIT)"
            )
        rows.append(list(row))
    return rows, False


def explain(error: sqlite3.DatabaseError, sql: str) -> str:
    """The tool error for an SQLite error of agent SQL: what went wrong and what to do."""
    message = str(error)
    if "not authorized" in message:
        return (
            f"only read-only SELECT queries are allowed, got {sql[:60]!r}; "
            "use the domain's tools to change data"
        )
    if "interrupted" in message:
        return "the query did too much work and was stopped; add a WHERE clause or a LIMIT"
    if "query string is too large" in message:
        return (
            f"the query is longer than {MAX_SQL_CHARS:,} characters, the most allowed; "
            "write a shorter query"
        )
    if "pattern too complex" in message:
        return (
            f"a LIKE or GLOB pattern is longer than {MAX_LIKE_PATTERN_BYTES} bytes, the most "
            "allowed; use a shorter pattern"
        )
    if "too big" in message:
        return (
            f"the query makes a text or blob longer than {MAX_VALUE_BYTES:,} bytes, "
            "the most allowed; make shorter values"
        )
    if "too many columns" in message:
        return f"the query has more than {MAX_COLUMNS} columns, the most allowed; select fewer"
    if "full" in message:
        return (
            f"the database would grow past {MAX_DATABASE_PAGES * 4 // 1024} MiB, the most "
            "allowed; keep fewer or shorter rows"
        )
    return f"SQL error: {message}; check table and column names with the schema tools"
