"""The hand-written world specs compile into domains that behave like hand-written ones."""

from __future__ import annotations

import contextlib
from typing import Any

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from nexgym.envs.domains import domain_class, get_domain
from nexgym.envs.worlds.library import packaged_world_names, verify_world

import nexgym
from nexgym.policies import OraclePolicy
from nexgym.tools import ToolCall

HAND_WRITTEN = [n for n in packaged_world_names() if not n.startswith("w_")]


def single_agent(world: str) -> dict[str, Any]:
    """One agent holding every tool of ``world``."""
    tools = list(domain_class(world)().tool_names)
    return {
        "name": "Solo" + world.title().replace("_", ""),
        "description": f"one agent over {world}",
        "domain": world,
        "root": "clerk",
        "agents": [{"name": "clerk", "role": "You do the work yourself.", "tools": tools}],
    }


def two_level(world: str) -> dict[str, Any]:
    """A lead holding the reading tools and a worker holding the acting ones."""
    domain = domain_class(world)
    reading = [t.name for t in domain.tools if not t.mutates]
    acting = [t.name for t in domain.tools if t.mutates]
    return {
        "name": "Pair" + world.title().replace("_", ""),
        "description": f"a lead and a worker over {world}",
        "domain": world,
        "root": "lead",
        "agents": [
            {"name": "lead", "role": "You lead.", "tools": reading, "sub_agents": ["worker"]},
            {
                "name": "worker",
                "role": "You change records.",
                "description": "Changes records.",
                "tools": [*reading, *acting],
            },
        ],
    }


def play(env: gym.Env, seed: int, policy_cls=OraclePolicy) -> tuple[float, dict]:
    obs, info = env.reset(seed=seed)
    policy = policy_cls(env)
    reward = 0.0
    for _ in range(200):
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        if terminated or truncated:
            break
    return float(reward), info


def test_there_are_four_hand_written_worlds() -> None:
    assert {"vet_clinic", "library_loans", "hr_onboarding", "release_crew"} <= set(HAND_WRITTEN)


@pytest.mark.parametrize("world", HAND_WRITTEN)
def test_compiles_and_verifies(world: str) -> None:
    cls = domain_class(world)
    verify_world(cls)
    domain = cls()
    assert domain.name == world
    for tool in domain.tools:
        schema = tool.schema()["function"]
        assert schema["description"] and schema["parameters"]["type"] == "object"


@pytest.mark.parametrize("world", HAND_WRITTEN)
def test_check_env(world: str) -> None:
    env = nexgym.make_env(single_agent(world))
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("world", HAND_WRITTEN)
def test_oracle_solves_20_seeds_through_a_hierarchy(world: str) -> None:
    env = nexgym.make_env(two_level(world), difficulty=2)
    rewards = [play(env, seed)[0] for seed in range(20)]
    env.close()
    assert rewards == [1.0] * 20


@pytest.mark.parametrize("world", HAND_WRITTEN)
def test_both_plans_solve_and_differ(world: str) -> None:
    domain = get_domain(world)
    differing = 0
    for seed in range(10):
        task = domain.generate_task(seed, 3)
        for plan in task.plans:
            state = domain.copy_world(task.world)
            for call in plan:
                tool = domain.tool(call.name)
                tool(state, **tool.validate(call.arguments))
            assert task.verify(state, task.answer).solved
        if len(task.plans) > 1 and {c.name for c in task.plans[0]} != {
            c.name for c in task.plans[1]
        }:
            differing += 1
    assert differing >= 5


@pytest.mark.parametrize("world", HAND_WRITTEN)
def test_a_wrong_action_leaves_the_task_unsolved(world: str) -> None:
    domain = get_domain(world)
    for seed in range(10):
        task = domain.generate_task(seed, 1)
        acts = [c for c in task.plans[0] if domain.tool(c.name).mutates]
        if not acts:
            continue
        state = domain.copy_world(task.world)
        for call in task.plans[0]:
            tool = domain.tool(call.name)
            if call is acts[0]:  # the same action on another record
                wrong = _on_another_record(domain, state, call)
                if wrong is None:
                    break
                call = wrong
            with contextlib.suppress(nexgym.error.ToolError):
                tool(state, **tool.validate(call.arguments))
        verdict = task.verify(state, task.answer)
        assert not verdict.solved and verdict.score < 1.0
        return
    pytest.fail("no task with an acting goal in 10 seeds")


def _on_another_record(domain, state, call: ToolCall) -> ToolCall | None:
    """``call`` with its first record id replaced by another record's of the same entity."""
    for key, value in call.arguments.items():
        if key.endswith("_id") and isinstance(value, str):
            for entity in domain.world_spec.entities:
                ids = [r["id"] for r in state.records(entity.name)]
                if value in ids:
                    other = next(i for i in ids if i != value)
                    return ToolCall(call.name, {**call.arguments, key: other})
    return None


def test_finishing_at_once_scores_below_one() -> None:
    env = nexgym.make_env(single_agent("vet_clinic"))
    env.reset(seed=4)
    _, reward, terminated, _, _ = env.step(
        '<tool_call>{"name": "finish", "arguments": {"answer": "done"}}</tool_call>'
    )
    env.close()
    assert terminated and reward < 1.0


def test_a_violated_precondition_is_an_observation() -> None:
    env = nexgym.make_env(single_agent("vet_clinic"))
    env.reset(seed=0)
    domain = env.unwrapped.domain
    world = env.unwrapped.runtime.task.world
    treated = next(r["id"] for r in world.records("pet") if r["status"] == "treated")
    obs, _, terminated, _, _ = env.step(ToolCall("admit_pet", {"pet_id": treated}).to_text())
    env.close()
    assert not terminated
    assert "its status is 'treated'" in obs and "needs 'registered' or 'discharged'" in obs
    assert domain.has_tool("admit_pet")


def test_tasks_are_deterministic_and_grow_with_difficulty() -> None:
    domain = get_domain("library_loans")
    a, b = domain.generate_task(7, 2), domain.generate_task(7, 2)
    assert a.instruction == b.instruction and a.plans == b.plans
    assert a.world.snapshot() == b.world.snapshot()
    sizes = [len(domain.generate_task(7, d).world.records("book")) for d in (1, 2, 3)]
    assert sizes[0] < sizes[1] < sizes[2]
    goals = [len(domain.generate_task(7, d).goals) for d in (1, 2, 3)]
    assert goals == [2, 3, 4]  # one per difficulty level, plus the state-diff check
