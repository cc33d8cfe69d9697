"""Bring your own MCP server: tools from list_tools, tasks from exploration, real processes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from gymnasium.utils.env_checker import check_env

from nexgym.env import NexEnv
from nexgym.error import ConfigError, SpecError, ToolError
from nexgym.mcpdomain.servers import ServerPool
from nexgym.policies import OraclePolicy
from nexgym.spec import McpServerSpec, load_spec

HERE = Path(__file__).parent
KV = {"name": "store", "command": sys.executable, "args": [str(HERE / "kv_server.py")]}
KV_SPEC: dict[str, Any] = {
    "name": "KeyValueDesk",
    "domain": "mcp",
    "root": "keeper",
    "agents": [
        {"name": "keeper", "role": "You keep the store in order.", "sub_agents": ["clerk"]},
        {"name": "clerk", "role": "You read and write the store."},
    ],
    "mcp_servers": [{**KV, "agents": ["clerk"]}],
}
MISBEHAVING = str(HERE.parent / "mcp" / "misbehaving_server.py")


def running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def play(env: NexEnv, seed: int) -> tuple[float, list[str]]:
    obs, info = env.reset(seed=seed)
    oracle = OraclePolicy(env)
    total, actions, done = 0.0, [], False
    while not done:
        action = oracle(obs, info)
        actions.append(action)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        done = terminated or truncated
    return total, actions


@pytest.fixture(scope="module")
def kv_env() -> Any:
    env = NexEnv(KV_SPEC, control="all")
    yield env
    env.close()


def test_tools_are_discovered_and_offered_to_the_named_roles(kv_env: NexEnv) -> None:
    spec = kv_env.hierarchy
    assert spec.domain.startswith("mcp_")
    assert spec.agent("clerk").tools == ("get_value", "list_keys", "set_value")
    assert spec.agent("keeper").tools == ()
    tool = kv_env.domain.tool("set_value")
    assert tool.mutates and not kv_env.domain.tool("get_value").mutates  # readOnlyHint
    assert tool.parameters["required"] == ["key", "value"]
    kv_env.reset(seed=0)
    assert "set_value" in kv_env.runtime.tool_names("clerk")


def test_exploration_proposes_checkable_lookups_and_states(kv_env: NexEnv) -> None:
    kinds = {p.kind for p in kv_env.domain.proposals}
    assert kinds == {"lookup", "reach"}
    reach = next(p for p in kv_env.domain.proposals if p.kind == "reach")
    assert reach.plan[0].name == "set_value" and reach.probe.name == "get_value"
    assert reach.instruction.startswith("Change the state so that get_value(key=")
    lookups = {
        p.probe.describe(): p.expected for p in kv_env.domain.proposals if p.kind == "lookup"
    }
    assert lookups["get_value(key='color')"] == "green"  # the server's own answer
    assert lookups["list_keys()"] == "color, size"


def test_oracle_solves_both_kinds_and_doing_nothing_fails(kv_env: NexEnv) -> None:
    solved: dict[str, float] = {}
    for seed in range(12):
        kind = kv_env.domain.generate_task(seed).metadata["proposal"]
        if kind in solved:
            continue
        solved[kind], actions = play(kv_env, seed)
        assert any("set_value" in a for a in actions) == (kind == "reach")
    assert solved == {"lookup": 1.0, "reach": 1.0}
    seed = next(
        s for s in range(12) if kv_env.domain.generate_task(s).metadata["proposal"] == "reach"
    )
    kv_env.reset(seed=seed)
    _, reward, terminated, _, _ = kv_env.step('{"name": "finish", "arguments": {"answer": "done"}}')
    assert terminated and reward == 0.0


def test_each_task_starts_on_a_fresh_server(kv_env: NexEnv) -> None:
    kv_env.reset(seed=0)
    world = kv_env.runtime.backend.world(0)
    world.call("store", "set_value", {"key": "color", "value": "purple"})
    assert world.call("store", "get_value", {"key": "color"}) == "purple"
    kv_env.reset(seed=1)
    assert kv_env.runtime.backend.world(0).call("store", "get_value", {"key": "color"}) == "green"


def test_check_env_and_no_process_outlives_the_env() -> None:
    env = NexEnv(KV_SPEC, control="all")
    check_env(env, skip_render_check=True)
    play(env, 0)
    pids = env.domain.pool.pids
    assert running(pids)
    env.close()
    deadline = time.monotonic() + 10
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pids)


def test_third_party_time_server() -> None:
    time_server = {
        "name": "time",
        "command": sys.executable,
        "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
    }
    env = NexEnv(
        {
            "name": "ClockDesk",
            "domain": "mcp",
            "root": "clock_agent",
            "agents": [{"name": "clock_agent", "role": "You answer questions about time."}],
            "mcp_servers": [time_server],
        }
    )
    try:
        assert env.hierarchy.agent("clock_agent").tools == ("get_current_time", "convert_time")
        notes = " ".join(env.domain.notes)
        assert "get_current_time(timezone=" in notes and "answers change on their own" in notes
        assert env.domain.proposals
        assert all(p.probe.name == "convert_time" for p in env.domain.proposals)
        reward, actions = play(env, 0)
        assert reward == 1.0 and "convert_time" in actions[0]
    finally:
        env.close()


def test_bad_server_declarations() -> None:
    with pytest.raises(SpecError, match="expected exactly one of 'command'"):
        load_spec({**KV_SPEC, "mcp_servers": [{"name": "store"}]})
    with pytest.raises(
        SpecError, match=r"mcp_servers\[0\].agents\[0\]: no agent is called 'clark'"
    ):
        load_spec({**KV_SPEC, "mcp_servers": [{**KV, "agents": ["clark"]}]})
    agents = [{**KV_SPEC["agents"][0], "tools": ["read_file"]}, KV_SPEC["agents"][1]]
    with pytest.raises(SpecError, match=r"agents\[0\].tools: with domain 'mcp'"):
        load_spec({**KV_SPEC, "agents": agents})
    with pytest.raises(SpecError, match="domain: a spec with mcp_servers has domain 'mcp'"):
        load_spec({**KV_SPEC, "domain": "files"})
    nowhere = [{"name": "web", "url": "http://127.0.0.1:9/mcp"}]
    with pytest.raises(Exception, match=r"the MCP server 'web' at http://127\.0\.0\.1:9/mcp could"):
        NexEnv({**KV_SPEC, "mcp_servers": nowhere})
    with pytest.raises(ConfigError, match="expected an http:// or https:// URL"):
        NexEnv({**KV_SPEC, "mcp_servers": [{"name": "web", "url": "ftp://x"}]})
    missing = [{"name": "ghost", "command": "/nonexistent/mcp-server"}]
    with pytest.raises(Exception, match="the MCP server 'ghost' failed to start"):
        NexEnv({**KV_SPEC, "mcp_servers": missing})


def test_servers_that_hang_exit_or_send_garbage_become_tool_errors() -> None:
    server = McpServerSpec(name="bad", command=sys.executable, args=(MISBEHAVING,), timeout=2.0)
    pool = ServerPool((server,))
    try:
        assert pool.call("bad", "echo", {"mode": "ok"}) == "fine"
        for mode, message in [
            ("error", "something went wrong"),
            ("garbage", "echo on server bad failed"),
            ("exit", "echo on server bad failed"),
            ("hang", "did not answer within 2 s"),
        ]:
            start = time.monotonic()
            with pytest.raises(ToolError, match=message):
                pool.call("bad", "echo", {"mode": mode})
            assert time.monotonic() - start < 15
            assert pool.call("bad", "echo", {"mode": "ok"}) == "fine"  # restarted
    finally:
        pool.close()


def test_pettingzoo_view_of_a_server_spec(kv_env: NexEnv) -> None:
    import nexgym.pz

    aec = nexgym.pz.env(KV_SPEC)
    try:
        aec.reset(seed=0)
        assert aec.runtime.spec.domain == kv_env.hierarchy.domain  # bound once, reused
        oracle = OraclePolicy(aec)
        totals = dict.fromkeys(aec.possible_agents, 0.0)
        for agent in aec.agent_iter():
            obs, reward, terminated, truncated, info = aec.last()
            totals[agent] += reward
            aec.step(None if terminated or truncated else oracle(obs, info))
        assert totals["keeper"] > 0.9
    finally:
        aec.close()


def test_streamable_http_server_gives_lookup_tasks() -> None:
    import socket
    import subprocess

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(HERE / "kv_server.py"), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        spec = {**KV_SPEC, "mcp_servers": [{"name": "store", "url": url, "agents": ["clerk"]}]}
        env = NexEnv(spec, control="all")
        try:
            assert env.hierarchy.agent("clerk").tools == ("get_value", "list_keys", "set_value")
            assert {p.kind for p in env.domain.proposals} == {"lookup"}
            assert any("set_value: on a server reached by URL" in n for n in env.domain.notes)
            reward, _ = play(env, 0)
            assert reward == 1.0
        finally:
            env.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_server_that_lies_about_its_schemas_is_refused_by_name() -> None:
    from nexgym.error import ArgumentError
    from nexgym.mcpdomain.tools import ServerTool

    bad = {"type": "object", "properties": {"key": {"type": "nonsense"}}}
    with pytest.raises(ArgumentError, match="server 'kv' tool 'get': its input schema is not"):
        ServerTool("kv", "get", "get", "", bad, read_only=True)
    with pytest.raises(ArgumentError, match="expected an object input schema, got"):
        ServerTool("kv", "get", "get", "", {"type": "array"}, read_only=True)
    good = ServerTool("kv", "get", "get", "", {"type": "object", "required": ["key"]}, True)
    with pytest.raises(ArgumentError, match=r"invalid arguments for get: .*'key' is a required"):
        good.validate({})
    assert good.validate({"key": "x"}) == {"key": "x"}


def test_an_answer_that_states_the_current_time_is_a_clock() -> None:
    from datetime import UTC, datetime, timedelta

    from nexgym.mcpdomain.explore import shows_the_time

    now = datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC)
    clock = '{"timezone": "UTC", "datetime": "2026-06-01T12:00:04+00:00", "is_dst": false}'
    assert shows_the_time(clock, now)
    later = now + timedelta(hours=3)  # a fixed time converted is not a clock
    assert not shows_the_time(clock, later)
    assert not shows_the_time('{"key": "alpha", "value": 3}', now)
