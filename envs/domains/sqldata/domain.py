"""Data wrangling over a messy SQLite sales database.

Tables ``customers`` and ``sales`` hold missing regions, duplicate rows and untidy
text. Agents read with schema tools, row previews or read-only SQL, and write only
through structured tools: ``update_rows`` and ``delete_rows`` take the row filter
as a JSON object, never as SQL. Tasks: fill missing values, delete duplicates, tidy
text columns, build summary tables, and questions answered from the cleaned data.
Every goal has two tool-disjoint plans.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any, Literal

from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.sqlworld import MAX_ROWS, quote_identifier
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call
from nexgym.envs.domains.sqldata import tasks
from nexgym.envs.domains.sqldata.tasks import SalesWorld

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

Scalar = str | int | float | None
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
TRANSFORMS: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "upper": str.upper,
    "trim": str.strip,
    "title": str.title,
    "trim_lower": lambda text: text.strip().lower(),
}
_OPERATORS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "like": "LIKE"}


def _where(world: SalesWorld, table: str, where: dict[str, Any]) -> tuple[str, list[Any]]:
    """Turn a structured filter into a SQL condition and its parameters."""
    parts, params = [], []
    for column, condition in where.items():
        name = quote_identifier(world.require_column(table, column))
        if condition is None:
            parts.append(f"{name} IS NULL")
        elif isinstance(condition, dict) and len(condition) == 1:
            op, value = next(iter(condition.items()))
            if op == "in" and isinstance(value, list) and value:
                parts.append(f"{name} IN ({', '.join('?' for _ in value)})")
                params += value
            elif op in _OPERATORS and not isinstance(value, dict | list):
                parts.append(f"{name} {_OPERATORS[op]} ?")
                params.append(value)
            else:
                raise ToolError(
                    f"bad condition {condition!r} on {column!r}; expected one of "
                    f"{', '.join(_OPERATORS)} with a value, or 'in' with a list"
                )
        elif isinstance(condition, dict | list):
            raise ToolError(
                f"bad condition {condition!r} on {column!r}; write {{'<': 10}} or "
                "{'in': [1, 2]} or a plain value"
            )
        else:
            parts.append(f"{name} = ?")
            params.append(condition)
    return (" AND ".join(parts) or "1 = 1"), params


def _write(world: SalesWorld, sql: str, params: list[Any]) -> int:
    try:
        return world.execute(sql, params)
    except sqlite3.IntegrityError as e:
        raise ToolError(
            f"the change breaks a constraint ({e}); sales rows must keep a customer "
            "that exists and an amount that is a number of zero or more, and required "
            "columns must stay filled"
        ) from e


def _count(world: SalesWorld, table: str) -> int:
    return int(world.scalar(f"SELECT COUNT(*) FROM {quote_identifier(table)}"))


def _new_table(world: SalesWorld, name: str) -> str:
    if not _NAME.match(name):
        raise ToolError(f"expected a table name of lower-case letters, digits and _, got {name!r}")
    if name in world.tables():
        raise ToolError(f"table {name!r} already exists; choose another name")
    return name


@tool
def list_tables(world: SalesWorld) -> list[dict[str, Any]]:
    """List the tables and their row counts."""
    return [
        {"table": t, "rows": world.scalar(f"SELECT COUNT(*) FROM {quote_identifier(t)}")}
        for t in world.tables()
    ]


@tool
def describe_table(world: SalesWorld, table: str) -> dict[str, Any]:
    """Describe a table: its columns and types, row count and NULLs per column.

    Args:
        table: the table's name, e.g. "sales".
    """
    quoted = quote_identifier(world.require_table(table))
    columns = world.columns(table)
    # one scan counts the rows and every column's non-NULL values
    counts = ", ".join(f"COUNT({quote_identifier(c['name'])})" for c in columns)
    rows, *filled = world.conn.execute(f"SELECT COUNT(*), {counts} FROM {quoted}").fetchone()
    for c, n in zip(columns, filled, strict=True):
        c["nulls"] = rows - n
    return {"table": table, "rows": rows, "columns": columns}


@tool
def preview_rows(
    world: SalesWorld, table: str, where: dict[str, Any] | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Show rows of a table in id order, optionally filtered.

    Args:
        table: the table's name.
        where: filter as {column: value}; null matches NULL, and {"<": 10}, {">=": 5},
            {"!=": "x"}, {"like": "2026-03-%"} or {"in": [1, 2]} compare.
        limit: the most rows to return, 1 to 50.
    """
    world.require_table(table)
    condition, params = _where(world, table, where or {})
    size = max(1, min(limit, MAX_ROWS))
    return world.rows(
        f"SELECT * FROM {quote_identifier(table)} WHERE {condition} LIMIT {size}", params
    )


@tool
def run_query(world: SalesWorld, sql: str) -> dict[str, Any]:
    """Run one read-only SQL SELECT (at most 50 rows come back).

    Args:
        sql: a single SELECT, e.g. "SELECT region, COUNT(*) FROM sales GROUP BY region".
    """
    return world.select(sql)


@tool(mutates=True)
def update_rows(
    world: SalesWorld, table: str, column: str, value: Scalar, where: dict[str, Any]
) -> str:
    """Set one column to a value in the rows matching a filter.

    Args:
        table: the table's name.
        column: the column to set.
        value: the new value (null for NULL).
        where: which rows, as in preview_rows; an empty filter is refused.
    """
    world.require_table(table)
    if not where:
        raise ToolError(
            "expected a non-empty 'where' filter; "
            "to change every row use fill_nulls or transform_column"
        )
    name = quote_identifier(world.require_column(table, column))
    condition, params = _where(world, table, where)
    changed = _write(
        world,
        f"UPDATE {quote_identifier(table)} SET {name} = ? WHERE {condition}",
        [value, *params],
    )
    return f"updated {changed} row(s) of {table}"


@tool(mutates=True)
def delete_rows(world: SalesWorld, table: str, where: dict[str, Any]) -> str:
    """Delete the rows matching a filter.

    Args:
        table: the table's name.
        where: which rows, as in preview_rows; an empty filter is refused.
    """
    world.require_table(table)
    if not where:
        raise ToolError("expected a non-empty 'where' filter; deleting every row is not allowed")
    condition, params = _where(world, table, where)
    removed = _write(world, f"DELETE FROM {quote_identifier(table)} WHERE {condition}", params)
    return f"deleted {removed} row(s) from {table}"


@tool(mutates=True)
def fill_nulls(world: SalesWorld, table: str, column: str, value: str | int | float) -> str:
    """Replace every NULL in a column with a value.

    Args:
        table: the table's name.
        column: the column whose NULLs to fill.
        value: the value to put in their place.
    """
    world.require_table(table)
    name = quote_identifier(world.require_column(table, column))
    filled = _write(
        world, f"UPDATE {quote_identifier(table)} SET {name} = ? WHERE {name} IS NULL", [value]
    )
    return f"filled {filled} NULL(s) in {table}.{column}"


@tool(mutates=True)
def transform_column(
    world: SalesWorld,
    table: str,
    column: str,
    transform: Literal["lower", "upper", "trim", "trim_lower", "title"],
) -> str:
    """Rewrite every value of a text column.

    Args:
        table: the table's name.
        column: the text column.
        transform: lower, upper, trim (spaces), trim_lower, or title ("new york" -> "New York").
    """
    world.require_table(table)
    world.require_column(table, column)
    rows = world.rows(f"SELECT id, {quote_identifier(column)} AS v FROM {quote_identifier(table)}")
    if any(r["v"] is not None and not isinstance(r["v"], str) for r in rows):
        raise ToolError(f"{table}.{column} is not a text column")
    fn = TRANSFORMS[transform]
    changed = [(fn(r["v"]), r["id"]) for r in rows if r["v"] is not None and fn(r["v"]) != r["v"]]
    world.conn.executemany(
        f"UPDATE {quote_identifier(table)} SET {quote_identifier(column)} = ? WHERE id = ?", changed
    )
    return f"changed {len(changed)} value(s) in {table}.{column}"


@tool(mutates=True)
def delete_duplicates(world: SalesWorld, table: str, columns: list[str]) -> str:
    """Delete rows that repeat another row's values in the given columns, keeping the lowest id.

    Args:
        table: the table's name.
        columns: the columns that must all match for rows to count as duplicates.
    """
    world.require_table(table)
    if not columns:
        raise ToolError("expected at least one column to compare")
    keys = ", ".join(quote_identifier(world.require_column(table, c)) for c in columns)
    quoted = quote_identifier(table)
    removed = _write(
        world,
        f"DELETE FROM {quoted} WHERE id NOT IN (SELECT MIN(id) FROM {quoted} GROUP BY {keys})",
        [],
    )
    return f"deleted {removed} duplicate row(s) from {table}"


@tool(mutates=True)
def create_summary_table(
    world: SalesWorld,
    name: str,
    source_table: str,
    group_by: list[str],
    aggregate: Literal["sum", "count", "avg", "min", "max"],
    column: str,
    value_name: str,
) -> str:
    """Create a table with one row per group and one aggregated column (rounded to cents).

    Args:
        name: the new table's name, e.g. "region_summary".
        source_table: the table to summarise.
        group_by: the columns to group by.
        aggregate: the aggregate function.
        column: the column to aggregate.
        value_name: the name of the aggregated column in the new table.
    """
    _new_table(world, name)
    world.require_table(source_table)
    if not group_by or not _NAME.match(value_name):
        raise ToolError("expected at least one group_by column and a value_name like 'total_sales'")
    keys = ", ".join(quote_identifier(world.require_column(source_table, c)) for c in group_by)
    target = quote_identifier(world.require_column(source_table, column))
    world.execute(
        f"CREATE TABLE {quote_identifier(name)} AS SELECT {keys}, "
        f"ROUND({aggregate.upper()}({target}), 2) AS {quote_identifier(value_name)} "
        f"FROM {quote_identifier(source_table)} GROUP BY {keys}"
    )
    return f"created {name} with {_count(world, name)} row(s)"


@tool(mutates=True)
def save_query_as_table(world: SalesWorld, name: str, sql: str) -> str:
    """Create a new table from the result of one read-only SELECT.

    Args:
        name: the new table's name (lower-case letters, digits and _).
        sql: a single SELECT whose columns become the table's columns.
    """
    _new_table(world, name)
    world.create_table_as(name, sql)
    return f"created {name} with {_count(world, name)} row(s)"


class SqlDataDomain(GeneratedDomain):
    """Cleaning and summarising a messy sales database."""

    name = "sqldata"
    description = "a messy SQLite sales database to clean, deduplicate and summarise"
    rng = staticmethod(numpy_rng)
    tools = (
        list_tables,
        describe_table,
        preview_rows,
        run_query,
        update_rows,
        delete_rows,
        fill_nulls,
        transform_column,
        delete_duplicates,
        create_summary_table,
        save_query_as_table,
    )
    makers = (
        tasks.goal_fill_nulls,
        tasks.goal_dedupe,
        tasks.goal_tidy_text,
        tasks.goal_summary,
        tasks.question_month_total,
        tasks.question_city_count,
    )
    new_world = staticmethod(tasks.new_world)

    def check_invariants(self, world: SalesWorld) -> list[str]:
        """Foreign keys hold and the base tables keep their columns."""
        problems = [
            f"{r['table']} row {r['rowid']} breaks a foreign key"
            for r in world.rows("PRAGMA foreign_key_check")
        ]
        for table in ("customers", "sales"):
            if table not in world.tables():
                problems.append(f"table {table} is missing")
        problems += [
            f"sale {r['id']} has a negative amount"
            for r in world.rows("SELECT id FROM sales WHERE amount < 0")
        ]
        return problems

    def candidate_calls(self, world: SalesWorld) -> list[ToolCall]:
        """Schema look-ups, previews, canned queries and common clean-ups."""
        calls = [call("list_tables")]
        for table in world.tables():
            calls += [call("describe_table", table=table), call("preview_rows", table=table)]
        calls += [
            call("run_query", sql="SELECT * FROM sales WHERE region IS NULL"),
            call("run_query", sql="SELECT region, SUM(amount) FROM sales GROUP BY region"),
            call("run_query", sql="SELECT city, COUNT(*) FROM customers GROUP BY city"),
            call("fill_nulls", table="sales", column="region", value="Unknown"),
            call("transform_column", table="customers", column="email", transform="trim_lower"),
            call(
                "delete_duplicates",
                table="sales",
                columns=["customer_id", "product", "amount", "sale_date"],
            ),
        ]
        for region in tasks.REGIONS:
            calls.append(call("preview_rows", table="sales", where={"region": region}))
        return calls
