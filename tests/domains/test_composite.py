"""Composite domains: tool union, per-part dispatch, renaming on name clashes, bridges."""

from __future__ import annotations

import copy

import pytest
from nexgym.envs.domains import get_domain
from nexgym.envs.domains.composite import CompositeDomain, CompositeWorld


class InventoryAndSales(CompositeDomain):
    """Two SQL domains: both have a ``run_query`` tool."""

    name = "inventory_sales"
    description = "test composite"
    parts = ("inventory", "sqldata")


def test_clashing_tool_names_get_the_part_as_prefix() -> None:
    names = [t.name for t in InventoryAndSales.tools]
    assert "inventory_run_query" in names and "sqldata_run_query" in names
    assert "run_query" not in names and "adjust_stock" in names and "fill_nulls" in names
    assert len(names) == len(set(names))
    schema = InventoryAndSales().tool("sqldata_run_query").schema()["function"]
    assert schema["name"] == "sqldata_run_query" and "sql" in schema["parameters"]["properties"]


def test_lifted_tools_act_on_their_own_sub_world() -> None:
    domain = InventoryAndSales()
    world = CompositeWorld({p: d.generate_task(0, 1).world for p, d in domain.domains.items()})
    counted = domain.tool("sqldata_run_query")(world, sql="SELECT COUNT(*) FROM customers")
    assert counted["rows"][0][0] > 0
    products = domain.tool("inventory_run_query")(world, sql="SELECT COUNT(*) FROM products")
    assert products["rows"][0][0] > 0
    with pytest.raises(NotImplementedError):
        domain.generate_task(0, 1)  # no bridge goals defined


@pytest.mark.parametrize("name", ["email_travel", "support_finance"])
def test_bridge_goals_need_both_parts(name: str) -> None:
    domain = get_domain(name)
    task = domain.generate_task(3, 1)
    plan = task.plans[0]
    parts_used = {
        part for call in plan for (part, tool), here in domain.names.items() if here == call.name
    }
    assert parts_used == set(domain.parts)
    # doing only one part's share of the plan leaves the task unsolved
    first_part = domain.parts[0]
    world = copy.deepcopy(task.world)
    for call in plan:
        if domain.names.get((first_part, call.name)) == call.name:
            tool = domain.tool(call.name)
            tool(world, **tool.validate(call.arguments))
    verdict = task.verify(world, task.answer)
    assert 0 < verdict.score < 1


def test_email_travel_request_is_in_the_mailbox() -> None:
    task = get_domain("email_travel").generate_task(5, 2)
    mail = max(task.world.parts["email"].emails.values(), key=lambda m: m.id)
    assert mail.subject.startswith("Trip to ") and "cheapest flight" in mail.body
    assert mail.subject in task.instruction
