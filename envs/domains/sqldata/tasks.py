"""The messy sales database of the sqldata domain, its generator and its goal makers.

Plans use either row-level tools (``describe_table``, ``preview_rows``,
``update_rows``, ``delete_rows``, ``save_query_as_table``) or SQL and bulk tools
(``run_query``, ``fill_nulls``, ``delete_duplicates``, ``transform_column``,
``create_summary_table``). Cleaning goals come before the summary and the questions,
whose expected values are computed on the cleaned data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer_rows, pick, sample
from nexgym.envs.domains.kit.names import CITIES, NAME_PAIRS
from nexgym.envs.domains.kit.sqlworld import SqlWorld
from nexgym.envs.domains.kit.taskgen import call

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
                        city TEXT NOT NULL, signup_date TEXT NOT NULL);
CREATE TABLE sales (id INTEGER PRIMARY KEY,
                    customer_id INTEGER NOT NULL REFERENCES customers(id),
                    product TEXT NOT NULL, region TEXT, amount REAL NOT NULL,
                    sale_date TEXT NOT NULL,
                    CONSTRAINT amount_is_a_number_of_zero_or_more
                        CHECK (typeof(amount) IN ('integer', 'real') AND amount >= 0));
"""
PRODUCTS = ("Espresso beans", "Ceramic mug", "French press", "Milk frother", "Tea sampler",
            "Burr grinder", "Travel tumbler")  # fmt: skip
REGIONS = ("North", "South", "East", "West")
MONTHS = {"2026-01": "January 2026", "2026-02": "February 2026", "2026-03": "March 2026"}
MONTH_KEYS = tuple(sorted(MONTHS))
DUPLICATE_KEY = ["customer_id", "product", "amount", "sale_date"]
CUSTOMER_COLUMNS = ("id", "name", "email", "city", "signup_date")
SALE_COLUMNS = ("id", "customer_id", "product", "region", "amount", "sale_date")
#: (group column, aggregate, aggregated column, value column, what it means)
SUMMARIES = (
    ("region", "sum", "amount", "total_sales", "the sum of its sales amounts"),
    ("product", "count", "id", "sales_count", "its number of sales"),
    ("region", "avg", "amount", "average_sale", "its average sale amount"),
)


class SalesWorld(SqlWorld):
    """The sales database."""

    def __init__(self) -> None:
        super().__init__(SCHEMA)


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[SalesWorld, dict]:
    """Customers and sales with missing regions, duplicates and untidy text."""
    world = SalesWorld()
    cities = [c for c, _ in sample(rng, CITIES, 4)]
    people = sample(rng, NAME_PAIRS, 8 + 4 * difficulty)
    # rows as lists in CUSTOMER_COLUMNS / SALE_COLUMNS order (the columns' indexes below)
    customers: list[list[Any]] = []
    messy_email = messy_city = False
    # drawn in bulk, one row of plain ints per customer and per sale
    # customer: city, untidy email (3 in 10), else untidy city (3 in 10), its case, month, day
    rolls = integer_rows(rng, (0, 0, 0, 0, 1, 1), (4, 10, 10, 2, 13, 29), len(people))
    for i, ((first, last), roll) in enumerate(zip(people, rolls, strict=True), 1):
        email, city = f"{first.lower()}.{last.lower()}@example.com", cities[roll[0]]
        if roll[1] < 3:
            email = f" {first}.{last}@Example.com "
            messy_email = True
        elif roll[2] < 3:
            city = (city.lower(), city.upper())[roll[3]]
            messy_city = True
        day = f"2025-{roll[4]:02d}-{roll[5]:02d}"
        customers.append([i, f"{first} {last}", email, city, day])
    if not messy_email:  # every world has some of each mess
        customers[0][2] = customers[0][2].upper()
    if not messy_city:
        customers[-1][3] = customers[-1][3].lower()
    # sale: month, customer id, product, region, amount in cents, day
    high = (len(MONTH_KEYS), len(customers) + 1, len(PRODUCTS), len(REGIONS), 30000, 29)
    draws = integer_rows(rng, (0, 1, 0, 0, 500, 1), high, 20 + 10 * difficulty)
    sales = [
        [
            i,
            customer,
            PRODUCTS[product],
            REGIONS[region],
            cents / 100,
            f"{MONTH_KEYS[month]}-{day:02d}",
        ]
        for i, (month, customer, product, region, cents, day) in enumerate(draws, 1)
    ]
    for row in sample(rng, sales, 2 + difficulty):
        row[3] = None  # region
    for row in sample(rng, sales, 2 + difficulty):
        sales.append([len(sales) + 1, *row[1:]])
    world.insert_rows("customers", CUSTOMER_COLUMNS, customers)
    world.insert_rows("sales", SALE_COLUMNS, sales)
    return world, {"cities": cities}


def _changed(facts: dict) -> str:
    facts["changed"] = True
    return ""


def _after(facts: dict) -> str:
    return "After the steps above, " if facts.get("changed") else ""


def goal_fill_nulls(rng: np.random.Generator, world: SalesWorld, facts: dict) -> Goal:
    """Replace missing regions with a placeholder."""
    _changed(facts)
    label = pick(rng, ("Unknown", "Unassigned"))
    before = dict(world.conn.execute("SELECT id, region FROM sales").fetchall())
    missing = {i for i, region in before.items() if region is None}

    def check(w: SalesWorld, answer: str | None) -> bool:
        now = {r["id"]: r["region"] for r in w.rows("SELECT id, region FROM sales")}
        return all(now[i] == (label if i in missing else before[i]) for i in now if i in before)

    null_count = "SELECT COUNT(*) FROM sales WHERE region IS NULL"
    return Goal(
        text=f"Some rows of the sales table have no region: set their region to '{label}' and "
        "change no other rows.",
        check=check,
        plans=(
            (
                call("describe_table", table="sales"),
                call(
                    "update_rows",
                    table="sales",
                    column="region",
                    value=label,
                    where={"region": None},
                ),
            ),
            (
                call("run_query", sql=null_count),
                call("fill_nulls", table="sales", column="region", value=label),
            ),
        ),
    )


def goal_dedupe(rng: np.random.Generator, world: SalesWorld, facts: dict) -> Goal:
    """Delete duplicate sales, keeping the first row of each group."""
    _changed(facts)
    keys = ", ".join(DUPLICATE_KEY)
    keep = {r["id"] for r in world.rows(f"SELECT MIN(id) AS id FROM sales GROUP BY {keys}")}
    extra = sorted({r["id"] for r in world.rows("SELECT id FROM sales")} - keep)
    # The ids to delete come from a query the agent runs: nothing unseen is stated.
    find = (
        f"SELECT id FROM sales WHERE id NOT IN (SELECT MIN(id) FROM sales GROUP BY {keys}) "
        "ORDER BY id"
    )

    def check(w: SalesWorld, answer: str | None) -> bool:
        return {r["id"] for r in w.rows("SELECT id FROM sales")} == keep

    return Goal(
        text="The sales table has duplicate rows (same customer_id, product, amount and "
        "sale_date). Delete the duplicates, keeping the row with the lowest id in each group.",
        check=check,
        plans=(
            (
                call("describe_table", table="sales"),
                call("delete_duplicates", table="sales", columns=DUPLICATE_KEY),
            ),
            (
                call("run_query", sql=find),
                call("delete_rows", table="sales", where={"id": {"in": extra}}),
            ),
        ),
    )


def goal_tidy_text(rng: np.random.Generator, world: SalesWorld, facts: dict) -> Goal:
    """Normalise customers' emails (trim, lower-case) or city names (title case)."""
    _changed(facts)
    column, transform = pick(rng, (("email", "trim_lower"), ("city", "title")))
    rows = world.rows(f"SELECT id, {column} AS value FROM customers ORDER BY id")
    tidy = {
        r["id"]: r["value"].strip().lower() if column == "email" else r["value"].title()
        for r in rows
    }
    fixes = [
        call(
            "update_rows",
            table="customers",
            column=column,
            value=tidy[r["id"]],
            where={"id": r["id"]},
        )
        for r in rows
        if r["value"] != tidy[r["id"]]
    ]
    if column == "email":
        text = (
            "Clean up customers.email: remove surrounding spaces and make every address lower-case."
        )
    else:
        text = "Fix the capitalisation of customers.city so every city is written like 'Lisbon'."

    def check(w: SalesWorld, answer: str | None) -> bool:
        now = {r["id"]: r["value"] for r in w.rows(f"SELECT id, {column} AS value FROM customers")}
        return now == tidy

    return Goal(
        text=text,
        check=check,
        plans=(
            (call("preview_rows", table="customers", limit=50), *fixes),
            (call("transform_column", table="customers", column=column, transform=transform),),
        ),
    )


def goal_summary(rng: np.random.Generator, world: SalesWorld, facts: dict) -> Goal:
    """Create a summary table of the (cleaned) sales."""
    group, aggregate, column, value, meaning = pick(rng, SUMMARIES)
    name = f"{group}_summary"
    rounded = f"ROUND({aggregate.upper()}({column}), 2)"
    sql = f"SELECT {group}, {rounded} AS {value} FROM sales GROUP BY {group}"
    expected = {r[group]: r[value] for r in world.rows(sql)}
    lead = _after(facts)

    def check(w: SalesWorld, answer: str | None) -> bool:
        found = {r[group]: r[value] for r in w.rows(f'SELECT * FROM "{name}"')}
        return found.keys() == expected.keys() and all(
            abs(found[k] - v) < 0.01 for k, v in expected.items()
        )

    return Goal(
        text=f"{lead}Create a table named {name} with one row per {group} of the sales table and "
        f"two columns: {group}, and {value} holding {meaning}.",
        check=check,
        plans=(
            (call("save_query_as_table", name=name, sql=sql),),
            (
                call("run_query", sql=sql),
                call(
                    "create_summary_table",
                    name=name,
                    source_table="sales",
                    group_by=[group],
                    aggregate=aggregate,
                    column=column,
                    value_name=value,
                ),
            ),
        ),
    )


def question_month_total(rng: np.random.Generator, world: SalesWorld, facts: dict) -> Goal:
    """Total sales of a region in a month."""
    region, month = pick(rng, REGIONS), pick(rng, MONTH_KEYS)
    where = f"region = '{region}' AND sale_date LIKE '{month}-%'"
    total = round(world.scalar(f"SELECT COALESCE(SUM(amount), 0) FROM sales WHERE {where}"), 2)
    lead = _after(facts) or "In the sales table, "
    return Goal(
        text=f"{lead}what is the total amount of the {region} region's sales in {MONTHS[month]}?",
        check=lambda w, answer: answer_has(answer, total),
        plans=(
            (
                call(
                    "preview_rows",
                    table="sales",
                    limit=50,
                    where={"region": region, "sale_date": {"like": f"{month}-%"}},
                ),
            ),
            (call("run_query", sql=f"SELECT SUM(amount) FROM sales WHERE {where}"),),
        ),
        answer=f"{total:.2f}",
    )


def question_city_count(rng: np.random.Generator, world: SalesWorld, facts: dict) -> Goal:
    """How many customers live in a city, whatever the city's capitalisation."""
    city = pick(rng, facts["cities"])
    count = int(
        world.scalar("SELECT COUNT(*) FROM customers WHERE lower(city) = ?", (city.lower(),))
    )
    sql = f"SELECT COUNT(*) FROM customers WHERE lower(city) = '{city.lower()}'"
    return Goal(
        text=f"How many customers live in {city}? Count every spelling of the city's name.",
        check=lambda w, answer: answer_has(answer, count),
        plans=(
            (call("preview_rows", table="customers", where={"city": {"like": city}}, limit=50),),
            (call("run_query", sql=sql),),
        ),
        answer=str(count),
    )
