"""The offline synthesizer maps hand-written descriptions to the roles, tools and
topology they name, and answers bad input with a clear error or a valid spec."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nexgym.envs.domains import domain_class

import nexgym
from nexgym.error import ConfigError
from nexgym.policies import OraclePolicy
from nexgym.spec import HierarchySpec
from nexgym.synth import SynthesisError, synthesize


def tools_of(domain: str) -> set[str]:
    return {t.name for t in domain_class(domain).tools}


def holder(spec: HierarchySpec, tool: str) -> str:
    holders = spec.holders(tool)
    assert len(holders) == 1, f"{tool} held by {holders}"
    return holders[0]


def test_travel_desk_from_the_issue() -> None:
    spec = synthesize(
        "a travel desk where a planner hands flights to one specialist and hotels to "
        "another, and checks the budget itself"
    )
    assert spec.domain == "travel"
    assert spec.topology == "centralized"
    assert spec.root == "planner"
    root = spec.agent("planner")
    assert len(root.sub_agents) == 2
    assert "budget_status" in root.tools
    flights = holder(spec, "search_flights")
    hotels = holder(spec, "search_hotels")
    assert {flights, hotels} == set(root.sub_agents)
    assert holder(spec, "book_flight") == flights
    assert {"book_hotel", "change_hotel"} <= set(spec.agent(hotels).tools)
    assert not {"search_hotels", "book_hotel"} & set(spec.agent(flights).tools)
    assert spec.all_tools() == tools_of("travel")  # every tool has a holder


def test_deep_file_tree_with_named_leads_and_workers() -> None:
    spec = synthesize(
        "a file team where a manager has two leads: a code lead who has a searcher, and "
        "an ops lead with a config editor and an archivist"
    )
    assert spec.domain == "files"
    assert spec.topology == "tree"
    assert spec.depth() == 3
    assert spec.root == "manager"
    assert spec.agent("manager").sub_agents == ("code_lead", "ops_lead")
    assert spec.agent("code_lead").sub_agents == ("searcher",)
    assert set(spec.agent("ops_lead").sub_agents) == {"config_editor", "archivist"}
    assert "search_files" in spec.agent("searcher").tools
    assert {"replace_in_file", "write_file"} <= set(spec.agent("config_editor").tools)
    assert "move_file" in spec.agent("archivist").tools
    assert not spec.agent("manager").tools


def test_reader_and_editor_split_by_their_work() -> None:
    spec = synthesize(
        "A lead engineer coordinates a reader who reads and searches files and an editor "
        "who changes files."
    )
    assert (spec.topology, spec.root) == ("centralized", "lead_engineer")
    reader, editor = (set(spec.agent(n).tools) for n in ("reader", "editor"))
    assert {"read_file", "search_files"} <= reader
    assert {"write_file", "replace_in_file"} <= editor
    assert not reader & editor


@pytest.mark.parametrize(
    ("text", "topology"),
    [
        ("three analysts debate the answer about the files and vote", "decentralized"),
        ("an inventory team where independent clerks each work on their own", "independent"),
        ("four support agents solve each ticket independently; the best one wins", "independent"),
    ],
)
def test_peer_topologies_give_every_peer_every_tool(text: str, topology: str) -> None:
    spec = synthesize(text)
    assert spec.topology == topology
    peers = spec.agent(spec.root).sub_agents
    assert len(peers) >= 3
    assert spec.topology_params.n == len(peers)
    for peer in peers:
        assert set(spec.agent(peer).tools) == tools_of(spec.domain)
    assert not spec.agent(spec.root).tools


def test_counted_peers_are_honoured() -> None:
    spec = synthesize("two solvers with every calendar tool discuss each task and vote")
    assert spec.domain == "calendar"
    assert spec.topology == "decentralized"
    assert len(spec.agent(spec.root).sub_agents) == 2


def test_single_agent() -> None:
    spec = synthesize("A single engineer with every file tool.")
    assert spec.topology == "single"
    assert spec.agent_names == ("engineer",)
    assert set(spec.agent("engineer").tools) == tools_of("files")


def test_hybrid_and_named_depth() -> None:
    hybrid = synthesize(
        "a hybrid support team: a dispatcher with a clerk who reads and replies to tickets "
        "and a specialist who issues refunds"
    )
    assert hybrid.topology == "hybrid"
    assert holder(hybrid, "issue_refund") == "specialist"
    deep = synthesize("A four-level inventory team.")
    assert (deep.topology, deep.depth()) == ("tree", 4)
    assert deep.all_tools() == tools_of("inventory")


def test_support_roles_get_their_tickets_refunds_and_replies() -> None:
    spec = synthesize(
        "A support desk where a triager reads tickets and hands refunds to a billing "
        "specialist and replies to a responder."
    )
    assert spec.domain == "support"
    assert spec.root == "triager"
    assert "read_ticket" in spec.agent("triager").tools
    assert "issue_refund" in spec.agent("billing_specialist").tools
    assert "reply_ticket" in spec.agent("responder").tools


def test_reports_to_and_exclusions() -> None:
    spec = synthesize(
        "a searcher who finds files reports to a lead; the lead edits configs and nobody "
        "deletes files"
    )
    assert spec.root == "lead"
    assert spec.agent("lead").sub_agents == ("searcher",)
    assert "find_files" in spec.agent("searcher").tools
    assert "replace_in_file" in spec.agent("lead").tools
    assert "delete_file" not in spec.all_tools()


def test_explicit_tool_names_and_the_rest() -> None:
    spec = synthesize(
        "a files lead hands read_file and list_dir to a reader and everything else to a clerk"
    )
    assert {"read_file", "list_dir"} <= set(spec.agent("reader").tools)
    assert {"write_file", "move_file", "delete_file"} <= set(spec.agent("clerk").tools)


def test_both_parts_of_a_composite_domain_pick_the_composite() -> None:
    spec = synthesize(
        "a travel office where an assistant reads and answers emails and hands flight "
        "bookings to a booker"
    )
    assert spec.domain == "email_travel"
    assert "book_flight" in spec.agent("booker").tools
    assert {"read_email", "reply_email"} <= set(spec.agent("assistant").tools)
    one_part = synthesize("a travel desk where a planner books flights and hotels")
    assert one_part.domain == "travel"


def test_same_seed_same_spec_and_seeds_keep_the_structure() -> None:
    text = "a smart home team where a lead hands scenes to one clerk and schedules to another"
    first, again, other = (synthesize(text, seed=s) for s in (3, 3, 4))
    assert first.to_yaml() == again.to_yaml()
    assert [(a.name, a.tools, a.sub_agents) for a in first.agents] == [
        (a.name, a.tools, a.sub_agents) for a in other.agents
    ]
    assert first.metadata["source"] == text and first.metadata["seed"] == 3


def test_synthesized_text_becomes_a_live_env_the_oracle_solves() -> None:
    env = nexgym.make_env(
        "an email team where a lead hands reading to a reader and filing rules to a clerk"
    )
    policy = OraclePolicy(env)
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        while True:
            obs, _, terminated, truncated, info = env.step(policy(obs, info))
            if terminated or truncated:
                break
        assert info["success"], info
    env.close()


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_a_clear_error(text: str) -> None:
    with pytest.raises(SynthesisError, match="empty"):
        synthesize(text)


def test_nonsense_lists_the_domains() -> None:
    with pytest.raises(SynthesisError, match="no part of the description") as info:
        synthesize("qwzx plorf glarb")
    assert "files" in str(info.value) and "travel" in str(info.value)


def test_unknown_tool_name_is_a_warning_that_says_what_exists() -> None:
    spec = synthesize("an inventory clerk who calls teleport_item on products")
    assert spec.domain == "inventory"
    notes = " ".join(spec.metadata["notes"])
    assert "teleport_item" in notes and "adjust_stock" in notes  # the tools that exist


def test_work_no_tool_does_is_a_warning_on_a_best_effort_spec() -> None:
    spec = synthesize(
        "a travel desk where a planner hands flights to one specialist and trains to another"
    )
    assert spec.domain == "travel"
    notes = " ".join(spec.metadata["notes"])
    assert "'trains'" in notes and "search_flights" in notes
    assert "search_flights" in spec.agent("flight_specialist").tools


def test_contradictory_text_gives_a_valid_spec_with_a_note() -> None:
    spec = synthesize(
        "a single agent team where a planner hands flights to a specialist and hotels to another"
    )
    assert spec.topology == "centralized"
    assert any("single agent" in note for note in spec.metadata["notes"])


def test_spanish_is_read_word_by_word() -> None:
    spec = synthesize("Un planificador con dos especialistas: uno para vuelos y otro para hoteles.")
    assert (spec.domain, spec.root, spec.topology) == ("travel", "planner", "centralized")
    children = spec.agent("planner").sub_agents
    assert len(children) == 2
    assert "search_flights" in spec.agent(children[0]).tools
    assert "search_hotels" in spec.agent(children[1]).tools
    assert any("translated" in note for note in spec.metadata["notes"])


def test_other_scripts_ask_for_english() -> None:
    with pytest.raises(SynthesisError, match="English"):
        synthesize("一个旅行团队，有一个计划员")


def test_wrong_argument_types_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="string"):
        synthesize(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="seed"):
        synthesize("a file team", seed="x")  # type: ignore[arg-type]
    with pytest.raises(SynthesisError, match="at most"):
        synthesize("a file team " * 1000)


_WORDS = tuple(
    re.findall(
        r"\S+",
        "a the planner clerk specialist lead manager who hands to and with reads files flights "
        "hotels tickets refunds meetings emails stock three two peers debate vote levels single "
        "independently , . ; : itself never everything else banana qwerty zzz invoices scenes",
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=25), st.integers(0, 5))
def test_any_text_gives_an_error_or_a_spec_that_resets(words: list[str], seed: int) -> None:
    try:
        spec = synthesize(" ".join(words), seed=seed)
    except SynthesisError:
        return
    env = nexgym.make_env(spec)
    obs, info = env.reset(seed=seed)
    assert obs and info["role"] in spec.agent_names
    env.step('<tool_call>{"name": "finish", "arguments": {"answer": "x"}}</tool_call>')
    env.close()


def test_synthesis_imports_no_heavy_package() -> None:
    import subprocess
    import sys

    code = (
        "import sys, nexgym\n"
        "nexgym.synthesize('a file team where a lead hands edits to an editor')\n"
        "import nexgym.synth.catalog, nexgym.synth.report, nexgym.synth.llm\n"
        "print(sorted(m for m in ('torch', 'transformers', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
