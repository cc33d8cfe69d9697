"""``backend="mcp"``: same trajectories as in-process, one lazy server per env, faults."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time

import gymnasium as gym
import numpy as np
import psutil
import pytest

pytest.importorskip("mcp")

import nexgym
from nexgym.mcp.calllog import CallLog, read_call_log
from nexgym.policies import OraclePolicy
from nexgym.registry import NONDETERMINISTIC_DOMAINS, load_catalog_spec

pytestmark = pytest.mark.mcp


def children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()}


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False


def episode(env, seed: int, task_seed: int) -> tuple[list, float]:
    """An oracle episode: the list of (action, observation, reward, flags) and the last reward."""
    obs, info = env.reset(seed=seed, options={"task_seed": task_seed})
    policy = OraclePolicy(env)
    steps: list = [obs]
    reward = 0.0
    for _ in range(100):
        action = policy(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((action, obs, reward, terminated, truncated, info.get("score")))
        if terminated or truncated:
            break
    return steps, float(reward)


def sample_env_ids(k: int) -> list[str]:
    """A fixed sample of deterministic catalog envs, one per domain where possible."""
    by_domain: dict[str, str] = {}
    for env_id in nexgym.registry.representative_envs():
        domain = load_catalog_spec(env_id).domain
        if domain not in NONDETERMINISTIC_DOMAINS and domain not in {"gitrepo", "webresearch"}:
            by_domain.setdefault(domain, env_id)
    ids = sorted(by_domain.values())
    rng = np.random.default_rng(0)
    return [ids[int(i)] for i in rng.permutation(len(ids))[:k]]


@pytest.mark.parametrize("env_id", sample_env_ids(3))
def test_same_seed_same_trajectory_as_inproc(env_id):
    inproc = gym.make(env_id, backend="inproc")
    remote = gym.make(env_id, backend="mcp")
    try:
        for task_seed in (11, 12):  # two resets on one server process
            expected, reward = episode(inproc, 0, task_seed)
            got, _ = episode(remote, 0, task_seed)
            assert got == expected
            assert reward == pytest.approx(1.0)
        assert remote.unwrapped.runtime.backend.starts == 1
    finally:
        inproc.close()
        remote.close()


def test_server_starts_lazily_is_reused_and_close_ends_it():
    before = children()
    env = gym.make("nex/FileSolo-v0", backend="mcp")
    backend = env.unwrapped.runtime.backend
    assert backend.pid is None and children() == before  # nothing started yet
    env.reset(seed=0)
    pid = backend.pid
    assert pid is not None
    watchdog = [p.pid for p in psutil.Process(pid).children()]
    assert len(watchdog) == 1  # the server's watchdog (see nexgym.mcp.watchdog)
    assert children() - before == {pid, *watchdog}
    for seed in (1, 2, 3):
        episode(env, seed, seed)
    assert backend.pid == pid and backend.starts == 1
    env.close()
    assert gone(pid)
    assert children() - before == set()
    env.close()  # idempotent


def test_an_env_dropped_without_close_leaves_no_process():
    env = gym.make("nex/FileSolo-v0", backend="mcp")
    env.reset(seed=0)
    pid = env.unwrapped.runtime.backend.pid
    del env
    gc.collect()
    assert gone(pid)


@pytest.fixture(scope="module")
def solo_env():
    # Difficulty 3: several goals, so a plan has tool steps left after the first.
    env = gym.make("nex/FileSolo-v0", backend="mcp", difficulty=3)
    env.unwrapped.runtime.backend.timeout = 2.0
    yield env
    env.close()


def first_tool_step(env, task_seed: int):
    """Reset and take the first oracle step (a tool call); returns (obs, info, policy)."""
    obs, info = env.reset(seed=0, options={"task_seed": task_seed})
    policy = OraclePolicy(env)
    obs, _, _, _, info = env.step(policy(obs, info))
    return obs, info, policy


def finish(env, policy, obs, info) -> float:
    reward = 0.0
    for _ in range(50):
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        if terminated or truncated:
            break
    return float(reward)


def test_killed_server_mid_episode_gives_an_error_then_the_episode_goes_on(solo_env):
    backend = solo_env.unwrapped.runtime.backend
    obs, info, policy = first_tool_step(solo_env, 21)
    assert len(solo_env.unwrapped.runtime.task.plans[0]) > 2
    old = backend.pid
    os.kill(old, signal.SIGKILL)
    assert gone(old)
    obs, _, terminated, truncated, info = solo_env.step(policy(obs, info))
    assert "Error:" in obs and "restarted" in obs
    assert not terminated and not truncated
    assert backend.pid not in (None, old)
    # The journal replay restored the world: the oracle still solves the task.
    assert finish(solo_env, policy, obs, info) == pytest.approx(1.0)


def test_hung_server_times_out_and_is_replaced(solo_env):
    backend = solo_env.unwrapped.runtime.backend
    obs, info, policy = first_tool_step(solo_env, 22)
    hung = backend.pid
    os.kill(hung, signal.SIGSTOP)
    started = time.monotonic()
    obs, _, terminated, _, info = solo_env.step(policy(obs, info))
    assert time.monotonic() - started < backend.timeout + 15  # timeout, kill, restart
    assert "did not answer within 2 s" in obs and not terminated
    assert gone(hung)
    assert finish(solo_env, policy, obs, info) == pytest.approx(1.0)


def test_call_log_records_every_tool_call(solo_env, tmp_path):
    backend = solo_env.unwrapped.runtime.backend
    backend.call_log = CallLog(tmp_path / "calls.jsonl")
    try:
        obs, info = solo_env.reset(seed=0, options={"task_seed": 5})
        solo_env.step('read_file(path="/nope")')
        finish(solo_env, OraclePolicy(solo_env), obs, info)
    finally:
        backend.call_log = None
    log = solo_env.unwrapped.runtime.tool_log
    records = list(read_call_log(tmp_path / "calls.jsonl"))
    assert [r.tool for r in records] == [r.call.name for r in log]
    assert [r.ok for r in records] == [r.ok for r in log]
    assert records[0].error and "no such file" in records[0].error
    assert all(r.server == "nexgym-files" and r.latency > 0 for r in records)
    assert all(r.argument_bytes > 0 and r.result_bytes > 0 for r in records)


def test_options_come_from_the_environment(tmp_path, monkeypatch):
    from nexgym.envs.domains import get_domain

    from nexgym.error import ConfigError
    from nexgym.mcp.backend import MCPBackend

    monkeypatch.setenv("NEXGYM_CALL_LOG", str(tmp_path / "log.jsonl"))
    monkeypatch.setenv("NEXGYM_MCP_TIMEOUT", "7.5")
    backend = MCPBackend(get_domain("files"))
    assert backend.timeout == 7.5 and backend.call_log.path == tmp_path / "log.jsonl"
    assert backend.pid is None  # constructing a backend starts nothing
    monkeypatch.setenv("NEXGYM_MCP_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="NEXGYM_MCP_TIMEOUT"):
        MCPBackend(get_domain("files"))


def test_steps_inside_a_running_event_loop_still_work(solo_env):
    # A notebook or an async trainer already runs a loop in this thread: the backend
    # moves its own loop to a thread and goes on.
    async def play() -> float:
        obs, info = solo_env.reset(seed=0, options={"task_seed": 23})
        return finish(solo_env, OraclePolicy(solo_env), obs, info)

    assert asyncio.run(play()) == pytest.approx(1.0)
    assert solo_env.unwrapped.runtime.backend._connection._driver.thread is not None


def test_unsendable_arguments_are_one_observation_on_both_backends():
    action = '<tool_call>{"name": "read_file", "arguments": {"path": "/x\\udc80"}}</tool_call>'
    seen = {}
    for backend in ("inproc", "mcp"):
        env = gym.make("nex/FileSolo-v0", backend=backend)
        try:
            env.reset(seed=0)
            obs, reward, terminated, truncated, _ = env.step(action)
            seen[backend] = (obs, reward, terminated, truncated)
            if backend == "mcp":
                assert env.unwrapped.runtime.backend.starts == 1
        finally:
            env.close()
    assert seen["inproc"] == seen["mcp"]
    assert "lone surrogate" in seen["mcp"][0] and "nothing was run" in seen["mcp"][0]
