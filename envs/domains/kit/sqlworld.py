"""A world backed by an in-memory SQLite database, shared by the SQL domains.

:class:`SqlWorld` wraps one ``sqlite3`` connection to ``:memory:``. Worlds copy with
:func:`copy.deepcopy` and pickle (both through ``Connection.serialize``), so
episodes can be forked and sent to worker processes.
Agent-written SQL only ever runs through :meth:`SqlWorld.select`, which accepts a
single read-only ``SELECT`` (enforced by an authorizer, not by parsing), and
:meth:`SqlWorld.create_table_as`, which saves such a ``SELECT``'s rows; both run
within the one work budget of :mod:`~nexgym.envs.domains.kit.sqlbudget` (work, value
sizes, database size) and ``select`` caps the rows it returns and their size.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from nexgym.envs.domains.kit.sqlbudget import (
    MAX_STEPS_K,
    FunctionBudget,
    agent_budget,
    explain,
    fetch_rows,
)

from nexgym.error import ToolError

__all__ = ["MAX_ROWS", "MAX_STEPS_K", "SqlWorld", "quote_identifier"]

#: Most rows a read-only query returns to the agent.
MAX_ROWS = 50

_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
#: Actions that leave the schema as it is (any other marks the connection, see _Guard).
_DATA_ACTIONS = _READ_ACTIONS | {
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_TRANSACTION,
    sqlite3.SQLITE_SAVEPOINT,
}
#: Pragmas trusted code runs that leave the schema as it is (any other marks the connection).
_READ_PRAGMAS = frozenset({"table_info", "foreign_key_check", "max_page_count"})
#: Put before agent SQL: its cached statements never serve trusted code, nor the reverse.
#: (Not after it: SQLite names a column by its text, up to the end for the last one.)
_AGENT_SQL = "-- agent\n"


class _Guard:
    """A connection's authorizer, set once: setting one expires every cached statement.

    It denies all but reading while ``read_only`` is set (agent SQL is compiled then),
    and then the function calls its :class:`FunctionBudget` refuses; it notes
    statements that may change the schema: a cached one would be stale on the next
    database deserialized into the connection (see :meth:`SqlWorld._connect`).
    """

    __slots__ = ("functions", "read_only", "schema_changed")

    def __init__(self) -> None:
        self.read_only = False
        self.schema_changed = False
        self.functions = FunctionBudget()

    def authorize(
        self, action: int, arg1: str | None, arg2: str | None, db: str | None, src: str | None
    ) -> int:
        if action == sqlite3.SQLITE_FUNCTION and self.read_only:
            return sqlite3.SQLITE_OK if self.functions.allows(arg2 or "") else sqlite3.SQLITE_DENY
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if self.read_only:
            return sqlite3.SQLITE_DENY
        if action not in _DATA_ACTIONS and not (
            action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS
        ):
            self.schema_changed = True
        return sqlite3.SQLITE_OK


class _Connection(sqlite3.Connection):
    """An in-memory connection with its guard and the schema its statements were made for."""

    guard: _Guard
    #: the schema script of the database, None when unknown or changed since
    schema: str | None = None


#: schema script (None: unknown) -> connections of collected worlds, ready for reuse
_POOL: dict[str | None, list[_Connection]] = {}
_POOL_SIZE = 32

#: schema script -> the serialized database it creates (see :meth:`SqlWorld.__init__`).
_SCHEMA_IMAGES: dict[str, bytes] = {}

#: Most parameters one INSERT binds: the lowest default of SQLITE_MAX_VARIABLE_NUMBER.
_MAX_VARIABLES = 999


#: The user tables, as :meth:`SqlWorld.tables` lists them.
_USER_TABLES = "sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
_HAS_TABLE = f"SELECT 1 FROM {_USER_TABLES} AND name = ?"
#: A main-database table's CREATE text; names match as in ``PRAGMA table_info``.
_TABLE_SQL = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE"
#: CREATE text -> the table's column names and types (see :meth:`SqlWorld._table_info`).
_TABLE_INFO: dict[str, dict[str, str]] = {}
_TABLE_INFO_SIZE = 256


def quote_identifier(name: str) -> str:
    """Quote a table or column name for SQL (names come from a checked list)."""
    return '"' + name.replace('"', '""') + '"'


class SqlWorld:
    """An in-memory SQLite database plus any plain attributes a domain adds.

    Args:
        schema: SQL script that creates the tables. It runs once per process; later
            worlds load the database it made (``Connection.deserialize``, the same
            bytes), which is many times faster than parsing the script again.
    """

    def __init__(self, schema: str = "") -> None:
        image = _SCHEMA_IMAGES.get(schema) if schema else None
        self.conn = self._connect(image, schema or None)
        if schema and image is None:
            self.conn.executescript(schema)
            _SCHEMA_IMAGES[schema] = self.conn.serialize()
            self.conn.guard.schema_changed = False  # the script's statements are not cached

    @staticmethod
    def _connect(image: bytes | None = None, schema: str | None = None) -> _Connection:
        """An in-memory connection, holding the database ``image`` if one is given.

        Connections of worlds that were garbage-collected are reused (``deserialize``
        replaces their whole database): opening one and preparing the same statements
        again cost more than the rest of a small world's generation. Cached statements
        stay valid only for the schema they were made for (SQLite checks the schema's
        version number, which another schema may share), so a connection is reused as
        it is for the same ``schema`` script and otherwise has its statements expired.
        """
        while image is not None:
            try:
                conn = (_POOL.get(schema) or _POOL.get(None) or []).pop()
            except IndexError:  # none, or another thread took the last one
                break
            stale = schema is None or conn.schema != schema or conn.guard.schema_changed
            try:
                conn.deserialize(image)
            except sqlite3.Error:  # busy (an unfinished cursor): drop it
                conn.close()
                continue
            if stale:
                conn.set_authorizer(conn.guard.authorize)  # expires every cached statement
            conn.guard.schema_changed = False  # (deserialize runs an ATTACH)
            conn.schema = schema
            return conn
        conn = sqlite3.connect(
            ":memory:", check_same_thread=False, isolation_level=None, factory=_Connection
        )
        if image is not None:
            conn.deserialize(image)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.guard = _Guard()
        conn.set_authorizer(conn.guard.authorize)
        conn.schema = schema
        return conn

    def _schema(self) -> str | None:
        """The schema script of the database, None if unknown or changed since."""
        return None if self.conn.guard.schema_changed else self.conn.schema

    def __del__(self) -> None:
        try:
            conn = self.__dict__.get("conn")
            if conn is None or conn.in_transaction:
                return
            pool = _POOL.setdefault(self._schema(), [])
            if len(pool) < _POOL_SIZE:
                conn.set_progress_handler(None, 0)
                pool.append(conn)
        except Exception:  # closed, or the interpreter is shutting down
            return

    # -- copying and pickling -------------------------------------------------------

    def __deepcopy__(self, memo: dict[int, Any]) -> SqlWorld:
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key != "conn":
                setattr(clone, key, copy.deepcopy(value, memo))
        # the same database as ``Connection.backup`` copies, a few times faster
        clone.conn = self._connect(self.conn.serialize(), self._schema())
        return clone

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k != "conn"}
        state["_database"] = self.conn.serialize()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        data = state.pop("_database")
        self.__dict__.update(state)
        self.conn = self._connect(data)

    # -- trusted access (tools and verifiers) -----------------------------------------

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a trusted query and return every row as a dict."""
        cursor = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a trusted query, or None."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a trusted query (None if no row)."""
        row = self.conn.execute(sql, tuple(params)).fetchone()
        return None if row is None else row[0]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a trusted write statement; returns the number of changed rows."""
        return self.conn.execute(sql, tuple(params)).rowcount

    def insert(self, table: str, records: Iterable[dict[str, Any]]) -> None:
        """Insert dict records into a table (every record must have the same keys)."""
        records = list(records)
        if not records:
            return
        columns = list(records[0])
        get = itemgetter(*columns)
        rows = [get(r) for r in records] if len(columns) > 1 else [(get(r),) for r in records]
        self.insert_rows(table, columns, rows)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows of values in ``columns`` order into a table: all of them or none.

        The rows go in as few multi-row ``INSERT ... VALUES`` statements as the
        parameter limit allows: a few times faster than ``executemany`` (one
        statement, with its constraint checks, per row).
        """
        if not rows:
            return
        width = len(columns)
        head = (
            f"INSERT INTO {quote_identifier(table)} "
            f"({', '.join(quote_identifier(c) for c in columns)}) VALUES "
        )
        group = f"({', '.join('?' * width)})"
        chunk = max(1, _MAX_VARIABLES // width)
        if len(rows) <= chunk:  # one statement: atomic by itself
            self.conn.execute(head + ", ".join([group] * len(rows)), list(chain(*rows)))
            return
        self.conn.execute("SAVEPOINT insert_rows")
        try:
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                self.conn.execute(head + ", ".join([group] * len(part)), list(chain(*part)))
        except BaseException:
            self.conn.execute("ROLLBACK TO insert_rows")
            raise
        finally:
            self.conn.execute("RELEASE insert_rows")

    def tables(self) -> list[str]:
        """Names of the user tables, sorted."""
        return [r[0] for r in self.conn.execute(f"SELECT name FROM {_USER_TABLES} ORDER BY name")]

    def columns(self, table: str) -> list[dict[str, Any]]:
        """``[{"name", "type"}]`` for a table's columns, in order."""
        return [{"name": name, "type": kind} for name, kind in self._table_info(table).items()]

    def require_table(self, table: str) -> str:
        """Return ``table`` if it exists, else raise a ToolError listing the tables."""
        # one cached look-up of the name (as tables() lists them), not the whole list
        if not self.conn.execute(_HAS_TABLE, (table,)).fetchall():
            known = self.tables()
            raise ToolError(f"no table named {table!r}; expected one of: {', '.join(known)}")
        return table

    def require_column(self, table: str, column: str) -> str:
        """Return ``column`` if ``table`` has it, else raise a ToolError listing its columns."""
        names = self._table_info(table)
        if column not in names:
            raise ToolError(
                f"table {table!r} has no column {column!r}; expected one of: {', '.join(names)}"
            )
        return column

    def _table_info(self, table: str) -> dict[str, str]:
        """A table's (or view's) column names and types, in order; not to be changed.

        ``PRAGMA table_info`` is compiled afresh at every call, but a table's columns
        follow from its ``CREATE`` text: tables are looked up by that text, in one
        cached query. (Tables of the main database: worlds have no temporary tables.)
        """
        found = self.conn.execute(_TABLE_SQL, (table,)).fetchall()
        key = found[0][0] if found else None
        info = _TABLE_INFO.get(key) if key else None
        if info is None:
            pragma = self.conn.execute(f"PRAGMA table_info({quote_identifier(table)})")
            info = {c[1]: c[2] or "ANY" for c in pragma}  # cid, name, type, ...
            if key:
                if len(_TABLE_INFO) >= _TABLE_INFO_SIZE:
                    _TABLE_INFO.clear()
                _TABLE_INFO[key] = info
        return info

    # -- untrusted, read-only access (agent SQL) ---------------------------------------

    def select(self, sql: str, *, max_rows: int = MAX_ROWS) -> dict[str, Any]:
        """Run one agent-written read-only ``SELECT`` and return at most ``max_rows`` rows.

        Returns:
            ``{"columns": [...], "rows": [[...], ...], "row_count": n, "truncated": bool}``.

        Raises:
            ToolError: if the text is not a single SELECT, writes, fails to run, or
                passes the work budget (see :mod:`~nexgym.envs.domains.kit.sqlbudget`).
        """
        text = self._select_text(sql)
        cursor = None
        with agent_budget(self.conn):
            self.conn.guard.read_only = True
            self.conn.guard.functions.start()
            try:
                cursor = self.conn.execute(_AGENT_SQL + text)
                rows, truncated = fetch_rows(cursor, max_rows)
            except (sqlite3.ProgrammingError, sqlite3.Warning) as e:
                raise ToolError(
                    f"expected exactly one SELECT statement, got {sql[:60]!r} ({e}); "
                    "run statements one at a time"
                ) from e
            except sqlite3.DatabaseError as e:
                raise ToolError(self.conn.guard.functions.refusal or explain(e, sql)) from e
            finally:
                self.conn.guard.read_only = False
                if cursor is not None:
                    cursor.close()  # ends the statement: its sorter or queue goes now
        return {
            "columns": [d[0] for d in cursor.description or ()],
            "rows": rows,
            "row_count": len(rows),
            "truncated": truncated,
        }

    def create_table_as(self, table: str, sql: str) -> None:
        """Save the rows of one agent-written read-only ``SELECT`` as a new table.

        ``CREATE TABLE table AS sql``, within the same budget as :meth:`select`: the
        query is checked as one read-only SELECT first, then runs in full.

        Raises:
            ToolError: as :meth:`select`; nothing is created then.
        """
        self.select(sql, max_rows=0)  # one read-only SELECT that compiles and starts
        with agent_budget(self.conn, writes=True):
            try:
                self.conn.execute(
                    f"CREATE TABLE {quote_identifier(table)} AS {self._select_text(sql)}"
                )
            except sqlite3.DatabaseError as e:  # the statement was rolled back
                raise ToolError(explain(e, sql)) from e

    @staticmethod
    def _select_text(sql: str) -> str:
        """Agent SQL without its trailing ``;``, if it starts as a SELECT."""
        text = sql.strip().rstrip(";").strip()
        first = text.split(None, 1)[0].upper() if text else ""
        if first not in ("SELECT", "WITH"):
            raise ToolError(
                f"expected a single read-only SELECT statement, got {sql[:60]!r}; "
                "use the domain's tools to change data"
            )
        return text
