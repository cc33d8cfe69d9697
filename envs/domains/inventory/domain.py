"""Warehouse stock kept in an in-memory SQLite database.

Tables: ``products`` (sku, name, category, supplier, location, stock, reorder_level,
unit_cost), ``suppliers``, ``locations`` (warehouse bins) and ``purchase_orders``.
Tasks: restock a category's products that fell below their reorder level, empty a
bin by moving its products elsewhere, cancel a failed supplier's pending orders, and
questions answered either with read-only SQL or with the listing tools. Every goal
has two tool-disjoint plans (e.g. ``adjust_stock`` or a purchase order that is
received; ``set_location`` per product or ``transfer_bin``).
"""

from __future__ import annotations

from typing import Any, Literal

from nexgym.envs.domains.inventory import tasks
from nexgym.envs.domains.inventory.tasks import InventoryWorld
from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.sqlworld import MAX_ROWS, SqlWorld
from nexgym.envs.domains.kit.taskgen import GeneratedDomain

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool


def _product(world: SqlWorld, sku: str) -> dict[str, Any]:
    row = world.one("SELECT * FROM products WHERE sku = ?", (sku.strip().upper(),))
    if row is None:
        raise ToolError(f"no product with SKU {sku!r}; list_products shows every SKU")
    return row


def _order(world: SqlWorld, order_id: int) -> dict[str, Any]:
    row = world.one("SELECT * FROM purchase_orders WHERE id = ?", (order_id,))
    if row is None:
        raise ToolError(f"no purchase order with id {order_id}; list_orders shows them")
    return row


def _bin(world: SqlWorld, code: str) -> str:
    code = code.strip().upper()
    if world.one("SELECT code FROM locations WHERE code = ?", (code,)) is None:
        raise ToolError(f"no bin {code!r}; bins are named zone-number, A-01 to D-06")
    return code


@tool
def list_products(
    world: InventoryWorld, category: str | None = None, location: str | None = None
) -> list[dict[str, Any]]:
    """List products with their stock, reorder level, bin and unit cost.

    Args:
        category: only this category, e.g. "plumbing" (all categories if omitted).
        location: only products stored in this bin, e.g. "B-03".
    """
    sql, params = "SELECT * FROM products WHERE 1 = 1", list[str]()
    if category:
        sql += " AND category = ?"
        params.append(category.strip().lower())
    if location:
        sql += " AND location = ?"
        params.append(location.strip().upper())
    return world.rows(sql + f" ORDER BY sku LIMIT {MAX_ROWS}", params)


@tool
def get_product(world: InventoryWorld, sku: str) -> dict[str, Any]:
    """Return one product and the quantity it has on pending purchase orders.

    Args:
        sku: the product's stock-keeping unit, e.g. "PLU-102".
    """
    row = _product(world, sku)
    row["on_order"] = world.scalar(
        "SELECT COALESCE(SUM(quantity), 0) FROM purchase_orders "
        "WHERE sku = ? AND status = 'pending'",
        (row["sku"],),
    )
    return row


@tool
def list_suppliers(world: InventoryWorld) -> list[dict[str, Any]]:
    """List suppliers, whether each is active, and how many products each supplies."""
    return world.rows(
        "SELECT s.name, s.city, s.active, COUNT(p.sku) AS products FROM suppliers s "
        "LEFT JOIN products p ON p.supplier = s.name GROUP BY s.name ORDER BY s.name"
    )


@tool
def list_orders(
    world: InventoryWorld,
    status: Literal["pending", "received", "cancelled"] | None = None,
    supplier: str | None = None,
) -> list[dict[str, Any]]:
    """List purchase orders, optionally filtered.

    Args:
        status: only orders in this state.
        supplier: only orders placed with this supplier, e.g. "Ironclad Parts".
    """
    sql, params = "SELECT * FROM purchase_orders WHERE 1 = 1", list[str]()
    if status:
        sql += " AND status = ?"
        params.append(status)
    if supplier:
        sql += " AND supplier = ?"
        params.append(supplier.strip())
    return world.rows(sql + f" ORDER BY id LIMIT {MAX_ROWS}", params)


@tool
def run_query(world: InventoryWorld, sql: str) -> dict[str, Any]:
    """Run one read-only SQL SELECT on the warehouse database (at most 50 rows).

    Args:
        sql: a single SELECT over the tables products, suppliers, locations and
            purchase_orders, e.g. "SELECT sku, stock FROM products WHERE stock < 10".
    """
    return world.select(sql)


@tool(mutates=True)
def adjust_stock(
    world: InventoryWorld, sku: str, delta: int, reason: str = "count correction"
) -> dict[str, Any]:
    """Add units to (or remove units from) a product's stock.

    Args:
        sku: the product's SKU.
        delta: units to add (positive) or remove (negative); never zero.
        reason: why, for the audit trail, e.g. "restock" or "damaged".
    """
    row = _product(world, sku)
    if delta == 0:
        raise ToolError("expected a non-zero delta, got 0")
    if row["stock"] + delta < 0:
        raise ToolError(
            f"{row['sku']} has {row['stock']} units; removing {-delta} would make stock "
            "negative; remove at most the units in stock"
        )
    world.execute("UPDATE products SET stock = stock + ? WHERE sku = ?", (delta, row["sku"]))
    return {"sku": row["sku"], "stock": row["stock"] + delta, "reason": reason}


@tool(mutates=True)
def set_location(world: InventoryWorld, sku: str, location: str) -> str:
    """Move a product to another bin.

    Args:
        sku: the product's SKU.
        location: the destination bin, e.g. "C-05".
    """
    row, code = _product(world, sku), _bin(world, location)
    world.execute("UPDATE products SET location = ? WHERE sku = ?", (code, row["sku"]))
    return f"{row['sku']} moved from {row['location']} to {code}"


@tool(mutates=True)
def transfer_bin(world: InventoryWorld, from_location: str, to_location: str) -> str:
    """Move every product stored in one bin to another bin.

    Args:
        from_location: the bin to empty, e.g. "A-02".
        to_location: the bin that receives the products.
    """
    source, target = _bin(world, from_location), _bin(world, to_location)
    if source == target:
        raise ToolError(f"expected two different bins, got {source} twice")
    moved = world.execute("UPDATE products SET location = ? WHERE location = ?", (target, source))
    if moved == 0:
        raise ToolError(f"bin {source} is already empty; list_products(location=...) shows bins")
    return f"moved {moved} product(s) from {source} to {target}"


@tool(mutates=True)
def create_purchase_order(world: InventoryWorld, sku: str, quantity: int) -> dict[str, Any]:
    """Order units of a product from its supplier; the order starts as pending.

    Args:
        sku: the product's SKU.
        quantity: units to order, at least 1.
    """
    row = _product(world, sku)
    if quantity < 1:
        raise ToolError(f"expected a quantity of at least 1, got {quantity}")
    if not world.scalar("SELECT active FROM suppliers WHERE name = ?", (row["supplier"],)):
        raise ToolError(f"supplier {row['supplier']} is suspended; it takes no new orders")
    world.execute(
        "INSERT INTO purchase_orders (sku, supplier, quantity, status) VALUES (?, ?, ?, 'pending')",
        (row["sku"], row["supplier"], quantity),
    )
    order_id = world.scalar("SELECT MAX(id) FROM purchase_orders")
    return {
        "order_id": order_id,
        "sku": row["sku"],
        "supplier": row["supplier"],
        "quantity": quantity,
        "status": "pending",
    }


@tool(mutates=True)
def receive_order(world: InventoryWorld, order_id: int) -> str:
    """Book a pending purchase order as delivered: its units are added to stock.

    Args:
        order_id: the purchase order's id.
    """
    order = _order(world, order_id)
    if order["status"] != "pending":
        raise ToolError(f"order {order_id} is {order['status']}; only pending orders arrive")
    world.execute("UPDATE purchase_orders SET status = 'received' WHERE id = ?", (order_id,))
    world.execute(
        "UPDATE products SET stock = stock + ? WHERE sku = ?", (order["quantity"], order["sku"])
    )
    return f"received {order['quantity']} units of {order['sku']} (order {order_id})"


@tool(mutates=True)
def cancel_order(world: InventoryWorld, order_id: int) -> str:
    """Cancel a pending purchase order.

    Args:
        order_id: the purchase order's id.
    """
    order = _order(world, order_id)
    if order["status"] != "pending":
        raise ToolError(
            f"order {order_id} is {order['status']}; only pending orders can be cancelled"
        )
    world.execute("UPDATE purchase_orders SET status = 'cancelled' WHERE id = ?", (order_id,))
    return f"cancelled order {order_id}"


@tool(mutates=True)
def suspend_supplier(world: InventoryWorld, supplier: str) -> dict[str, Any]:
    """Suspend a supplier: it takes no new orders and its pending orders are cancelled.

    Args:
        supplier: the supplier's name, e.g. "Northgate Tools".
    """
    name = supplier.strip()
    if world.one("SELECT name FROM suppliers WHERE name = ?", (name,)) is None:
        raise ToolError(f"no supplier named {supplier!r}; list_suppliers shows them")
    ids = [
        r["id"]
        for r in world.rows(
            "SELECT id FROM purchase_orders WHERE supplier = ? AND status = 'pending' ORDER BY id",
            (name,),
        )
    ]
    world.execute("UPDATE suppliers SET active = 0 WHERE name = ?", (name,))
    world.execute(
        "UPDATE purchase_orders SET status = 'cancelled' WHERE supplier = ? AND status = 'pending'",
        (name,),
    )
    return {"supplier": name, "active": False, "cancelled_orders": ids}


class InventoryDomain(GeneratedDomain):
    """Warehouse stock, bins, suppliers and purchase orders in SQLite."""

    name = "inventory"
    description = "a warehouse stock database with products, bins, suppliers and purchase orders"
    rng = staticmethod(numpy_rng)
    tools = (
        list_products,
        get_product,
        list_suppliers,
        list_orders,
        run_query,
        adjust_stock,
        set_location,
        transfer_bin,
        create_purchase_order,
        receive_order,
        cancel_order,
        suspend_supplier,
    )
    makers = (
        tasks.goal_restock,
        tasks.goal_relocate,
        tasks.goal_cancel_supplier,
        tasks.question_category_stock,
        tasks.question_priciest,
        tasks.question_pending,
    )
    new_world = staticmethod(tasks.new_world)

    def check_invariants(self, world: InventoryWorld) -> list[str]:
        """Stock is never negative; every reference points at an existing row."""
        problems = [
            f"negative stock for {r['sku']}: {r['stock']}"
            for r in world.rows("SELECT sku, stock FROM products WHERE stock < 0")
        ]
        problems += [
            f"order {r['id']} has bad quantity or status"
            for r in world.rows(
                "SELECT id FROM purchase_orders WHERE quantity < 1 OR "
                "status NOT IN ('pending', 'received', 'cancelled')"
            )
        ]
        problems += [
            f"order {r['id']} references unknown product {r['sku']}"
            for r in world.rows(
                "SELECT id, sku FROM purchase_orders WHERE sku NOT IN (SELECT sku FROM products)"
            )
        ]
        problems += [
            f"product {r['sku']} references an unknown supplier or bin"
            for r in world.rows(
                "SELECT sku FROM products WHERE supplier NOT IN "
                "(SELECT name FROM suppliers) OR location NOT IN "
                "(SELECT code FROM locations)"
            )
        ]
        problems += [
            f"suspended supplier {r['supplier']} has pending order {r['id']}"
            for r in world.rows(
                "SELECT o.id, o.supplier FROM purchase_orders o JOIN "
                "suppliers s ON s.name = o.supplier WHERE s.active = 0 "
                "AND o.status = 'pending'"
            )
        ]
        return problems

    def candidate_calls(self, world: InventoryWorld) -> list[ToolCall]:
        """Listings per category and bin, product look-ups, order actions."""
        calls = [
            ToolCall("list_products", {}),
            ToolCall("list_suppliers", {}),
            ToolCall("list_orders", {"status": "pending"}),
            ToolCall(
                "run_query",
                {
                    "sql": "SELECT sku, stock, reorder_level FROM products "
                    "WHERE stock < reorder_level"
                },
            ),
        ]
        products = world.rows("SELECT sku, category, location FROM products ORDER BY sku")
        for category in sorted({p["category"] for p in products}):
            calls.append(ToolCall("list_products", {"category": category}))
        for p in products[:12]:
            calls.append(ToolCall("get_product", {"sku": p["sku"]}))
            calls.append(ToolCall("list_products", {"location": p["location"]}))
        for r in world.rows("SELECT id FROM purchase_orders WHERE status = 'pending' LIMIT 6"):
            calls.append(ToolCall("cancel_order", {"order_id": r["id"]}))
        for p in products[:6]:
            calls.append(
                ToolCall("adjust_stock", {"sku": p["sku"], "delta": 10, "reason": "restock"})
            )
        return calls
