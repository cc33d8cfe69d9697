from __future__ import annotations

import json

import gymnasium as gym
import pytest
from nexgym.wrappers import ObservationNoise
from nexgym.wrappers.noise.observation_noise import DISTRACTOR_LINES, TRUNCATION_MARK

from nexgym.error import ConfigError
from nexgym.policies import OraclePolicy
from nexgym.tools import ToolCall

ENV_ID = "nex/FileSolo-v0"  # the root holds every tool: each step is one tool call


def _noisy(**rates: float) -> gym.Env:
    full = {"truncate_rate": 0.0, "reorder_rate": 0.0, "distractor_rate": 0.0, "stale_rate": 0.0}
    return ObservationNoise(gym.make(ENV_ID), **{**full, **rates})


def _listing(env: gym.Env) -> tuple[str, list[str]]:
    """Reset, list /src with and without the wrapper's noise."""
    env.reset(seed=0)
    runtime = env.unwrapped.runtime
    clean = runtime.backend.call(ToolCall("find_files", {"pattern": "*", "path": "/"})).content
    obs, *_ = env.step(ToolCall("find_files", {"pattern": "*", "path": "/"}).to_text())
    return obs, clean


def test_truncation_cuts_and_marks():
    obs, clean = _listing(_noisy(truncate_rate=1.0))
    assert TRUNCATION_MARK in obs
    assert len(obs) < len(str(clean)) + 100
    assert "truncated" in str(_noisy_meta(_noisy(truncate_rate=1.0)))


def _noisy_meta(env: gym.Env) -> str:
    _listing(env)
    return env.unwrapped.runtime.tool_log[-1].meta.get("noise", "")


def test_reorder_shuffles_list_items():
    env = _noisy(reorder_rate=1.0)
    _obs, clean = _listing(env)
    shown = json.loads(env.unwrapped.runtime.transcripts[0][1][-1]["content"])
    assert len(clean) > 3
    assert sorted(shown) == sorted(clean) and shown != clean
    assert env.unwrapped.runtime.tool_log[-1].meta["noise"] == "reordered"


def test_distractor_line_is_added():
    obs, _ = _listing(_noisy(distractor_rate=1.0))
    assert any(line in obs for line in DISTRACTOR_LINES)


def test_stale_result_after_a_write():
    env = _noisy(stale_rate=1.0)
    env.reset(seed=0)
    path = next(iter(sorted(env.unwrapped.runtime.task.world.files)))
    read = ToolCall("read_file", {"path": path}).to_text()
    _first, *_ = env.step(read)
    env.step(ToolCall("write_file", {"path": path, "content": "fresh text"}).to_text())
    again, *_ = env.step(read)
    assert "fresh text" not in again  # the cache served the old content
    assert env.unwrapped.runtime.tool_log[-1].meta["noise"] == "stale"
    assert env.unwrapped.runtime.task.world.files[path] == "fresh text"


def test_noise_is_seeded_and_the_oracle_still_solves(play_episode):
    def run(seed: int):
        env = ObservationNoise(
            gym.make("nex/FileOps-v0", difficulty=2),
            truncate_rate=0.5,
            reorder_rate=0.5,
            distractor_rate=0.5,
            stale_rate=0.5,
        )
        return play_episode(env, OraclePolicy(env), seed)

    a, b = run(1), run(1)
    assert a["observations"] == b["observations"]
    assert run(1)["info"]["success"] and run(2)["info"]["success"]
    noisy = [meta for *_, meta in a["log"] + run(2)["log"] if meta.get("noise")]
    assert noisy


def test_bad_rate_raises():
    with pytest.raises(ConfigError, match="stale_rate"):
        ObservationNoise(gym.make(ENV_ID), stale_rate=-0.1)
