"""Agent SQL runs within one work budget, whichever tool runs it, and stays in bounds.

Regression tests of a fault audit: ``save_query_as_table`` ran the agent's SQL with
no budget (an endless ``WITH RECURSIVE`` grew until the process died),
``zeroblob(400000000)`` raised ``MemoryError`` out of ``step``, an internal marker
showed in column names, and ``update_rows`` stored negative and text amounts.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import gymnasium as gym
import pytest
from nexgym.envs.domains import get_domain
from nexgym.envs.domains.kit.sqlbudget import (
    MAX_COLUMNS,
    MAX_DATABASE_PAGES,
    MAX_LIKE_PATTERN_BYTES,
    MAX_QUADRATIC_CALLS,
    MAX_RESULT_CHARS,
    MAX_SECONDS,
    MAX_SQL_CHARS,
    MAX_VALUE_BYTES,
)
from nexgym.envs.domains.sqldata.tasks import SalesWorld

from nexgym.error import ToolError
from nexgym.tools import ToolCall

DOMAIN = get_domain("sqldata")
ENDLESS = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
MILLIONS = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 3000000) "


def world() -> SalesWorld:
    return copy.deepcopy(DOMAIN.generate_task(0, 2).world)


def call(world: SalesWorld, tool_name: str, /, **arguments: Any) -> Any:
    return DOMAIN.tool(tool_name)(world, **arguments)


# -- one budget for every entry point ----------------------------------------------------


BIG_ROWS = "SELECT zeroblob(60000) || x AS b FROM r"
#: (run_query's SQL, save_query_as_table's SQL, the error): run_query stops after 50
#: rows, so its queries must do their work before the first row to need the budget
UNBOUNDED = {
    "endless": (ENDLESS + "SELECT COUNT(*) FROM r", ENDLESS + "SELECT x FROM r", "too much work"),
    "three-million-rows": (
        MILLIONS + "SELECT x FROM r ORDER BY x DESC",
        MILLIONS + "SELECT x FROM r",
        "too much work",
    ),
    "big-rows": (
        ENDLESS + f"SELECT COUNT(DISTINCT b) FROM ({BIG_ROWS})",
        ENDLESS + BIG_ROWS,
        f"too much work|past {MAX_DATABASE_PAGES // 256} MiB",
    ),
    "huge-blob": (
        "SELECT zeroblob(400000000) AS z",
        "SELECT zeroblob(400000000) AS z",
        f"longer than {MAX_VALUE_BYTES:,} bytes",
    ),
}


@pytest.mark.parametrize("case", sorted(UNBOUNDED))
@pytest.mark.parametrize("tool", ["run_query", "save_query_as_table"])
def test_every_sql_tool_stops_unbounded_work(tool: str, case: str) -> None:
    fs = world()
    tables = fs.tables()
    query, saved, message = UNBOUNDED[case]
    arguments = {"sql": query} if tool == "run_query" else {"sql": saved, "name": "saved"}
    start = time.perf_counter()
    with pytest.raises(ToolError, match=message):
        call(fs, tool, **arguments)
    assert time.perf_counter() - start < 5
    assert fs.tables() == tables  # nothing half-made is left
    # the budget ends with the call: trusted code and later calls run as before
    assert call(fs, "save_query_as_table", name="kept", sql="SELECT id FROM sales")
    assert fs.scalar("SELECT COUNT(*) FROM kept") == fs.scalar("SELECT COUNT(*) FROM sales")
    fs.execute("CREATE TABLE trusted AS SELECT zeroblob(100000) AS b FROM sales")


def test_save_query_as_table_refuses_a_table_past_the_size_limit() -> None:
    fs = world()
    with pytest.raises(ToolError, match=f"past {MAX_DATABASE_PAGES // 256} MiB"):
        call(fs, "save_query_as_table", name="big", sql=ENDLESS + BIG_ROWS + " LIMIT 1000")
    assert "big" not in fs.tables()


def test_a_result_is_bounded_before_it_is_rendered() -> None:
    fs = world()
    with pytest.raises(ToolError, match=f"pass {MAX_RESULT_CHARS:,} characters"):
        call(fs, "run_query", sql="SELECT hex(zeroblob(2500)) AS t FROM sales")
    wide = ", ".join(f"{i} AS c{i}" for i in range(MAX_COLUMNS + 1))
    with pytest.raises(ToolError, match=f"more than {MAX_COLUMNS} columns"):
        call(fs, "run_query", sql=f"SELECT {wide}")
    small = call(fs, "run_query", sql=ENDLESS + "SELECT hex(zeroblob(500)) AS t FROM r")
    assert small["row_count"] == 50 and small["truncated"]


def test_a_huge_blob_is_an_error_observation_not_an_exception() -> None:
    env = gym.make("nex/ConsultingSqldataDesk-v0")
    try:
        env.reset(seed=0)
        action = ToolCall("run_query", {"sql": "SELECT zeroblob(400000000) AS z"}).to_text()
        observation, _, terminated, truncated, _ = env.step(action)
    finally:
        env.close()
    assert f"Error: the query makes a text or blob longer than {MAX_VALUE_BYTES:,}" in observation
    assert not terminated and not truncated


# -- work inside one step of SQLite's virtual machine ----------------------------------------

#: 64,000 characters, and a 20,001-character text not in it: instr, replace, LIKE and
#: GLOB compare them position by position, all within one step (tens of ms per call)
LONG = "hex(zeroblob(32000))"
MISSING = "substr(x, 1, 20000) || 'b'"
ROWS = f"WITH RECURSIVE r(i, x) AS (SELECT 1, {LONG} UNION ALL SELECT i + 1, x FROM r) "
#: (agent SQL, the error): each ran for seconds in one step before these bounds
IN_ONE_STEP = {
    # SQLite's %c repeats its character `precision` times in one loop: 3-4 s here
    "printf": ("SELECT printf('%.*c', 1000000000, 'x')", r"printf\(\) is not allowed"),
    "format": ("SELECT format('%.*c', 1000000000, 'x') AS t", r"format\(\) is not allowed"),
    "long LIKE pattern": (  # 3 s per match
        f"WITH t(x) AS (SELECT {LONG}) SELECT x LIKE '%' || substr(x, 1, 20000) || 'b' FROM t",
        f"longer than {MAX_LIKE_PATTERN_BYTES} bytes",
    ),
    "many quadratic calls": (  # 0.03 s per call, with no check between the calls of a row
        f"WITH t(x) AS (SELECT {LONG}) SELECT "
        + " + ".join([f"instr(x, {MISSING})"] * (MAX_QUADRATIC_CALLS + 1))
        + " FROM t",
        f"more than {MAX_QUADRATIC_CALLS} times",
    ),
    "long text": (  # a longer text holds more calls of linear cost between two checks
        f"WITH t(x) AS (SELECT {LONG}) SELECT " + "length(upper(x)) + " * 600 + "0 FROM t",
        f"longer than {MAX_SQL_CHARS:,} characters",
    ),
    "quadratic calls on every row": (  # allowed calls: the budget's clock stops the rows
        ROWS
        + "SELECT COUNT(*) FROM r WHERE "
        + " + ".join([f"instr(x, {MISSING})"] * MAX_QUADRATIC_CALLS)
        + " < 0",
        "too much work",
    ),
}


@pytest.mark.parametrize("case", sorted(IN_ONE_STEP))
def test_work_inside_one_step_is_bounded_in_time(case: str) -> None:
    sql, message = IN_ONE_STEP[case]
    fs = world()
    start = time.perf_counter()
    with pytest.raises(ToolError, match=message):
        call(fs, "run_query", sql=sql)
    # the budget's clock, one row of at most MAX_QUADRATIC_CALLS calls, and slack for
    # a loaded machine; each case took 2-8 s before (printf: 3-4 s, refused now at once)
    assert time.perf_counter() - start < MAX_SECONDS + 1.0


def test_a_refused_printf_is_a_fast_error_observation_of_step() -> None:
    env = gym.make("nex/ConsultingSqldataDesk-v0")
    try:
        env.reset(seed=0)
        sql = "SELECT printf('%.*c', 1000000000, 'x')"
        start = time.perf_counter()
        observation, _, terminated, truncated, _ = env.step(
            ToolCall("run_query", {"sql": sql}).to_text()
        )
        seconds = time.perf_counter() - start
        # the session goes on: the same tool still answers a plain query
        after, *_ = env.step(ToolCall("run_query", {"sql": "SELECT 41 + 1 AS n"}).to_text())
    finally:
        env.close()
    assert "Error: printf() is not allowed in agent SQL" in observation
    assert seconds < 0.5  # 1.5-4 s before: the call ran to its end
    assert not terminated and not truncated
    assert "42" in after


def test_queries_within_the_bounds_still_run() -> None:
    fs = world()
    likes = " OR ".join(f"region LIKE '%{c}%'" for c in "aeiou")
    assert call(fs, "run_query", sql=f"SELECT COUNT(*) FROM sales WHERE {likes}")["rows"]
    found = call(fs, "run_query", sql="SELECT instr('nexgym', 'gym'), replace('a-b', '-', '+')")
    assert found["rows"] == [[4, "a+b"]]


# -- column names and amounts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        ("SELECT 1", ["1"]),
        ("SELECT 1 ;", ["1"]),
        ("SELECT COUNT(*)\n", ["COUNT(*)"]),
        ("SELECT region, COUNT(*) FROM sales GROUP BY region", ["region", "COUNT(*)"]),
    ],
)
def test_column_names_are_the_agents_own(sql: str, columns: list[str]) -> None:
    assert call(world(), "run_query", sql=sql)["columns"] == columns


@pytest.mark.parametrize("value", [-5, -0.01, "abc", "", b"\x00"])
def test_an_amount_must_be_a_number_of_zero_or_more(value: Any) -> None:
    fs = world()
    before = fs.rows("SELECT id, amount FROM sales")
    with pytest.raises(ToolError, match="amount that is a number of zero or more"):
        call(fs, "update_rows", table="sales", column="amount", value=value, where={"id": 1})
    assert fs.rows("SELECT id, amount FROM sales") == before
    assert DOMAIN.check_invariants(fs) == []


def test_valid_amounts_are_still_accepted() -> None:
    fs = world()
    for value, stored in [(0, 0.0), (12, 12.0), (12.5, 12.5), ("7.25", 7.25)]:
        call(fs, "update_rows", table="sales", column="amount", value=value, where={"id": 1})
        assert fs.scalar("SELECT amount FROM sales WHERE id = 1") == stored
    assert DOMAIN.check_invariants(fs) == []
