"""Coordination topologies: re-shaping specs, peer teams (vote, merge), hybrid notes, rounds."""

from __future__ import annotations

import pickle

import gymnasium as gym
import pytest
from nexgym.envs.domains import get_domain

import nexgym
from nexgym.error import ConfigError, UnknownNameError
from nexgym.policies import OraclePolicy
from nexgym.registry import load_catalog_spec
from nexgym.spec import HierarchySpec, load_spec
from nexgym.tools import ToolCall
from nexgym.topology import PEER_TOPOLOGIES, apply_topology, build_runtime, prepare_spec, spec_tools
from nexgym.topology.peers import BRIEFINGS, PeerRuntime

TOPOLOGIES = ("single", "independent", "centralized", "decentralized", "hybrid")
FILE_OPS = load_catalog_spec("FileOps")
# files task 0: "In /etc/app/cache.conf, set pool_size to 43 and leave every other line unchanged."
SET_POOL = ToolCall(
    "replace_in_file",
    {"path": "/etc/app/cache.conf", "old": "pool_size = 21", "new": "pool_size = 43"},
).to_text()
WRECK = ToolCall("delete_file", {"path": "/etc/app/cache.conf"}).to_text()
DONE = ToolCall("finish", {"answer": "Done."}).to_text()


# -- apply_topology -------------------------------------------------------------------


def test_shapes_keep_the_domain_and_every_tool() -> None:
    tools = set(spec_tools(FILE_OPS))
    single = apply_topology(FILE_OPS, "single")
    assert single.agent_names == ("agent",) and set(single.agents[0].tools) == tools
    for topology in PEER_TOPOLOGIES:
        spec = apply_topology(FILE_OPS, topology, n=4, debate_rounds=2)
        assert spec.agent_names == ("team", "peer_0", "peer_1", "peer_2", "peer_3")
        assert all(set(spec.agent(p).tools) == tools for p in spec.agent_names[1:])
        assert spec.topology_params.n == 4 and spec.topology_params.debate_rounds == 2
    central = apply_topology(FILE_OPS, "centralized", n=2)
    # FileOps has two tool holders: their groups become the workers' tools
    assert [central.agent(w).tools for w in ("worker_0", "worker_1")] == [
        FILE_OPS.agent("reader").tools,
        FILE_OPS.agent("editor").tools,
    ]
    assert central.topology_params.rounds == 2
    three = apply_topology(FILE_OPS, "hybrid", n=3)
    chunks = [three.agent(f"worker_{i}").tools for i in range(3)]
    assert [len(c) for c in chunks] == [4, 3, 3] and set().union(*chunks) == tools
    assert all(spec.domain == "files" for spec in (single, central, three))


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_applying_twice_changes_nothing(topology: str) -> None:
    once = apply_topology(FILE_OPS, topology)
    assert apply_topology(once, topology) == once
    assert load_spec(once.to_yaml()) == once  # YAML round trip


def test_tree_returns_the_spec_as_written() -> None:
    assert apply_topology(FILE_OPS, "tree") is FILE_OPS


def test_bad_topologies_and_parameters() -> None:
    with pytest.raises(UnknownNameError, match="decentralised"):
        apply_topology(FILE_OPS, "decentralised")
    with pytest.raises(ConfigError, match="at most 10 workers"):
        apply_topology(FILE_OPS, "centralized", n=11)
    with pytest.raises(ConfigError, match="topology_params"):
        apply_topology(FILE_OPS, "independent", n=0)


def test_a_tree_labelled_decentralized_is_reshaped() -> None:
    data = FILE_OPS.to_dict() | {"topology": "decentralized", "topology_params": {"n": 2}}
    spec = prepare_spec(load_spec(data))
    assert spec.agent_names == ("team", "peer_0", "peer_1")


def test_a_peer_runtime_refuses_a_tree() -> None:
    data = load_catalog_spec("FileDeepTree").to_dict() | {"topology": "independent"}
    with pytest.raises(ConfigError, match="apply_topology"):
        build_runtime(HierarchySpec.from_dict(data), get_domain("files"))


# -- peer teams: the root briefs the peers and combines their work ----------------------


def ask(peer: str, task: str = "Set pool_size to 43 in /etc/app/cache.conf") -> str:
    return ToolCall(peer, {"task": task}).to_text()


def run_parallel(env: nexgym.pz.NexParallelEnv, scripts: dict[str, list[str]]) -> dict:
    _, infos = env.reset(options={"task_seed": 0})
    while env.agents:
        actions = {a: scripts[a].pop(0) for a in env.agents if infos[a]["acting"]}
        *_, infos = env.step(actions)
    return infos


PEERS = {"peer_0": [WRECK, DONE], "peer_1": [SET_POOL, DONE], "peer_2": [SET_POOL, DONE]}


def briefed(*combination: str) -> dict[str, list[str]]:
    """The team asks each peer once, then combines and answers; each peer's script as above."""
    team = [ask("peer_0"), ask("peer_1"), ask("peer_2"), *combination, DONE]
    return {"team": team, **{p: list(v) for p, v in PEERS.items()}}


def test_decentralized_moderator_chooses_the_majoritys_world() -> None:
    env = nexgym.pz.parallel_env(
        "nex/FileOps-v0", topology="decentralized", topology_params={"debate_rounds": 0}
    )
    pick = ToolCall("select_output", {"peer": "peer_1"}).to_text()
    infos = run_parallel(env, briefed(pick))
    runtime = env.runtime
    assert isinstance(runtime, PeerRuntime)
    assert infos["team"]["success"]
    assert runtime.combination == {
        "rule": "select",
        "winner": "peer_1",
        "agreeing": 2,
        "voters": 3,
        "peers_called": 3,
        "peers_solved": 2,
    }
    # the moderator saw each peer's answer with the changes it made on its own world
    seen = [m["content"] for m in runtime.history("team") if m["role"] == "tool"]
    assert "Changes peer_0 made on its copy of the world: 1\n1. delete_file(" in seen[0]
    infos = run_parallel(env, briefed(ToolCall("select_output", {"peer": "peer_0"}).to_text()))
    assert not infos["team"]["success"]  # the wrecked world was chosen


def test_independent_unchecked_merge_carries_one_peers_wrong_change() -> None:
    env = nexgym.pz.parallel_env("nex/FileOps-v0", topology="independent")
    merge_all = ToolCall("merge_changes", {"peers": ["peer_0", "peer_1", "peer_2"]}).to_text()
    infos = run_parallel(env, briefed(merge_all))
    combination = env.runtime.combination
    # the delete lands first; the replace then fails on the merged world
    assert (combination["merged_changes"], combination["failed_changes"]) == (2, 1)
    assert not infos["peer_1"]["success"]
    merged_report = [m for m in env.runtime.history("team") if m["role"] == "tool"][-1]
    assert "peer_1: 0 change(s) applied, 1 failed" in merged_report["content"]
    checked = ToolCall("merge_changes", {"peers": ["peer_2", "peer_1"]}).to_text()
    infos = run_parallel(env, briefed(checked))
    assert infos["team"]["success"] and env.runtime.combination["merged_changes"] == 1


def test_finishing_without_combining_keeps_the_team_world_untouched() -> None:
    for topology in PEER_TOPOLOGIES:
        env = nexgym.pz.parallel_env("nex/FileOps-v0", topology=topology)
        scripts = briefed()
        scripts["peer_0"] = [SET_POOL, DONE]
        infos = run_parallel(env, scripts)
        assert not infos["team"]["success"]
        assert env.runtime.combination["peers_solved"] == 3  # each peer alone had it right


def test_combination_needs_peers_that_worked() -> None:
    env = nexgym.pz.env("nex/FileOps-v0", topology="independent")
    env.reset(options={"task_seed": 0})
    env.step({"text": ToolCall("merge_changes", {"peers": ["peer_1"]}).to_text()})
    assert "peer_1 has not worked yet" in env.observe("team")["text"]
    env.step({"text": ToolCall("merge_changes", {"peers": []}).to_text()})
    assert "no peers listed" in env.observe("team")["text"]
    env.step({"text": ToolCall("merge_changes", {"peers": ["peer_7"]}).to_text()})
    assert "Invalid action: expected peers among" in env.observe("team")["text"]
    env.step({"text": ToolCall("select_output", {"peer": "peer_1"}).to_text()})
    assert "not one of your tools" in env.observe("team")["text"]  # a decentralized tool


def test_peers_are_briefed_a_few_times_plus_one_call_per_debate_round() -> None:
    independent = nexgym.pz.env("nex/FileOps-v0", topology="independent")
    independent.reset(options={"task_seed": 0})
    for _ in range(BRIEFINGS):
        independent.step({"text": ask("peer_0")})
        independent.step({"text": DONE})
    independent.step({"text": ask("peer_0")})
    assert (
        f"called {BRIEFINGS} time(s) ({BRIEFINGS} briefings)" in independent.observe("team")["text"]
    )
    env = nexgym.pz.env(
        "nex/FileOps-v0", topology="decentralized", topology_params={"debate_rounds": 1}
    )
    env.reset(options={"task_seed": 0})
    env.step({"text": ask("peer_0")})
    env.step({"text": SET_POOL})
    env.step({"text": DONE})
    env.step({"text": ask("peer_0", "peer_1 says the file is fine; check yours")})
    assert env.agent_selection == "peer_0"
    # the second call continues on peer_0's own world: its change is still there
    env.step({"text": ToolCall("read_file", {"path": "/etc/app/cache.conf"}).to_text()})
    assert "pool_size = 43" in env.observe("peer_0")["text"]
    env.step({"text": DONE})
    for _ in range(BRIEFINGS - 1):
        env.step({"text": ask("peer_0")})
        env.step({"text": DONE})
    env.step({"text": ask("peer_0")})
    assert f"{BRIEFINGS} briefings and 1 debate round(s)" in env.observe("team")["text"]


# -- hybrid and rounds ----------------------------------------------------------------


def test_hybrid_workers_message_each_other() -> None:
    env = nexgym.pz.env("nex/FileOps-v0", topology="hybrid", topology_params={"n": 2})
    env.reset(options={"task_seed": 0})
    assert "message" in env.runtime.tool_names("worker_0")
    assert "message" not in env.runtime.tool_names("orchestrator")
    env.step({"text": ToolCall("worker_0", {"task": "look around"}).to_text()})
    env.step({"text": ToolCall("message", {"to": "worker_9", "text": "hi"}).to_text()})
    assert "'to' must be one of worker_1" in env.observe("worker_0")["text"]
    env.step(
        {"text": ToolCall("message", {"to": "worker_1", "text": "config is in /etc/app"}).to_text()}
    )
    env.step({"text": DONE})
    env.step({"text": ToolCall("worker_1", {"task": "set pool_size"}).to_text()})
    assert "Message from worker_0: config is in /etc/app" in env.observe("worker_1")["text"]
    assert [m.kind for m in env.runtime.messages] == ["task", "note", "result", "task"]


def test_rounds_limit_stops_reassigning_one_subtask() -> None:
    env = nexgym.pz.env("nex/FileOps-v0", topology="centralized", topology_params={"rounds": 1})
    env.reset(options={"task_seed": 0})
    assign = {"text": ToolCall("worker_1", {"task": "set pool_size to 43"}).to_text()}
    env.step(assign)
    env.step({"text": DONE})
    env.step(assign)
    assert "the rounds limit" in env.observe("orchestrator")["text"]
    env.step({"text": ToolCall("worker_1", {"task": "set pool_size to 43, really"}).to_text()})
    assert env.agent_selection == "worker_1"  # another sub-task is fine


# -- the oracle and the Gymnasium view ------------------------------------------------


def _sample_envs() -> list[str]:
    chosen: dict[str, str] = {}
    for env_id in nexgym.registry.representative_envs():
        spec = load_catalog_spec(env_id)
        if spec.domain not in ("gitrepo", "clock"):  # real repos are slow; clocks move
            chosen.setdefault(spec.domain, env_id)
    return sorted(chosen.values())


@pytest.mark.parametrize("topology", TOPOLOGIES)
@pytest.mark.parametrize("env_id", _sample_envs())
def test_oracle_solves_every_topology(env_id: str, topology: str) -> None:
    tools = len(spec_tools(load_catalog_spec(env_id)))
    params = {"n": min(3, tools)} if topology in ("centralized", "hybrid") else {}
    env = nexgym.pz.parallel_env(env_id, topology=topology, topology_params=params, difficulty=2)
    oracle = OraclePolicy(env)
    for seed in range(2):
        observations, infos = env.reset(seed=seed)
        while env.agents:
            acting = [a for a in env.agents if infos[a]["acting"]]
            actions = {a: oracle(observations[a], infos[a]) for a in acting}
            observations, _, terminations, *_, infos = env.step(actions)
        assert all(terminations.values())
        assert all(info["success"] for info in infos.values()), (seed, infos)
    env.close()


def test_peer_team_on_real_git_repositories() -> None:
    env = nexgym.pz.env(
        "nex/GitSolo-v0", topology="decentralized", topology_params={"n": 2, "debate_rounds": 1}
    )
    env.reset(seed=0)
    oracle = OraclePolicy(env)
    for _ in env.agent_iter():
        obs, _, terminated, truncated, info = env.last()
        env.step(None if terminated or truncated else oracle(obs, info))
    assert env.runtime.verdict is not None and env.runtime.verdict.solved
    env.close()


def test_gymnasium_make_takes_a_topology_and_pickles() -> None:
    env = gym.make("nex/FileOps-v0", topology="decentralized", topology_params={"n": 2})
    assert isinstance(env.unwrapped.runtime, PeerRuntime)
    obs, info = env.reset(seed=5)
    assert info["role"] == "team"  # control="root": the moderator
    oracle = OraclePolicy(env)
    obs, reward, terminated, truncated, info = env.step(oracle(obs, info))
    clone = pickle.loads(pickle.dumps(env))
    assert clone.unwrapped.runtime.turns == env.unwrapped.runtime.turns
    for copy in (env, clone):
        policy = OraclePolicy(copy)
        o, i = obs, info
        while True:
            o, reward, terminated, truncated, i = copy.step(policy(o, i))
            if terminated or truncated:
                break
        assert reward == pytest.approx(1.0)
    env.close()
    clone.close()
