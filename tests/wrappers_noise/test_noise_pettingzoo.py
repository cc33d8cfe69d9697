"""The noise sources on the PettingZoo views: conformance, and the same faults as Gymnasium's.

Each source is one runtime middleware; ``NoiseAEC`` and ``NoiseParallel`` attach it to
a PettingZoo env as the named wrappers attach it to a Gymnasium env. Same seed, same
actions: the same faults, in the same observations, in every view.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import pytest
from nexgym.wrappers import ObservationNoise, ToolFaults
from nexgym.wrappers.noise import (
    LatencySource,
    ObservationNoiseSource,
    SchemaDriftSource,
    ToolBudgetSource,
    ToolFaultsSource,
)
from nexgym.wrappers.noise.faults import TRANSIENT_ERROR
from nexgym.wrappers.noise.middleware import NoiseSource
from nexgym.wrappers.noise.pz import NoiseAEC, NoiseParallel
from pettingzoo.test import api_test, parallel_api_test

import nexgym
from nexgym.policies.robust import RobustOraclePolicy

ENV_ID = "nex/FileOps-v0"
SOURCES: dict[str, Callable[[], NoiseSource]] = {
    "faults": lambda: ToolFaultsSource(error_rate=0.3, timeout_rate=0.1, outage_rate=1.0),
    "latency": lambda: LatencySource("realistic", time_budget=60.0),
    "observation_noise": lambda: ObservationNoiseSource(
        truncate_rate=0.5, reorder_rate=0.5, distractor_rate=0.5, stale_rate=0.5
    ),
    "schema_drift": lambda: SchemaDriftSource(rename_rate=1.0, paraphrase_rate=1.0),
    "budget": lambda: ToolBudgetSource(default=2),
}
FAULTS = {"error_rate": 0.4, "outage_rate": 1.0}
NOISE = {"truncate_rate": 0.3, "distractor_rate": 0.3, "reorder_rate": 0.0, "stale_rate": 0.0}


@pytest.mark.parametrize("name", SOURCES)
def test_aec_api_with_each_noise_source(name: str) -> None:
    env = NoiseAEC(nexgym.pz.env(ENV_ID), SOURCES[name]())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PettingZoo's advice for text spaces
            api_test(env, num_cycles=4)
    finally:
        env.close()


@pytest.mark.parametrize("name", SOURCES)
def test_parallel_api_with_each_noise_source(name: str) -> None:
    env = NoiseParallel(nexgym.pz.parallel_env(ENV_ID), SOURCES[name]())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parallel_api_test(env, num_cycles=4)
    finally:
        env.close()


def gym_episode(seed: int) -> tuple[list[str], list[tuple[str, str]], dict[str, Any]]:
    """The robust oracle plays every role of the Gymnasium view under faults and result noise."""
    env = ToolFaults(ObservationNoise(gym.make(ENV_ID, control="all"), **NOISE), **FAULTS)
    try:
        obs, info = env.reset(seed=seed)
        first = info
        policy = RobustOraclePolicy(env)
        actions, seen = [], [(info["role"], obs)]
        for _ in range(200):
            action = policy(obs, info)
            actions.append(action)
            obs, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
            seen.append((info["role"], obs))
        return actions, seen, first
    finally:
        env.close()


def sources() -> list[NoiseSource]:
    # inner first, as the Gymnasium stack: ObservationNoise inside ToolFaults
    return [ObservationNoiseSource(**NOISE), ToolFaultsSource(**FAULTS)]


@pytest.mark.parametrize("seed", [0, 5])
def test_faults_show_in_the_aec_view_as_in_the_gymnasium_view(seed: int) -> None:
    actions, expected, gym_info = gym_episode(seed)
    assert any(TRANSIENT_ERROR in text for _, text in expected), "no fault in this episode"
    env: Any = nexgym.pz.env(ENV_ID)
    for source in sources():
        env = NoiseAEC(env, source)
    try:
        env.reset(seed=seed)
        agent = env.agent_selection
        assert env.infos[agent]["unavailable_tools"] == gym_info["unavailable_tools"]
        seen = [(agent, env.observe(agent)["text"])]
        for action in actions[:-1]:
            env.step({"text": action})
            agent = env.agent_selection
            seen.append((agent, env.observe(agent)["text"]))
        assert seen == expected
    finally:
        env.close()


def test_faults_show_in_the_parallel_view_as_in_the_gymnasium_view() -> None:
    seed = 0
    actions, expected, gym_info = gym_episode(seed)
    env: Any = nexgym.pz.parallel_env(ENV_ID)
    for source in sources():
        env = NoiseParallel(env, source)
    try:
        observations, infos = env.reset(seed=seed)
        acting = [a for a in env.agents if infos[a]["acting"]]
        assert infos[acting[0]]["unavailable_tools"] == gym_info["unavailable_tools"]
        seen = [(acting[0], observations[acting[0]]["text"])]
        for action in actions[:-1]:
            observations, _, _, _, infos = env.step({acting[0]: action})
            acting = [a for a in env.agents if infos[a]["acting"]]
            seen.append((acting[0], observations[acting[0]]["text"]))
        assert seen == expected
    finally:
        env.close()


def test_budget_tracker_and_latency_keys_reach_every_agent() -> None:
    env = NoiseParallel(
        NoiseParallel(nexgym.pz.parallel_env(ENV_ID), LatencySource("realistic")),
        ToolBudgetSource(default=3),
    )
    try:
        observations, infos = env.reset(seed=1)
        for agent in env.agents:
            assert observations[agent]["text"].endswith("3/3 left")
            assert infos[agent]["virtual_time"] == 0.0
            assert set(infos[agent]["tool_budget"].values()) == {3}
    finally:
        env.close()
