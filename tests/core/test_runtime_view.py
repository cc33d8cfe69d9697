"""The runtime's typed read-only view: what every view exposes, and what it reads."""

from __future__ import annotations

import gymnasium as gym
import pytest

import nexgym
from nexgym.error import ConfigError
from nexgym.policies import OraclePolicy
from nexgym.runtime import runtime_control, runtime_view
from nexgym.runtime.view import current_task

ENV_ID = "nex/FileOps-v0"


def test_every_view_exposes_its_runtime_as_the_view() -> None:
    envs = [gym.make(ENV_ID), nexgym.pz.env(ENV_ID), nexgym.pz.parallel_env(ENV_ID)]
    try:
        for env in envs:
            base = env.unwrapped
            assert runtime_view(env) is base.view is base.runtime
            assert runtime_control(env) is base.runtime
            assert nexgym.runtime_view(env) is base.runtime
    finally:
        for env in envs:
            env.close()


def test_an_env_that_is_not_nexgym_gets_a_clear_error() -> None:
    env = gym.make("CartPole-v1")
    with pytest.raises(ConfigError, match="expected a nexgym env"):
        runtime_view(env)
    with pytest.raises(ConfigError, match="expected a nexgym env"):
        runtime_control(env)


def test_the_view_reads_task_assignments_counters_and_worlds() -> None:
    env = gym.make(ENV_ID, control="all")
    try:
        obs, info = env.reset(seed=0, options={"task_seed": 0})
        view = runtime_view(env)
        task = current_task(view)
        lead = view.lead_role
        assert view.assignment(lead) == task.instruction.strip()
        assert view.active_role == info["role"] == lead
        assert view.depth == info["depth"] == 1
        assert view.combination_calls(lead) == []
        assert view.live_world(0) is not None
        assert view.live_world(7) is None
        policy = OraclePolicy(env)
        while view.depth == 1:  # until the lead delegates
            obs, _, terminated, truncated, info = env.step(policy(obs, info))
            assert not (terminated or truncated)
        child = view.active_role
        assert child is not None and child != lead
        delegation = view.history(lead)[-1]["tool_calls"][0]["function"]
        assert view.assignment(child) in delegation["arguments"]
        assert view.assignment(child) not in ("", task.instruction.strip())
        assert view.turns == info["turn"] and view.clock == info["clock"]
        assert view.assignment("no such role") == ""
    finally:
        env.close()


def test_middleware_hook_installs_once_outermost() -> None:
    env = gym.make(ENV_ID)
    try:
        control = runtime_control(env)
        calls: list[str] = []

        def first(call, role, call_next):
            calls.append("first")
            return call_next(call)

        def second(call, role, call_next):
            calls.append("second")
            return call_next(call)

        control.add_middleware(first)
        control.add_middleware(second)
        control.add_middleware(first)
        assert env.unwrapped.runtime.middlewares == [second, first]
    finally:
        env.close()
