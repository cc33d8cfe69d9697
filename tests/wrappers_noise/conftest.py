"""Shared helpers for the noise-wrapper tests: a small noise profile and an episode runner."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import pytest

import nexgym  # noqa: F401  (registers the catalog)
from nexgym.grounding.profile import LatencyModel, NoiseProfile, ToolNoise

ENV_ID = "nex/FileOps-v0"


def profile_dict(
    *, seconds: float = 2.0, sigma: float = 0.5, error_rate: float = 0.0, timeout_rate: float = 0.0
) -> dict[str, Any]:
    """A profile as a dict (JSON-able, so env.spec can record it)."""
    import math

    return NoiseProfile(
        name="test",
        timeout_seconds=30.0,
        default=ToolNoise(
            latency=LatencyModel(mu=math.log(seconds), sigma=sigma),
            error_rate=error_rate,
            timeout_rate=timeout_rate,
            error_messages=["upstream connection reset"],
        ),
    ).model_dump(mode="json")


def play(env: gym.Env, policy: Any, seed: int, max_steps: int = 300) -> dict[str, Any]:
    """One episode; returns the observations, actions, reward, end info and tool log."""
    obs, info = env.reset(seed=seed)
    observations, actions, total = [obs], [], 0.0
    for _ in range(max_steps):
        action = policy(obs, info)
        actions.append(action)
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        total += float(reward)
        if terminated or truncated:
            break
    runtime = env.unwrapped.runtime
    return {
        "observations": observations,
        "actions": actions,
        "reward": total,
        "info": info,
        "terminated": terminated,
        "truncated": truncated,
        "log": [(r.role, r.call.key(), r.ok, r.error, dict(r.meta)) for r in runtime.tool_log],
        "clock": runtime.clock,
    }


@pytest.fixture
def make_profile():
    """Factory of profile dicts: ``make_profile(seconds=, sigma=, error_rate=, timeout_rate=)``."""
    return profile_dict


@pytest.fixture
def play_episode():
    """``play_episode(env, policy, seed)`` -> observations, actions, reward, info, tool log."""
    return play


@pytest.fixture
def base_env():
    env = gym.make(ENV_ID)
    yield env
    env.close()
