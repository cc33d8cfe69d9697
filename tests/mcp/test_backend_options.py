"""NexEnv(backend_options=...) configures the MCP backend and rejects typos."""

from __future__ import annotations

import json
import pickle

import gymnasium as gym
import pytest

import nexgym
from nexgym.error import ConfigError


def test_inproc_rejects_backend_options():
    with pytest.raises(ConfigError, match="in-process backend takes no backend_options"):
        gym.make("nex/FileSolo-v0", backend_options={"timeout": 3})


def test_mcp_rejects_unknown_option():
    with pytest.raises(ConfigError, match=r"unknown backend_options for 'mcp'.*timeout"):
        gym.make("nex/FileSolo-v0", backend="mcp", backend_options={"tmeout": 3})


def test_call_log_and_timeout_reach_the_backend(tmp_path):
    log = tmp_path / "calls.jsonl"
    env = gym.make(
        "nex/FileSolo-v0", backend="mcp", backend_options={"timeout": 7.5, "call_log": str(log)}
    )
    try:
        obs, info = env.reset(seed=1)
        policy = nexgym.policies.OraclePolicy(env)
        tool_calls = 0
        while True:
            action = policy(obs, info)
            tool_calls += '"finish"' not in action
            obs, reward, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        assert reward == 1.0
        records = [json.loads(line) for line in log.read_text().splitlines()]
        assert len(records) == tool_calls and all(r["ok"] for r in records)
        assert env.unwrapped.runtime.backend.timeout == 7.5
        clone = pickle.loads(pickle.dumps(env))
        try:
            assert clone.unwrapped.runtime.backend.timeout == 7.5
        finally:
            clone.close()
    finally:
        env.close()
