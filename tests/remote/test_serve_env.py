"""``nexgym serve-env`` and ``gym.make(..., remote=URL)`` against a real server process."""

from __future__ import annotations

import json
from typing import Any

import gymnasium as gym
import httpx
import pytest
from gymnasium.utils.env_checker import check_env
from websockets.sync.client import connect

import nexgym
from nexgym.cli.main import main
from nexgym.policies import OraclePolicy
from nexgym.remote import RemoteError
from nexgym.remote.codec import jsonable

from .conftest import ENV_ID, health, wait_until

# invalid texts among the oracle's actions: the error paths must match too
NOISE = ["not a tool call", '{"name": "nope", "arguments": {}}']


def local_episode(seed: int, **kwargs: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """An oracle episode on a local env: the actions and what each step returned."""
    env = gym.make(ENV_ID, **kwargs)
    obs, info = env.reset(seed=seed)
    oracle = OraclePolicy(env)
    actions: list[str] = []
    outcomes: list[tuple[Any, ...]] = [(obs, jsonable(info))]
    done = False
    while not done:
        action = NOISE[len(actions)] if len(actions) < len(NOISE) else oracle(obs, info)
        actions.append(action)
        obs, reward, terminated, truncated, info = env.step(action)
        outcomes.append((obs, reward, terminated, truncated, jsonable(info)))
        done = terminated or truncated
    env.close()
    return actions, outcomes


def replay(env: gym.Env[Any, Any], seed: int, actions: list[str]) -> list[tuple[Any, ...]]:
    obs, info = env.reset(seed=seed)
    outcomes: list[tuple[Any, ...]] = [(obs, info)]
    for action in actions:
        outcomes.append(env.step(action))
    return outcomes


def test_same_spaces_check_env_and_same_trajectories(server: str) -> None:
    local = gym.make(ENV_ID)
    env = gym.make(ENV_ID, remote=server)
    try:
        assert env.observation_space == local.observation_space
        assert env.action_space == local.action_space
        check_env(env.unwrapped, skip_render_check=True)
        for seed in (0, 3):
            actions, expected = local_episode(seed)
            got = replay(env, seed, actions)
            assert got == expected
            assert got[-1][1] > 0.9 and got[-1][2]  # solved, terminated
    finally:
        env.close()
        local.close()
    assert wait_until(lambda: health(server)["sessions"] == 0, 5)


def test_sessions_are_isolated_and_take_client_kwargs(server: str) -> None:
    first = gym.make(ENV_ID, remote=server)
    second = gym.make(ENV_ID, remote=server, difficulty=2)
    try:
        plan_a, want_a = local_episode(1)
        plan_b, want_b = local_episode(2, difficulty=2)
        first.reset(seed=1)
        second.reset(seed=2)
        got_a: list[Any] = []
        got_b: list[Any] = []
        for i in range(max(len(plan_a), len(plan_b))):  # interleaved steps
            if i < len(plan_a):
                got_a.append(first.step(plan_a[i]))
            if i < len(plan_b):
                got_b.append(second.step(plan_b[i]))
        assert got_a == want_a[1:]
        assert got_b == want_b[1:]
    finally:
        first.close()
        second.close()


def test_bad_requests_get_json_errors(server: str) -> None:
    bad_json = httpx.post(f"{server}/v1/sessions", content=b"{not json")
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["message"].startswith("expected a JSON object")
    not_object = httpx.post(f"{server}/v1/sessions", json=[1, 2])
    assert not_object.status_code == 400 and "got list" in not_object.json()["error"]["message"]
    unknown = httpx.post(f"{server}/v1/sessions/feedbeef/step", json={"action": "x"})
    assert unknown.status_code == 404
    assert "unknown session 'feedbeef'" in unknown.json()["error"]["message"]
    refused = httpx.post(f"{server}/v1/sessions", json={"kwargs": {"backend": "mcp"}})
    assert refused.status_code == 400 and "['backend']" in refused.json()["error"]["message"]
    other = httpx.post(f"{server}/v1/sessions", json={"env_id": "nex/Other-v0"})
    assert other.status_code == 400 and "this server's" in other.json()["error"]["message"]
    huge = httpx.post(f"{server}/v1/sessions", content=b" " * 300_000)
    assert huge.status_code == 413 and "at most 262144 bytes" in huge.json()["error"]["message"]
    env = gym.make(ENV_ID, remote=server)
    try:
        with pytest.raises(gym.error.ResetNeeded, match="reset"):
            env.unwrapped.step("anything")
        env.reset(seed=0)
        with pytest.raises(RemoteError, match="at most 262144 bytes") as caught:
            env.step("x" * 300_000)
        assert caught.value.status == 413
        obs, reward, *_ = env.step("still fine")  # the session survived the refusals
        assert "Invalid action" in obs and reward < 0
    finally:
        env.close()
    with pytest.raises(RemoteError, match="is `nexgym serve-env` running there"):
        gym.make(ENV_ID, remote="http://127.0.0.1:9")


def test_session_limit_and_idle_expiry_free_vanished_clients(server: str) -> None:
    assert wait_until(lambda: health(server)["sessions"] == 0, 5)
    before = health(server)["expired"]
    # four clients open sessions and vanish without closing them
    sids = [httpx.post(f"{server}/v1/sessions", json={}).json()["session"] for _ in range(4)]
    assert len(set(sids)) == 4 and health(server)["sessions"] == 4
    full = httpx.post(f"{server}/v1/sessions", json={})
    assert full.status_code == 503
    assert "expected fewer than 4 open sessions" in full.json()["error"]["message"]
    assert wait_until(lambda: health(server)["sessions"] == 0, 10)
    assert health(server)["expired"] - before == 4
    gone = httpx.post(f"{server}/v1/sessions/{sids[0]}/reset", json={"seed": 0})
    assert gone.status_code == 404 and "expired after 1.5 s idle" in gone.json()["error"]["message"]
    env = gym.make(ENV_ID, remote=server)  # the slots are free again
    env.close()


def test_websocket_session(server: str) -> None:
    local = gym.make(ENV_ID)
    want_obs, _ = local.reset(seed=0)
    want_step = local.step("not a call")
    local.close()
    with connect(server.replace("http", "ws") + "/v1/ws") as socket:

        def ask(message: dict[str, Any]) -> dict[str, Any]:
            socket.send(json.dumps(message))
            answer: dict[str, Any] = json.loads(socket.recv())
            return answer

        early = ask({"op": "reset"})
        assert early["ok"] is False and "expected {'op': 'open'} first" in early["error"]["message"]
        assert ask({"op": "open"})["action_space"]["type"] == "UnicodeText"
        assert health(server)["sessions"] == 1
        assert ask({"op": "reset", "seed": 0})["observation"] == want_obs
        step = ask({"op": "step", "action": "not a call"})
        assert (step["observation"], step["reward"]) == want_step[:2]
        socket.send("{broken")
        assert "not JSON" in json.loads(socket.recv())["error"]["message"]
    # the connection closed without a 'close': the session goes with it
    assert wait_until(lambda: health(server)["sessions"] == 0, 5)


def test_serve_env_rejects_unknown_ids_and_bad_kwargs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve-env", "nex/FileOpz-v0"]) == 2
    assert "unknown env 'nex/FileOpz-v0'. Did you mean 'nex/FileOps-v0'" in capsys.readouterr().err
    assert main(["serve-env", ENV_ID, "--kwargs", "[1]"]) == 2
    assert "--kwargs: expected a JSON object" in capsys.readouterr().err
    assert ENV_ID in nexgym.list_envs()
