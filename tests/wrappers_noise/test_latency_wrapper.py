from __future__ import annotations

import time

import gymnasium as gym
import pytest
from nexgym.wrappers import Latency

from nexgym.error import ConfigError, UnknownNameError
from nexgym.policies import OraclePolicy

ENV_ID = "nex/FileOps-v0"


def test_latency_runs_on_the_virtual_clock(make_profile, play_episode):
    # difficulty 2: several tool calls in every task
    env = Latency(gym.make(ENV_ID, difficulty=2), make_profile(seconds=50.0, sigma=0.0))
    start = time.perf_counter()
    out = play_episode(env, OraclePolicy(env), seed=0)
    wall = time.perf_counter() - start
    calls = len(out["log"])
    assert calls >= 2
    # every domain tool call took exactly 50 virtual seconds, and nothing slept
    assert out["clock"] == pytest.approx(50.0 * calls)
    assert out["info"]["virtual_time"] == pytest.approx(50.0 * calls)
    assert out["info"]["tool_latency"] == pytest.approx(50.0 * calls)
    assert out["info"]["clock"] == pytest.approx(50.0 * calls)
    assert wall < 5.0
    assert out["info"]["success"]
    spans = [s for s in env.unwrapped.runtime.trace if s.kind == "tool"]
    assert all(s.end - s.start == pytest.approx(50.0) for s in spans)


def test_same_seed_same_latencies_other_seed_others(make_profile, play_episode):
    def clocks(seed: int) -> list[float]:
        env = Latency(gym.make(ENV_ID), make_profile(seconds=1.0, sigma=1.0))
        play_episode(env, OraclePolicy(env), seed=seed)
        return [s.end for s in env.unwrapped.runtime.trace if s.kind == "tool"]

    assert clocks(3) == clocks(3)
    assert clocks(3) != clocks(4)


def test_time_budget_truncates_and_scores(make_profile, play_episode):
    env = Latency(
        gym.make(ENV_ID, difficulty=2), make_profile(seconds=10.0, sigma=0.0), time_budget=15.0
    )
    out = play_episode(env, OraclePolicy(env), seed=0)
    info = out["info"]
    assert out["truncated"] and not out["terminated"]
    assert info["stop_reason"] == "time_budget"
    assert info["time_left"] == 0.0
    # the budget ran out on the second call: two calls ran, no third one
    assert len(out["log"]) == 2
    assert out["reward"] == pytest.approx(info["score"])
    assert not info["success"]


def test_real_time_sleeps(make_profile):
    env = Latency(
        gym.make("nex/FileSolo-v0"), make_profile(seconds=0.05, sigma=0.0), real_time=True
    )
    policy = OraclePolicy(env)
    obs, info = env.reset(seed=0)
    start = time.perf_counter()
    env.step(policy(obs, info))  # FileSolo's root holds the tools: one call
    assert time.perf_counter() - start >= 0.05
    assert env.unwrapped.runtime.clock == pytest.approx(0.05)


def test_bad_arguments_raise_nexgym_errors(make_profile):
    with pytest.raises(ConfigError, match="time_budget"):
        Latency(gym.make(ENV_ID), make_profile(), time_budget=0)
    with pytest.raises(UnknownNameError, match="noise profile"):
        Latency(gym.make(ENV_ID), "no-such-profile")
    with pytest.raises(ConfigError, match="latency"):
        Latency(gym.make(ENV_ID), {"default": {"latency": {"mu": 0.0, "sigma": -1.0}}})
