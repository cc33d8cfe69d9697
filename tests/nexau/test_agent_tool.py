"""NexAU's call form: one ``Agent`` tool (``sub_agent_name``, ``message``) per caller."""

from __future__ import annotations

from pathlib import Path

import pytest
from gymnasium.utils.env_checker import check_env
from nexgym.wrappers import DiscreteActions
from pettingzoo.test import api_test, parallel_api_test

import nexgym
from nexgym.env import NexEnv
from nexgym.nexau import load
from nexgym.policies import OraclePolicy
from nexgym.registry import load_catalog_spec
from nexgym.spec import HierarchySpec, load_spec
from nexgym.tools import ToolCall

MAIN = Path(__file__).parent / "configs" / "trip_desk" / "trip_planner.yaml"
FILE_OPS = "nex/FileOps-v0"


def agent_tool(spec: HierarchySpec) -> HierarchySpec:
    return load_spec({**spec.to_dict(), "subagent_call": "agent_tool"})


def play(env: NexEnv, seed: int, task_seed: int | None = None) -> tuple[float, list[str]]:
    options = None if task_seed is None else {"task_seed": task_seed}
    obs, info = env.reset(seed=seed, options=options)
    oracle = OraclePolicy(env)
    total, actions = 0.0, []
    done = False
    while not done:
        action = oracle(obs, info)
        actions.append(action)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        done = terminated or truncated
    return total, actions


def test_menus_offer_one_agent_tool_with_the_sub_agents() -> None:
    env = NexEnv(agent_tool(load_catalog_spec(FILE_OPS)), control="all")
    env.reset(seed=0)
    runtime = env.runtime
    root = runtime.spec.root
    children = runtime.spec.agent(root).sub_agents
    assert children
    names = runtime.tool_names(root)
    assert "Agent" in names and not set(children) & set(names)
    schema = next(s for s in runtime.tool_schemas(root) if s["function"]["name"] == "Agent")
    params = schema["function"]["parameters"]
    assert params["required"] == ["sub_agent_name", "message"]
    assert params["properties"]["sub_agent_name"]["enum"] == list(children)
    assert "through the Agent tool" in runtime.system_prompt(root)
    for child in children:  # leaves have no sub-agents: no Agent tool
        if not runtime.spec.agent(child).sub_agents:
            assert "Agent" not in runtime.tool_names(child)


@pytest.mark.parametrize("env_id", [FILE_OPS, "nex/BookstoreTravelDesk-v0"])
def test_check_env_and_oracle_episode_with_the_agent_tool(env_id: str) -> None:
    spec = agent_tool(load_catalog_spec(env_id))
    check_env(NexEnv(spec, control="all"), skip_render_check=True)
    per_agent = NexEnv(load_catalog_spec(env_id), control="all")
    with_tool = NexEnv(spec, control="all")
    for seed in (0, 1):
        reward, actions = play(with_tool, seed)
        assert reward == pytest.approx(play(per_agent, seed)[0])
        assert reward > 0.9
        assert any('"name": "Agent"' in a for a in actions)


def test_loaded_nexau_tree_plays_to_the_end() -> None:
    env = NexEnv(load(MAIN), control="all")
    check_env(env, skip_render_check=True)
    # the domain's travel task 0: a flight search (the flights agent's); this tree holds no
    # cancel tool, so not every travel task is one it can do
    reward, actions = play(env, seed=0, task_seed=0)
    assert reward > 0.9
    assert any('"sub_agent_name": "flights"' in a for a in actions)


def test_bad_agent_calls_are_observations() -> None:
    env = NexEnv(agent_tool(load_catalog_spec(FILE_OPS)))
    env.reset(seed=0)
    root = env.unwrapped.runtime.spec.root
    obs, _, terminated, _, info = env.step(
        ToolCall("Agent", {"sub_agent_name": "nobody", "message": "hi"}).to_text()
    )
    assert info["action_kind"] == "invalid" and not terminated
    assert "'sub_agent_name' must be one of" in obs and "got 'nobody'" in obs
    obs, *_ = env.step(ToolCall("Agent", {"sub_agent_name": "x"}).to_text())
    assert "Invalid action" in obs and "message" in obs
    child = env.unwrapped.runtime.spec.agent(root).sub_agents[0]
    obs, *_ = env.step(ToolCall(child, {"task": "do it"}).to_text())  # the other call form
    assert f"{child!r} is not one of your tools" in obs


def test_pettingzoo_views_and_discrete_actions_with_the_agent_tool() -> None:
    spec = agent_tool(load_catalog_spec(FILE_OPS))
    api_test(nexgym.pz.env(spec), num_cycles=20)
    parallel_api_test(nexgym.pz.parallel_env(spec), num_cycles=20)
    aec = nexgym.pz.env(spec)
    aec.reset(seed=1)
    oracle = OraclePolicy(aec)
    totals = dict.fromkeys(aec.possible_agents, 0.0)
    for agent in aec.agent_iter():
        obs, reward, terminated, truncated, info = aec.last()
        totals[agent] += reward
        aec.step(None if terminated or truncated else oracle(obs, info))
    assert totals[spec.root] > 0.9
    env = DiscreteActions(NexEnv(spec, control="all"))
    _, info = env.reset(seed=0)
    agent_calls = [t for t in info["action_texts"] if '"name": "Agent"' in t]
    assert len(agent_calls) == len(spec.agent(spec.root).sub_agents)
