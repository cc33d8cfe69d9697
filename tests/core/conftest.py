"""Shared fixtures of the core tests: per-env time budgets.

Every registered env gets every per-env check, but envs whose episodes are expensive
(real git repositories, loopback web servers) get fewer episodes or examples, so the
registry-driven tests stay within their time budget however the catalog grows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gymnasium as gym
import pytest

from nexgym.policies import OraclePolicy


@dataclass
class EnvBudget:
    """Sizes per-env work from the measured cost of one oracle episode (reset included)."""

    costs: dict[str, float] = field(default_factory=dict)

    def episode_seconds(self, env_id: str) -> float:
        """Seconds one oracle episode of ``env_id`` takes here (measured once per process)."""
        if env_id not in self.costs:
            env = gym.make(env_id)
            policy = OraclePolicy(env)
            env.reset(seed=0)  # warm-up: lazy imports, caches, loopback servers
            start = time.perf_counter()
            obs, info = env.reset(seed=1)
            for _ in range(200):
                obs, _, terminated, truncated, info = env.step(policy(obs, info))
                if terminated or truncated:
                    break
            self.costs[env_id] = time.perf_counter() - start
            env.close()
        return self.costs[env_id]

    def count(self, env_id: str, seconds: float, low: int, high: int) -> int:
        """How many episodes fit in ``seconds``, clamped to ``[low, high]``."""
        fit = int(seconds / max(self.episode_seconds(env_id), 1e-6))
        return max(low, min(high, fit))


@pytest.fixture(scope="session")
def env_budget() -> EnvBudget:
    return EnvBudget()
