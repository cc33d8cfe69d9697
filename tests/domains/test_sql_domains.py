"""SqlWorld and the two SQL domains: read-only queries, copies, pickling, structured writes."""

from __future__ import annotations

import copy
import pickle

import pytest
from nexgym.envs.domains import get_domain
from nexgym.envs.domains.kit.sqlworld import SqlWorld

from nexgym.error import ToolError


@pytest.fixture
def table() -> SqlWorld:
    world = SqlWorld("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
    world.insert("t", [{"id": i, "v": f"row {i}"} for i in range(1, 121)])
    return world


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM t",
        "UPDATE t SET v = 'x'",
        "DROP TABLE t",
        "PRAGMA table_info(t)",
        "ATTACH DATABASE ':memory:' AS other",
        "WITH x AS (SELECT 1) DELETE FROM t",
        "SELECT 1; DELETE FROM t",
    ],
)
def test_select_rejects_anything_but_one_read_only_select(table: SqlWorld, sql: str) -> None:
    with pytest.raises(ToolError, match="SELECT"):
        table.select(sql)
    assert table.scalar("SELECT COUNT(*) FROM t") == 120


def test_select_caps_rows_and_stops_runaway_queries(table: SqlWorld) -> None:
    result = table.select("SELECT * FROM t ORDER BY id")
    assert result["row_count"] == 50 and result["truncated"] and result["columns"] == ["id", "v"]
    assert table.select("SELECT COUNT(*) FROM t;")["rows"] == [[120]]
    endless = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
    )
    with pytest.raises(ToolError, match="too much work"):
        table.select(endless)
    with pytest.raises(ToolError, match="no such table"):
        table.select("SELECT * FROM missing")
    table.execute("DELETE FROM t WHERE id > 100")  # trusted writes still work afterwards


def test_worlds_deepcopy_and_pickle_independently(table: SqlWorld) -> None:
    table.note = {"kept": [1, 2]}
    clone, thawed = copy.deepcopy(table), pickle.loads(pickle.dumps(table))
    clone.execute("DELETE FROM t")
    thawed.execute("DELETE FROM t WHERE id <= 20")
    assert table.scalar("SELECT COUNT(*) FROM t") == 120
    assert clone.scalar("SELECT COUNT(*) FROM t") == 0
    assert thawed.scalar("SELECT COUNT(*) FROM t") == 100
    assert clone.note == thawed.note == {"kept": [1, 2]} and clone.note is not table.note


def test_inventory_tools_and_errors() -> None:
    domain = get_domain("inventory")
    world = copy.deepcopy(domain.generate_task(0, 1).world)
    product = world.one("SELECT * FROM products ORDER BY sku LIMIT 1")
    run_query, adjust = domain.tool("run_query"), domain.tool("adjust_stock")
    with pytest.raises(ToolError, match="read-only"):
        run_query(world, sql="DELETE FROM products")
    with pytest.raises(ToolError, match="negative"):
        adjust(world, sku=product["sku"], delta=-product["stock"] - 1)
    with pytest.raises(ToolError, match="no product"):
        adjust(world, sku="NOPE-1", delta=3)
    assert adjust(world, sku=product["sku"].lower(), delta=5)["stock"] == product["stock"] + 5
    order = domain.tool("create_purchase_order")(world, sku=product["sku"], quantity=10)
    domain.tool("receive_order")(world, order_id=order["order_id"])
    with pytest.raises(ToolError, match="only pending"):
        domain.tool("cancel_order")(world, order_id=order["order_id"])
    assert get_stock(world, product["sku"]) == product["stock"] + 15
    domain.tool("suspend_supplier")(world, supplier=product["supplier"])
    with pytest.raises(ToolError, match="suspended"):
        domain.tool("create_purchase_order")(world, sku=product["sku"], quantity=1)
    empty = world.scalar(
        "SELECT code FROM locations WHERE code NOT IN (SELECT location FROM products)"
    )
    with pytest.raises(ToolError, match="already empty"):
        domain.tool("transfer_bin")(world, from_location=empty, to_location=product["location"])
    assert domain.check_invariants(world) == []


def get_stock(world: SqlWorld, sku: str) -> int:
    return int(world.scalar("SELECT stock FROM products WHERE sku = ?", (sku,)))


def test_sqldata_writes_take_structured_filters() -> None:
    domain = get_domain("sqldata")
    world = copy.deepcopy(domain.generate_task(1, 2).world)
    update, delete = domain.tool("update_rows"), domain.tool("delete_rows")
    with pytest.raises(ToolError, match="non-empty 'where'"):
        update(world, table="sales", column="region", value="X", where={})
    with pytest.raises(ToolError, match="no column"):
        update(world, table="sales", column="price", value=1, where={"id": 1})
    with pytest.raises(ToolError, match="bad condition"):
        delete(world, table="sales", where={"amount": {"~": 3}})
    with pytest.raises(ToolError, match="read-only"):
        domain.tool("run_query")(world, sql="UPDATE sales SET amount = 0")
    with pytest.raises(ToolError, match="SELECT"):
        domain.tool("save_query_as_table")(world, name="x", sql="DELETE FROM sales")
    with pytest.raises(ToolError, match="constraint"):
        delete(world, table="customers", where={"id": {"in": [1, 2, 3, 4, 5, 6, 7, 8]}})
    small = world.scalar("SELECT COUNT(*) FROM sales WHERE amount < 50")
    assert (
        delete(world, table="sales", where={"amount": {"<": 50}})
        == f"deleted {small} row(s) from sales"
    )
    nulls = world.scalar("SELECT COUNT(*) FROM sales WHERE region IS NULL")
    assert update(world, table="sales", column="region", value="North", where={"region": None}) == (
        f"updated {nulls} row(s) of sales"
    )
    domain.tool("transform_column")(
        world, table="customers", column="email", transform="trim_lower"
    )
    emails = [r["email"] for r in world.rows("SELECT email FROM customers")]
    assert all(e == e.strip().lower() for e in emails)
    domain.tool("create_summary_table")(
        world,
        name="by_region",
        source_table="sales",
        group_by=["region"],
        aggregate="sum",
        column="amount",
        value_name="total",
    )
    with pytest.raises(ToolError, match="already exists"):
        domain.tool("save_query_as_table")(world, name="by_region", sql="SELECT 1")
    totals = {r["region"]: r["total"] for r in world.rows("SELECT * FROM by_region")}
    assert totals.keys() <= {"North", "South", "East", "West"}
    assert domain.check_invariants(pickle.loads(pickle.dumps(world))) == []
