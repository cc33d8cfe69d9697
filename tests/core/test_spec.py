"""The hierarchy DSL: YAML round trips and validation errors that name the bad field's path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import nexgym
from nexgym.error import SpecError
from nexgym.registry import catalog_paths
from nexgym.spec import HierarchySpec, load_spec

BASE: dict[str, Any] = {
    "name": "TinyDesk",
    "domain": "files",
    "topology": "tree",
    "root": "lead",
    "agents": [
        {"name": "lead", "role": "You lead.", "sub_agents": ["reader", "editor"]},
        {"name": "reader", "role": "You read.", "tools": ["read_file", "list_dir"]},
        {"name": "editor", "role": "You edit.", "tools": ["write_file"], "max_turns": 5},
    ],
}


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def problems(data: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(data)
    return caught.value.problems


# -- YAML round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(catalog_paths()))
def test_every_catalog_spec_round_trips_through_yaml(name: str) -> None:
    spec = load_spec(catalog_paths()[name])
    again = HierarchySpec.from_yaml(spec.to_yaml())
    assert again == spec
    assert again.to_yaml() == spec.to_yaml()
    assert load_spec(spec.to_dict()) == spec


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    data = variant(
        description="A tiny desk.",
        topology="centralized",
        topology_params={"n": 4, "rounds": 3, "debate_rounds": 2},
        limits={"max_invalid_actions": 3, "max_depth": 2},
        metadata={"source": "test", "tags": ["a", "b"]},
    )
    spec = load_spec(data)
    path = tmp_path / "TinyDesk.yaml"
    path.write_text(spec.to_yaml())
    for loaded in (load_spec(path), load_spec(str(path)), load_spec(path.read_text())):
        assert loaded == spec
        assert loaded.topology_params.n == 4 and loaded.limits.max_depth == 2
        assert loaded.agent("editor").max_turns == 5
        assert loaded.metadata == {"source": "test", "tags": ["a", "b"]}
    # defaults are left out of the YAML, the topology is always written
    text = load_spec(BASE).to_yaml()
    assert "limits" not in text and "description" not in text and "topology: tree" in text


def test_queries() -> None:
    spec = load_spec(BASE)
    assert spec.agent_names == ("lead", "reader", "editor")
    assert spec.depth() == 2
    assert [(d, a.name) for d, a in spec.walk()] == [(0, "lead"), (1, "reader"), (1, "editor")]
    assert spec.holders("read_file") == ("reader",)
    assert spec.subtree("lead") == {"lead", "reader", "editor"}
    assert spec.all_tools() == {"read_file", "list_dir", "write_file"}


# -- validation errors name the path of the bad field ------------------------------------------


def test_unknown_tool_names_the_path_and_suggests() -> None:
    data = variant()
    data["agents"][1]["tools"] = ["read_file", "lst_dir"]
    (line,) = problems(data)
    assert line.startswith("agents[1].tools[1]: domain 'files' has no tool 'lst_dir'")
    assert "did you mean 'list_dir'" in line


def test_cycle_names_the_path_and_the_cycle() -> None:
    data = variant()
    data["agents"][1]["sub_agents"] = ["editor"]
    data["agents"][2]["sub_agents"] = ["reader"]
    (line,) = problems(data)
    assert line.startswith("agents[1].sub_agents: cycle in the sub-agent graph")
    assert "reader -> editor -> reader" in line


def test_self_call_names_the_path() -> None:
    data = variant()
    data["agents"][1]["sub_agents"] = ["reader"]
    assert "agents[1].sub_agents[0]: agent 'reader' cannot call itself" in problems(data)


def test_unreachable_agent_names_the_path() -> None:
    data = variant()
    data["agents"].append({"name": "loner", "role": "You wait."})
    (line,) = problems(data)
    assert line.startswith("agents[3]: agent 'loner' is unreachable from root 'lead'")


def test_duplicate_name_names_both_paths() -> None:
    data = variant()
    data["agents"][2]["name"] = "reader"
    data["agents"][0]["sub_agents"] = ["reader"]
    lines = problems(data)
    assert any(
        line.startswith("agents[2].name: duplicate agent name 'reader' (also agents[1])")
        for line in lines
    ), lines


def test_missing_root_agent_suggests() -> None:
    (line,) = problems(variant(root="leed"))
    assert line == "root: no agent is called 'leed'; did you mean 'lead'?"
    data = variant()
    del data["root"]
    assert problems(data) == ["root: required field is missing"]


def test_unknown_sub_agent_names_the_path() -> None:
    data = variant()
    data["agents"][0]["sub_agents"] = ["reader", "editr"]
    lines = problems(data)
    assert "agents[0].sub_agents[1]: no agent is called 'editr'; did you mean 'editor'?" in lines


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("top", "colour: unknown field; remove it or check its spelling"),
        ("agent", "agents[1].colour: unknown field; remove it or check its spelling"),
        ("limits", "limits.colour: unknown field; remove it or check its spelling"),
    ],
)
def test_extra_field_names_the_path(where: str, expected: str) -> None:
    data = variant()
    target = {"top": data, "agent": data["agents"][1], "limits": data.setdefault("limits", {})}
    target[where]["colour"] = "blue"
    assert expected in problems(data)


def test_bad_topology_lists_the_choices() -> None:
    (line,) = problems(variant(topology="star"))
    assert line.startswith("topology: ")
    assert "'single'" in line and "'centralized'" in line and "got 'star'" in line


def test_single_topology_with_two_agents() -> None:
    data = variant(topology="single")
    data["agents"] = data["agents"][:2]
    data["agents"][0]["sub_agents"] = ["reader"]
    (line,) = problems(data)
    assert line.startswith("topology: 'single' means one agent holding every tool, got 2 agents")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "tiny desk"}, "name: expected a CamelCase name such as 'TravelDesk'"),
        ({"domain": "filez"}, "domain: unknown domain 'filez'; did you mean 'files'"),
        ({"agents": []}, "agents: "),
    ],
)
def test_other_top_level_errors(change: dict[str, Any], expected: str) -> None:
    assert any(line.startswith(expected) for line in problems(variant(**change)))


def test_agent_field_errors() -> None:
    data = variant()
    data["agents"][1]["name"] = "Reader"
    data["agents"][2]["max_turns"] = 0
    data["agents"][2]["tools"] = ["finish"]
    lines = problems(data)
    assert any(line.startswith("agents[1].name: expected a snake_case name") for line in lines)
    assert any(line.startswith("agents[2].max_turns: ") for line in lines)


def test_builtin_and_twice_listed_tools() -> None:
    data = variant()
    data["agents"][1]["tools"] = ["read_file", "read_file", "finish"]
    lines = problems(data)
    assert "agents[1].tools[2]: 'finish' is built in; remove it from the list" in lines
    assert "agents[1].tools: a tool is listed twice; list each tool once" in lines


def test_every_problem_is_reported_at_once() -> None:
    data = variant()
    data["agents"][1]["tools"] = ["nope"]
    data["agents"][2]["tools"] = ["write_fil"]
    assert [line.split(":")[0] for line in problems(data)] == [
        "agents[1].tools[0]",
        "agents[2].tools[0]",
    ]


def test_malformed_sources() -> None:
    assert problems("name: [unclosed\nagents:")[0].startswith("(yaml): not valid YAML")
    assert problems("- just\n- a list\n")[0].startswith("(top level): expected a mapping")
    missing = problems(Path("/nonexistent/Spec.yaml"))[0]
    assert missing.startswith("(file): cannot read /nonexistent/Spec.yaml")
    with pytest.raises(SpecError) as caught:
        load_spec(Path("/nonexistent/Spec.yaml"))
    assert "in /nonexistent/Spec.yaml" in str(caught.value)


def test_spec_errors_are_nexgym_and_value_errors() -> None:
    with pytest.raises(ValueError):
        load_spec(variant(topology="star"))
    with pytest.raises(nexgym.error.NexgymError):
        load_spec(variant(topology="star"))
