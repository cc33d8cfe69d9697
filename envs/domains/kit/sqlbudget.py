"""The work budget of agent-written SQL: one budget for every entry point that runs it.

One action must never cost unbounded time or memory, and SQL is where one short text
can ask for both: an endless ``WITH RECURSIVE``, ``zeroblob(400000000)``, a table of
millions of rows. While agent SQL runs (:func:`agent_budget`), SQLite itself enforces

* work: the virtual machine is interrupted after ``MAX_STEPS_K`` thousand steps (a
  count, not a clock, so the same query fails the same way on every machine), or
  after ``MAX_SECONDS``: a backstop for steps that each move a large value (sorting
  rows of 64 KiB blobs), which no query on a task's tables comes near;
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
    "MAX_RESULT_CHARS",
    "MAX_SECONDS",
    "MAX_STEPS_K",
    "MAX_VALUE_BYTES",
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
        steps += 1
        return 1 if steps > MAX_STEPS_K or time.monotonic() > deadline else 0

    length = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    columns = conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, MAX_COLUMNS)
    if writes:
        conn.execute(_LIMIT_PAGES).fetchall()  # (it returns the new limit)
    conn.set_progress_handler(count_steps, 1000)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)
        if writes:
            conn.execute(_UNLIMIT_PAGES).fetchall()
        conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, columns)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, length)


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
