"""The warehouse world of the inventory domain, its generator and its goal makers.

Each maker returns one :class:`~nexgym.envs.domains.kit.base.Goal` with two tool-disjoint
plans: the listing tools with per-item writes (``list_products``, ``adjust_stock``,
``set_location``, ``cancel_order``) or SQL with bulk writes (``run_query``,
``create_purchase_order`` + ``receive_order``, ``transfer_bin``, ``suspend_supplier``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, pick, sample
from nexgym.envs.domains.kit.sqlworld import SqlWorld

from nexgym.tools import ToolCall

SCHEMA = """
CREATE TABLE suppliers (name TEXT PRIMARY KEY, city TEXT NOT NULL, active INTEGER NOT NULL);
CREATE TABLE locations (code TEXT PRIMARY KEY, zone TEXT NOT NULL);
CREATE TABLE products (
    sku TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
    supplier TEXT NOT NULL REFERENCES suppliers(name),
    location TEXT NOT NULL REFERENCES locations(code),
    stock INTEGER NOT NULL, reorder_level INTEGER NOT NULL, unit_cost REAL NOT NULL);
CREATE TABLE purchase_orders (
    id INTEGER PRIMARY KEY, sku TEXT NOT NULL REFERENCES products(sku),
    supplier TEXT NOT NULL REFERENCES suppliers(name),
    quantity INTEGER NOT NULL, status TEXT NOT NULL);
"""

CATALOG = {
    "fasteners": ("Hex Bolt M8", "Wood Screw 40mm", "Wall Anchor", "Wing Nut M6", "Pop Rivet"),
    "electrical": ("LED Bulb E27", "Extension Cord 5m", "Cable Ties", "Wall Socket", "Fuse 16A"),
    "plumbing": ("PVC Elbow 32mm", "Ball Valve", "Pipe Clamp", "Teflon Tape", "Sink Trap"),
    "paint": ("Primer 5L", "Paint Roller", "Masking Tape", "Wood Stain", "Brush Set"),
    "safety": ("Work Gloves", "Safety Goggles", "Ear Plugs", "Hard Hat", "Dust Mask"),
    "garden": ("Garden Hose 20m", "Pruning Shears", "Plant Food", "Watering Can", "Seed Tray"),
}
SUPPLIERS = (
    ("Brightline Supply", "Leeds"), ("Northgate Tools", "Bristol"),
    ("Keystone Hardware", "Cardiff"), ("Summit Industrial", "York"),
    ("Riverside Wholesale", "Derby"), ("Ironclad Parts", "Hull"),
)  # fmt: skip
BINS = tuple(f"{zone}-{n:02d}" for zone in "ABCD" for n in range(1, 7))
CATEGORIES = tuple(sorted(CATALOG))
#: category -> (SKU, name) of each of its products
ITEMS = {
    category: tuple((f"{category[:3].upper()}-{101 + i}", name) for i, name in enumerate(names))
    for category, names in CATALOG.items()
}
PRODUCT_COLUMNS = ("sku", "name", "category", "supplier", "location", "stock", "reorder_level",
                   "unit_cost")  # fmt: skip
ORDER_COLUMNS = ("id", "sku", "supplier", "quantity", "status")
STATUSES = ("pending", "received", "cancelled")


#: The bins never change: they are part of the empty warehouse.
LOCATIONS = "".join(f"INSERT INTO locations (code, zone) VALUES ('{b}', '{b[0]}');\n" for b in BINS)


class InventoryWorld(SqlWorld):
    """The warehouse database (its bins already in ``locations``)."""

    def __init__(self) -> None:
        super().__init__(SCHEMA + LOCATIONS)


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[InventoryWorld, dict]:
    """Products of 2 + difficulty categories, suppliers, bins and some orders."""
    world = InventoryWorld()  # with the bins
    suppliers = sample(rng, SUPPLIERS, 3 + difficulty)
    categories = sorted(sample(rng, CATEGORIES, 2 + difficulty))
    bins = sample(rng, BINS, 6 + 2 * difficulty)
    products: list[tuple[Any, ...]] = []  # rows in PRODUCT_COLUMNS order
    for category in categories:
        items = ITEMS[category]
        costs = sample(rng, range(150, 9000), len(items))
        low = set(sample(rng, range(len(items)), 1 + integer(rng, 0, difficulty)))
        for i, (sku, name) in enumerate(items):
            reorder = integer(rng, 4, 16) * 5
            stock = integer(rng, 0, reorder) if i in low else reorder + integer(rng, 0, 90)
            supplier = pick(rng, suppliers)[0]
            location = bins[len(products) % len(bins)]
            products.append(
                (sku, name, category, supplier, location, stock, reorder, costs[i] / 100)
            )
    orders = []  # rows in ORDER_COLUMNS order
    for i in range(4 + 3 * difficulty):
        product = pick(rng, products)
        status = "pending" if i % 3 != 2 else pick(rng, ("received", "cancelled"))
        orders.append((501 + i, product[0], product[3], integer(rng, 2, 20) * 10, status))
    world.insert_rows("suppliers", ("name", "city", "active"), [(n, c, 1) for n, c in suppliers])
    world.insert_rows("products", PRODUCT_COLUMNS, products)
    world.insert_rows("purchase_orders", ORDER_COLUMNS, orders)
    return world, {"categories": categories, "suppliers": [n for n, _ in suppliers]}


def goal_restock(rng: np.random.Generator, world: InventoryWorld, facts: dict) -> Goal:
    """Bring a category's products back up to their reorder level."""
    category = pick(rng, [c for c in facts["categories"] if c not in facts["touched"]])
    facts["touched"].add(category)
    low = world.rows(
        "SELECT * FROM products WHERE category = ? AND stock < reorder_level ORDER BY sku",
        (category,),
    )
    facts["touched"].update(p["supplier"] for p in low)
    others = {
        r["sku"]: r["stock"]
        for r in world.rows("SELECT sku, stock FROM products")
        if r["sku"] not in {p["sku"] for p in low}
    }
    next_id = int(world.scalar("SELECT MAX(id) FROM purchase_orders")) + 1

    def check(w: InventoryWorld, answer: str | None) -> bool:
        stock = {r["sku"]: r for r in w.rows("SELECT * FROM products")}
        return all(stock[p["sku"]]["stock"] >= p["reorder_level"] for p in low) and all(
            stock[sku]["stock"] == n for sku, n in others.items()
        )

    adjust = tuple(
        ToolCall(
            "adjust_stock",
            {
                "sku": p["sku"],
                "delta": 2 * p["reorder_level"] - p["stock"],
                "reason": "restock",
            },
        )
        for p in low
    )
    order: list[ToolCall] = []
    for i, p in enumerate(low):
        quantity = 2 * p["reorder_level"] - p["stock"]
        order.append(ToolCall("create_purchase_order", {"sku": p["sku"], "quantity": quantity}))
        order.append(ToolCall("receive_order", {"order_id": next_id + i}))
    query = (
        f"SELECT sku, stock, reorder_level FROM products WHERE category = '{category}' "
        "AND stock < reorder_level"
    )
    return Goal(
        text=f"Restock the {category} category: every product in it whose stock is "
        "below its reorder level must end with at least its reorder level in stock. "
        "Do not change the stock of any other product.",
        check=check,
        plans=(
            (ToolCall("list_products", {"category": category}), *adjust),
            (ToolCall("run_query", {"sql": query}), *order),
        ),
    )


def goal_relocate(rng: np.random.Generator, world: InventoryWorld, facts: dict) -> Goal:
    """Empty one bin into another."""
    used = world.rows("SELECT location, COUNT(*) AS n FROM products GROUP BY location")
    source = pick(rng, sorted(r["location"] for r in used))
    empty = sorted(set(BINS) - {r["location"] for r in used})
    target = pick(rng, empty)
    skus = [
        r["sku"]
        for r in world.rows("SELECT sku FROM products WHERE location = ? ORDER BY sku", (source,))
    ]
    facts["touched"].update(skus)

    def check(w: InventoryWorld, answer: str | None) -> bool:
        where = {r["sku"]: r["location"] for r in w.rows("SELECT sku, location FROM products")}
        return all(where[s] == target for s in skus) and source not in where.values()

    return Goal(
        text=f"Bin {source} is being repaired: move every product stored in it to the "
        f"empty bin {target}.",
        check=check,
        plans=(
            (
                ToolCall("list_products", {"location": source}),
                *(ToolCall("set_location", {"sku": s, "location": target}) for s in skus),
            ),
            (
                ToolCall(
                    "run_query",
                    {"sql": f"SELECT sku FROM products WHERE location = '{source}'"},
                ),
                ToolCall("transfer_bin", {"from_location": source, "to_location": target}),
            ),
        ),
    )


def goal_cancel_supplier(rng: np.random.Generator, world: InventoryWorld, facts: dict) -> Goal:
    """Cancel every pending order of a supplier that went out of business."""
    pending = world.rows("SELECT supplier, id FROM purchase_orders WHERE status = 'pending'")
    candidates = sorted({r["supplier"] for r in pending} - facts["touched"])
    supplier = pick(rng, candidates or sorted({r["supplier"] for r in pending}))
    facts["touched"].add(supplier)
    ids = sorted(r["id"] for r in pending if r["supplier"] == supplier)
    before = {r["id"]: r["status"] for r in world.rows("SELECT id, status FROM purchase_orders")}

    def check(w: InventoryWorld, answer: str | None) -> bool:
        now = {r["id"]: r["status"] for r in w.rows("SELECT id, status FROM purchase_orders")}
        return all(now[i] == ("cancelled" if i in ids else s) for i, s in before.items())

    return Goal(
        text=f"{supplier} has gone out of business: cancel every pending purchase order "
        "placed with it, and leave all other orders as they are.",
        check=check,
        plans=(
            (
                ToolCall("list_orders", {"status": "pending", "supplier": supplier}),
                *(ToolCall("cancel_order", {"order_id": i}) for i in ids),
            ),
            (ToolCall("suspend_supplier", {"supplier": supplier}),),
        ),
    )


def question_category_stock(rng: np.random.Generator, world: InventoryWorld, facts: dict) -> Goal:
    """How many units a category holds in total."""
    free = [c for c in facts["categories"] if c not in facts["touched"]]
    category = pick(rng, free or facts["categories"])
    total = int(world.scalar("SELECT SUM(stock) FROM products WHERE category = ?", (category,)))
    sql = f"SELECT SUM(stock) FROM products WHERE category = '{category}'"
    return Goal(
        text=f"How many units are in stock in total across the {category} category?",
        check=lambda w, answer: answer_has(answer, total),
        plans=(
            (ToolCall("list_products", {"category": category}),),
            (ToolCall("run_query", {"sql": sql}),),
        ),
        answer=str(total),
    )


def question_priciest(rng: np.random.Generator, world: InventoryWorld, facts: dict) -> Goal:
    """Which product of a category costs the most per unit."""
    category = pick(rng, facts["categories"])
    top = str(
        world.scalar(
            "SELECT name FROM products WHERE category = ? ORDER BY unit_cost DESC LIMIT 1",
            (category,),
        )
    )
    sql = (
        f"SELECT name, unit_cost FROM products WHERE category = '{category}' "
        "ORDER BY unit_cost DESC LIMIT 1"
    )
    return Goal(
        text=f"Which product in the {category} category has the highest unit cost? Give its name.",
        check=lambda w, answer: answer_has(answer, top),
        plans=(
            (ToolCall("list_products", {"category": category}),),
            (ToolCall("run_query", {"sql": sql}),),
        ),
        answer=top,
    )


def question_pending(rng: np.random.Generator, world: InventoryWorld, facts: dict) -> Goal:
    """How many pending orders a supplier has."""
    free = [s for s in facts["suppliers"] if s not in facts["touched"]]
    supplier = pick(rng, free or facts["suppliers"])
    count = int(
        world.scalar(
            "SELECT COUNT(*) FROM purchase_orders WHERE supplier = ? AND status = 'pending'",
            (supplier,),
        )
    )
    sql = (
        f"SELECT COUNT(*) FROM purchase_orders WHERE status = 'pending' AND supplier = '{supplier}'"
    )
    return Goal(
        text=f"How many purchase orders placed with {supplier} are still pending?",
        check=lambda w, answer: answer_has(answer, count),
        plans=(
            (ToolCall("list_orders", {"status": "pending", "supplier": supplier}),),
            (ToolCall("run_query", {"sql": sql}),),
        ),
        answer=str(count),
    )
