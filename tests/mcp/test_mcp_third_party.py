"""Domains whose tools are served by real third-party MCP servers, run as they are."""

from __future__ import annotations

import shutil

import gymnasium as gym
import pytest

pytest.importorskip("mcp")
pytest.importorskip("mcp_server_git")
pytest.importorskip("mcp_server_time")
pytest.importorskip("mcp_server_fetch")

from nexgym.policies import OraclePolicy
from nexgym.registry import NONDETERMINISTIC_DOMAINS
from nexgym.tools import ToolCall

pytestmark = pytest.mark.mcp

ENVS = {
    "gitrepo": "nex/GitMaintainers-v0",
    "clock": "nex/ClockDesk-v0",
    "webresearch": "nex/WebResearchDesk-v0",
}
SERVERS = {
    "gitrepo": "mcp-server-git",
    "clock": "mcp-server-time",
    "webresearch": "mcp-server-fetch",
}


@pytest.fixture(scope="module", params=sorted(ENVS))
def remote(request):
    if request.param == "gitrepo" and shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = gym.make(ENVS[request.param], backend="mcp", difficulty=2)
    yield request.param, env
    env.close()


def episode(env, task_seed: int) -> tuple[list, float]:
    obs, info = env.reset(seed=0, options={"task_seed": task_seed})
    policy = OraclePolicy(env)
    steps: list = [obs]
    reward = 0.0
    for _ in range(80):
        action = policy(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((action, obs, reward, terminated, truncated))
        if terminated or truncated:
            break
    return steps, float(reward)


def test_oracle_episodes_succeed_through_the_real_server(remote):
    name, env = remote
    backend = env.unwrapped.runtime.backend
    for task_seed in (3, 4):
        _, reward = episode(env, task_seed)
        assert reward == pytest.approx(1.0)
    assert backend.server.name == SERVERS[name]
    assert backend.starts == 1  # one server process, reused across resets
    records = env.unwrapped.runtime.tool_log
    assert records and all(r.ok for r in records)


def test_domain_tools_mirror_the_servers_schemas(remote):
    name, env = remote
    episode(env, 3)  # the server starts at the first tool call; this test may run first
    served = {t.name: t.input_schema for t in env.unwrapped.runtime.backend._connection.tools}
    for tool in env.unwrapped.domain.tools:
        assert tool.name in served, f"{SERVERS[name]} has no tool {tool.name}"
        theirs = served[tool.name]
        assert set(tool.parameters["properties"]) <= set(theirs["properties"])
        # Whatever the server requires, the env supplies (git's repo_path) or the agent must.
        added = {"repo_path"} if name == "gitrepo" else set()
        assert set(theirs.get("required", [])) - added <= set(tool.parameters.get("required", []))


def test_same_trajectory_as_inproc_where_the_domain_is_deterministic(remote):
    name, env = remote
    if name in NONDETERMINISTIC_DOMAINS:
        assert env.unwrapped.spec is None or env.spec.nondeterministic
        pytest.skip(f"{name} answers from the real clock")
    local = gym.make(ENVS[name], backend="inproc", difficulty=2)
    try:
        expected, _ = episode(local, 5)
        got, _ = episode(env, 5)
    finally:
        local.close()
    assert got == expected


def test_gitrepo_errors_read_the_same_and_hide_the_temporary_folder(remote):
    name, env = remote
    if name != "gitrepo":
        pytest.skip("git only")
    env.reset(seed=0, options={"task_seed": 6})
    backend = env.unwrapped.runtime.backend
    outside = backend.call(ToolCall("git_add", {"files": ["../../etc/passwd"]}))
    assert not outside.ok and "outside the repository '.'" in outside.error
    missing = backend.call(ToolCall("git_show", {"revision": "no-such-ref"}))
    assert missing.error.startswith("Error executing tool git_show")
    assert env.unwrapped.runtime.task.world.path not in missing.error + outside.error


def test_webresearch_reaches_no_host_but_its_own_site(remote):
    name, env = remote
    if name != "webresearch":
        pytest.skip("webresearch only")
    env.reset(seed=0, options={"task_seed": 7})
    backend = env.unwrapped.runtime.backend
    for url in ("http://example.com/", "http://atlas.test.example.com/", "http://10.1.2.3/x"):
        result = backend.call(ToolCall("fetch", {"url": url}))
        assert not result.ok
        expected = f"Error executing tool fetch: Failed to fetch {url} - status code 503"
        assert result.error == expected
    page = backend.call(ToolCall("fetch", {"url": "http://atlas.test/index.md"}))
    assert page.ok and "Contents of http://atlas.test/index.md:\n# Company Atlas" in page.content


BRANCH_NAMES = ["HEAD", "-x", "a..b", "a.lock", "a b", "x/", ".hidden", "a@{1}", "a:b", "ok/name"]


def test_branch_names_git_refuses_are_refused_alike_on_both_backends(remote):
    name, env = remote
    if name != "gitrepo":
        pytest.skip("git only")
    inproc = gym.make(ENVS[name], backend="inproc", difficulty=2)
    try:
        for branch in BRANCH_NAMES:
            results = []
            for backend_env in (env, inproc):
                backend_env.reset(seed=0, options={"task_seed": 6})
                call = ToolCall("git_create_branch", {"branch_name": branch, "base_branch": None})
                results.append(backend_env.unwrapped.runtime.backend.call(call))
            mcp_result, inproc_result = results
            assert mcp_result == inproc_result, branch
            accepted = branch == "ok/name"
            assert mcp_result.ok is accepted, (branch, mcp_result)
            if not accepted:
                assert "is not a valid branch name" in mcp_result.error
        assert env.unwrapped.runtime.backend.starts == 1
    finally:
        inproc.close()
