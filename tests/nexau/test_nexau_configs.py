"""NexAU config trees in and out: field mapping, notes, round trips, and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from nexgym.error import SpecError
from nexgym.nexau import dump, load, load_report
from nexgym.registry import catalog_paths, load_catalog_spec

TRIP_DESK = Path(__file__).parent / "configs" / "trip_desk"
MAIN = TRIP_DESK / "trip_planner.yaml"


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A writable copy of the trip desk tree (for the broken-input tests)."""
    shutil.copytree(TRIP_DESK, tmp_path / "desk")
    return tmp_path / "desk"


def edit(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def error_of(path: Path, **kwargs: object) -> str:
    with pytest.raises(SpecError) as caught:
        load(path, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


# -- mapping ----------------------------------------------------------------------------------


def test_fields_map_onto_the_spec() -> None:
    report = load_report(MAIN)
    spec = report.spec
    assert spec.name == "TripPlanner"
    assert spec.domain == "travel"  # inferred: the narrowest domain with every tool named
    assert spec.root == "trip_planner"
    assert spec.agent_names == ("trip_planner", "flights", "hotels")  # entry names override
    assert spec.subagent_call == "agent_tool"  # NexAU's call form
    planner = spec.agent("trip_planner")
    assert planner.tools == ("budget_status", "get_traveler")
    assert planner.sub_agents == ("flights", "hotels")
    assert planner.max_turns == 16
    assert planner.description == "Plans trips within budget."
    assert planner.role.startswith("You plan business trips.")
    flights = spec.agent("flights")
    assert flights.role == (
        "You search for flights on the requested day and book the cheapest one that fits.\n"
        "Report the booking id."
    )  # read from the prompt file
    assert flights.max_turns == 8
    assert spec.agent("hotels").max_turns == 24  # no max_iterations: nexgym's default


def test_fields_without_meaning_are_kept_and_reported() -> None:
    report = load_report(MAIN)
    agents = report.spec.metadata["nexau"]["agents"]
    assert agents["trip_planner"]["fields"]["llm_config"] == {
        "temperature": 0.3,
        "max_tokens": 2048,
    }
    assert agents["hotels"]["fields"] == {"timeout": 120}
    assert agents["hotels"]["mcp_servers"][0]["command"] == "mcp-server-time"
    assert agents["hotels"]["tools"]["book_hotel"]["as_skill"] is True
    notes = "\n".join(report.notes)
    assert "trip_planner.yaml: llm_config: has no meaning in an env; kept in metadata" in notes
    assert "hotel_agent.yaml: timeout: has no meaning in an env" in notes
    assert (
        "hotel_agent.yaml: mcp_servers: 'clock' kept in metadata "
        "(the spec's tools come from domain 'travel', not from servers)"
    ) in notes
    assert "domain 'travel' inferred from the tool names (also fit: email_travel)" in notes
    assert "hotel_agent.yaml: system_prompt: template placeholders are kept as text" in notes


def test_domain_argument_wins_and_unknown_tools_fail_or_drop() -> None:
    assert load(MAIN, domain="email_travel").domain == "email_travel"
    assert "domain 'files' has no tool 'budget_status'" in error_of(MAIN, domain="files")
    report = load_report(MAIN, domain="files", strict=False)
    assert report.spec.all_tools() == set()
    assert any("dropped 'budget_status' (not a files tool)" in n for n in report.notes)


# -- round trips ------------------------------------------------------------------------------


def test_nexau_tree_round_trips(tmp_path: Path) -> None:
    first = load_report(MAIN)
    main = dump(first.spec, tmp_path / "out")
    assert main == tmp_path / "out" / "trip_planner.yaml"
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in main.parent.rglob("*.*"))
    original = sorted(p.relative_to(TRIP_DESK).as_posix() for p in TRIP_DESK.rglob("*.*"))
    assert written == original  # the same tree: agent files, prompt file, tool files
    again = load(main)
    assert again == first.spec
    root = yaml.safe_load(main.read_text())
    assert root["llm_config"] == {"temperature": 0.3, "max_tokens": 2048}
    assert root["sub_agents"] == [
        {"name": "flights", "config_path": "./flight_agent.yaml"},
        {"name": "hotels", "config_path": "./hotel_agent.yaml"},
    ]
    assert root["global_storage"]["nexgym"]["domain"] == "travel"
    tool = yaml.safe_load((main.parent / "tools" / "search_flights.tool.yaml").read_text())
    assert tool["type"] == "tool" and tool["name"] == "search_flights"
    assert tool["input_schema"]["required"] == ["origin", "destination", "day"]
    prompt = (main.parent / "prompts" / "flights.md").read_text()
    assert prompt.startswith("You search for flights")
    # a second trip through the files changes nothing
    dump(again, tmp_path / "twice")
    assert load(tmp_path / "twice" / "trip_planner.yaml") == again


@pytest.mark.parametrize("name", sorted(catalog_paths())[::40])
def test_catalog_specs_round_trip_through_nexau_files(name: str, tmp_path: Path) -> None:
    spec = load_catalog_spec(name)
    main = dump(spec, tmp_path)
    back = load(main)
    assert back.model_copy(update={"metadata": spec.metadata}) == spec
    assert {k: v for k, v in back.metadata.items() if k != "nexau"} == spec.metadata
    assert load(dump(back, tmp_path / "again")) == back


# -- bad input --------------------------------------------------------------------------------


def test_missing_sub_agent_file_names_the_file_and_field(desk: Path) -> None:
    (desk / "hotel_agent.yaml").unlink()
    message = error_of(desk / "trip_planner.yaml")
    assert "trip_planner.yaml: sub_agents[1].config_path: expected a NexAU agent config file" in (
        message
    )
    assert "hotel_agent.yaml" in message and "fix the path" in message


def test_missing_tool_and_prompt_files(desk: Path) -> None:
    (desk / "tools" / "book_flight.tool.yaml").unlink()
    assert "flight_agent.yaml: tools[1].yaml_path: expected a NexAU tool config file" in (
        error_of(desk / "trip_planner.yaml")
    )
    shutil.copy(TRIP_DESK / "tools" / "book_flight.tool.yaml", desk / "tools")
    (desk / "prompts" / "flights.md").unlink()
    assert "flight_agent.yaml: system_prompt: expected a prompt file at './prompts/flights.md'" in (
        error_of(desk / "trip_planner.yaml")
    )


def test_cycle_in_sub_agent_files(desk: Path) -> None:
    edit(desk / "hotel_agent.yaml", sub_agents=[{"config_path": "./trip_planner.yaml"}])
    message = error_of(desk / "trip_planner.yaml")
    assert "hotel_agent.yaml: sub_agents[0].config_path: cycle in the sub-agent files" in message
    assert "trip_planner.yaml -> hotel_agent.yaml -> trip_planner.yaml" in message


def test_malformed_files(desk: Path) -> None:
    (desk / "flight_agent.yaml").write_text("type: agent\nname: [unclosed\n")
    assert "flight_agent.yaml: (yaml): not valid YAML" in error_of(desk / "trip_planner.yaml")
    (desk / "flight_agent.yaml").write_text("- just\n- a list\n")
    assert "flight_agent.yaml: (top level): expected a NexAU agent config mapping, got list" in (
        error_of(desk / "trip_planner.yaml")
    )
    shutil.copy(TRIP_DESK / "flight_agent.yaml", desk)
    edit(desk / "flight_agent.yaml", type="tool")
    assert "flight_agent.yaml: type: expected 'agent', got 'tool'" in (
        error_of(desk / "trip_planner.yaml")
    )
    edit(desk / "flight_agent.yaml", type="agent", max_iterations="many")
    assert "flight_agent.yaml: max_iterations: expected a positive integer, got 'many'" in (
        error_of(desk / "trip_planner.yaml")
    )
    edit(desk / "flight_agent.yaml", max_iterations=4, tools=["search_flights"])
    assert "flight_agent.yaml: tools[0]: expected a mapping with name and yaml_path" in (
        error_of(desk / "trip_planner.yaml")
    )


def test_malformed_mcp_servers_and_nexgym_block(desk: Path) -> None:
    edit(desk / "hotel_agent.yaml", mcp_servers=[{"name": "clock", "type": "stdio"}])
    assert "hotel_agent.yaml: mcp_servers[0].command: expected the command" in (
        error_of(desk / "trip_planner.yaml")
    )
    shutil.copy(TRIP_DESK / "hotel_agent.yaml", desk)
    edit(desk / "trip_planner.yaml", global_storage={"nexgym": {"domian": "travel"}})
    assert "trip_planner.yaml: global_storage.nexgym.domian: unknown field" in (
        error_of(desk / "trip_planner.yaml")
    )


def test_no_tools_means_the_domain_must_be_given(tmp_path: Path) -> None:
    main = tmp_path / "solo.yaml"
    main.write_text("type: agent\nname: solo\nsystem_prompt: You answer.\n")
    assert "solo.yaml: tools: no agent names a tool" in error_of(main)
    assert load(main, domain="files").agent("solo").role == "You answer."


def test_dump_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    spec = load(MAIN)
    metadata = dict(spec.metadata)
    metadata["nexau"] = {"agents": {"trip_planner": {"file": "../escape.yaml"}}}
    with pytest.raises(SpecError, match="expected a relative path inside the output folder"):
        dump(spec.model_copy(update={"metadata": metadata}), tmp_path / "out")
    assert not (tmp_path / "escape.yaml").exists()


KV_TEAM = Path(__file__).parent / "configs" / "kv_team" / "store_lead.yaml"


def test_a_tree_whose_tools_are_mcp_servers_becomes_a_server_spec(tmp_path: Path) -> None:
    report = load_report(KV_TEAM)
    spec = report.spec
    assert spec.domain == "mcp"
    (server,) = spec.mcp_servers
    assert server.name == "kv_store" and server.agents == ("clerk",)
    assert server.command == "python" and server.timeout == 20
    assert server.args == ("kv_server.py",)
    # what a nexgym server spec has no field for is kept to be written back
    assert spec.metadata["nexau"]["mcp_servers"] == {
        "kv_store": {"type": "stdio", "config_name": "kv-store"}
    }
    assert any("1 server(s) served (domain mcp)" in n for n in report.notes)
    main = dump(spec, tmp_path / "out")
    clerk = yaml.safe_load((main.parent / "clerk.yaml").read_text())
    assert clerk["mcp_servers"][0]["name"] == "kv-store"
    assert clerk["mcp_servers"][0]["type"] == "stdio"
    assert load(main) == spec
