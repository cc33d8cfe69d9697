"""Synthesis beyond the registered domains: induced worlds, role titles, negations, checks."""

from __future__ import annotations

import pytest
from nexgym.envs.domains import DOMAINS, domain_class

import nexgym
from nexgym.synth import SynthesisError, synthesize
from nexgym.synth.check import oracle_check


def test_an_out_of_domain_business_induces_a_world() -> None:
    spec = synthesize(
        "A bakery where a baker bakes bread and a cashier sells pastries and refunds orders, "
        "and a driver delivers orders"
    )
    assert spec.domain.startswith("w_") and spec.domain in DOMAINS
    world = domain_class(spec.domain).world_spec
    assert {e.name for e in world.entities} == {"bread", "pastry", "order"}
    assert {a.name for a in spec.agents} == {"baker", "cashier", "driver"}
    assert "bake_bread" in spec.agent("baker").tools
    assert "sell_pastry" in spec.agent("cashier").tools
    assert "deliver_order" in spec.agent("driver").tools
    assert any("induced world" in n for n in spec.metadata["notes"])
    oracle_check(spec, seeds=5)


@pytest.mark.parametrize(
    ("text", "roles", "objects"),
    [
        (
            "A manager delegates to a team lead who delegates to two engineers",
            {"manager", "team_lead", "engineer_1", "engineer_2"},
            {"work_item"},
        ),
        (
            "A legal review team where a paralegal files contracts and a lawyer reviews and "
            "signs contracts, and the partner approves invoices",
            {"paralegal", "lawyer", "partner"},
            {"contract", "invoice"},
        ),
        (
            "A pharmacy where a pharmacist dispenses medicine and a nurse admits patients",
            {"pharmacist", "nurse"},
            {"medicine", "patient"},
        ),
    ],
)
def test_role_titles_are_never_work_objects(text: str, roles: set, objects: set) -> None:
    spec = synthesize(text)
    assert set(spec.agent_names) == roles
    entities = {e.name for e in domain_class(spec.domain).world_spec.entities}
    assert entities == objects
    oracle_check(spec, seeds=3)


def test_a_team_lead_makes_a_three_level_tree() -> None:
    spec = synthesize("A manager delegates to a team lead who delegates to two engineers")
    assert spec.root == "manager" and spec.depth() == 3
    assert spec.agent("manager").sub_agents == ("team_lead",)


def test_chief_of_staff_is_a_role() -> None:
    spec = synthesize("A chief of staff who hands scheduling of meetings to an assistant")
    assert spec.domain == "calendar" and spec.root == "chief"
    assert "staff" not in " ".join(spec.agent_names)


def test_a_negation_applies_to_its_role_only() -> None:
    spec = synthesize(
        "A file team where a lead hands reading to a reader and edits to an editor; "
        "the reader never changes files"
    )
    assert not {"write_file", "replace_in_file"} & set(spec.agent("reader").tools)
    assert {"write_file", "replace_in_file"} <= set(spec.agent("editor").tools)
    oracle_check(spec, seeds=5)


def test_a_forbidden_tool_moves_to_another_agent() -> None:
    spec = synthesize("A file team where the editor never deletes files and a reader reads files")
    assert "delete_file" not in spec.agent("editor").tools
    assert "delete_file" in spec.all_tools()


def test_a_team_wide_negation_still_applies_to_everyone() -> None:
    spec = synthesize("an inventory team that never cancels orders")
    assert "cancel_order" not in spec.all_tools()


def test_unplaced_words_are_warnings() -> None:
    spec = synthesize("A bakery where a baker bakes bread and glorbs the frumble")
    assert spec.domain.startswith("w_")
    assert any("could not place" in n for n in spec.metadata["notes"])


def test_nonsense_is_still_an_error() -> None:
    with pytest.raises(SynthesisError, match="no part of the description"):
        synthesize("qwzx plorf glarb")


def test_make_env_checks_the_oracle_and_returns_a_solvable_env() -> None:
    env = nexgym.make_env(
        "A veterinary clinic where a receptionist registers pets, a vet admits and treats "
        "pets, and a pharmacist dispenses medicine"
    )
    obs, info = env.reset(seed=0)
    assert obs and info["role"]
    env.close()


def test_oracle_check_says_why_a_spec_is_not_solvable() -> None:
    spec = synthesize("A file team where a reader reads files and an editor writes files")
    broken = spec.model_copy(
        update={
            "agents": tuple(a.model_copy(update={"tools": ("read_file",)}) for a in spec.agents)
        }
    )
    with pytest.raises(SynthesisError, match=r"\(oracle\)"):
        oracle_check(broken, seeds=5, difficulty=3)
