"""Bad world specs fail at load with an error naming the part and the fix."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from nexgym.envs.worlds.compiler import compile_world
from nexgym.envs.worlds.library import packaged_world_path, verify_world
from nexgym.envs.worlds.spec import WorldSpec, WorldSpecError


def vet() -> dict[str, Any]:
    return yaml.safe_load(packaged_world_path("vet_clinic").read_text())


def problems(data: dict[str, Any]) -> str:
    with pytest.raises(WorldSpecError) as info:
        WorldSpec.from_dict(data)
    return str(info.value)


def test_round_trip() -> None:
    spec = WorldSpec.from_dict(vet())
    assert WorldSpec.from_yaml(spec.to_yaml()) == spec


def test_unknown_key_names_the_path() -> None:
    data = vet()
    data["entities"][1]["fields"][0]["colour"] = "red"
    assert "entities[1].fields[0].colour: unknown field" in problems(data)


def test_reference_cycle_is_named() -> None:
    data = vet()
    data["entities"][0]["fields"].append({"name": "favourite", "type": "ref", "entity": "pet"})
    text = problems(data)
    assert "cycle" in text
    assert "owner -> pet -> owner" in text or "pet -> owner -> pet" in text


def test_unsatisfiable_constraint() -> None:
    data = vet()
    data["constraints"].append({"entity": "medicine", "field": "doses", "min": 50, "max": 10})
    assert "constraints[2]: unsatisfiable: min 50 is above max 10" in problems(data)
    data = vet()
    data["constraints"].append({"entity": "medicine", "field": "doses", "min": 500})
    assert "constraints[2]: unsatisfiable" in problems(data)


def test_transition_with_unknown_status() -> None:
    data = vet()
    data["tools"][5]["from"] = ["registred"]
    text = problems(data)
    assert "tools[5].from: 'registred' is not a status of 'pet'; did you mean 'registered'" in text


def test_transfer_that_can_never_succeed() -> None:
    data = vet()
    data["entities"][2]["fields"][1]["max"] = 0
    assert "tools[10]: can never succeed" in problems(data)


def test_unknown_entity_and_field() -> None:
    data = vet()
    data["tools"][3]["filters"] = ["specie"]
    data["tools"][0]["entity"] = "owners"
    text = problems(data)
    assert "tools[3].filters: 'pet' has no field 'specie'; did you mean 'species'?" in text
    assert "tools[0].entity: unknown entity 'owners'; did you mean 'owner'?" in text


def test_no_reading_tool() -> None:
    data = vet()
    data["tools"] = [t for t in data["tools"] if t["op"] not in ("lookup", "list", "search")]
    assert "no tool reads the world" in problems(data)


def test_not_a_mapping() -> None:
    with pytest.raises(WorldSpecError, match="expected a mapping"):
        WorldSpec.from_yaml("- a\n- b\n")


def test_a_transfer_needs_two_records() -> None:
    data = vet()
    data["entities"][2]["counts"] = [1, 1, 1]
    assert "tools[10]: a transfer needs two records of 'medicine'" in problems(data)


def test_a_tool_no_world_can_use_is_rejected_at_verification() -> None:
    data = vet()
    # an enum with one value: an update can never set a different one
    data["entities"][1]["fields"].append({"name": "ward", "type": "enum", "values": ["main"]})
    data["tools"].append(
        {
            "name": "move_ward",
            "op": "update",
            "entity": "pet",
            "fields": ["ward"],
            "description": "Move a pet to another ward.",
        }
    )
    spec = WorldSpec.from_dict(data)  # valid as declared ...
    with pytest.raises(WorldSpecError, match=r"tools\[14\] \(move_ward\): can never succeed"):
        verify_world(compile_world(spec))  # ... but no world lets it act
