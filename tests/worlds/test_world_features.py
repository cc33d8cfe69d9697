"""Compiled worlds work with the MCP backend, noise wrappers, PettingZoo and DiscreteActions."""

from __future__ import annotations

import numpy as np
import pytest
from nexgym.envs.domains import domain_class
from nexgym.wrappers import DiscreteActions, Latency, ToolFaults
from pettingzoo.test import api_test

import nexgym
import nexgym.pz
from nexgym.policies import OraclePolicy


def spec(world: str = "release_crew") -> dict:
    domain = domain_class(world)
    reading = [t.name for t in domain.tools if not t.mutates]
    acting = [t.name for t in domain.tools if t.mutates]
    return {
        "name": "CrewPair",
        "description": "a lead and a worker",
        "domain": world,
        "root": "lead",
        "agents": [
            {"name": "lead", "role": "You lead.", "tools": reading, "sub_agents": ["worker"]},
            {"name": "worker", "role": "You act.", "description": "Acts.", "tools": acting},
        ],
    }


def trajectory(env, seeds=(0, 1, 2)) -> list:
    out = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        policy = OraclePolicy(env)
        for _ in range(100):
            action = policy(obs, info)
            obs, reward, terminated, truncated, info = env.step(action)
            out.append((action, obs, reward))
            if terminated or truncated:
                break
    return out


@pytest.mark.mcp
def test_mcp_backend_has_trajectory_parity() -> None:
    local = nexgym.make_env(spec(), difficulty=3)
    served = nexgym.make_env(spec(), difficulty=3, backend="mcp")
    try:
        a, b = trajectory(local), trajectory(served)
    finally:
        local.close()
        served.close()
    assert a == b and a[-1][2] == 1.0


def test_noise_wrappers_keep_it_solvable_or_scored() -> None:
    env = ToolFaults(Latency(nexgym.make_env(spec())), error_rate=0.3)
    rewards = [r for _, _, r in trajectory(env)]
    env.close()
    assert all(np.isfinite(rewards))


def test_discrete_actions_contain_the_plan() -> None:
    env = DiscreteActions(nexgym.make_env(spec()))
    env.reset(seed=3)
    mask = env.action_masks()
    assert mask.any() and mask.shape == (env.action_space.n,)
    env.close()


def test_pettingzoo_api() -> None:
    api_test(nexgym.pz.env(spec()), num_cycles=6)
