"""Peer teams under control="root": the learner is the aggregator, and what it does decides.

Peers act on the message their aggregator sent them: they are the default teammates
(:class:`~nexgym.policies.InstructedTeammate`), which read only that message and
their own tools' results.
"""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym
import pytest

import nexgym
from nexgym.policies import OraclePolicy, RandomPolicy
from nexgym.registry import load_catalog_spec
from nexgym.runtime.parsing import parse_action
from nexgym.tools import ToolCall

_CALL = re.compile(r"^\s*(?:\d+\.\s*)?call (\w+\(.*\))\s*$", re.MULTILINE)
# FileOps task 0: "In /etc/app/cache.conf, set pool_size to 43 ..."
SET_POOL_99 = ToolCall(
    "replace_in_file",
    {"path": "/etc/app/cache.conf", "old": "pool_size = 21", "new": "pool_size = 99"},
).describe()
SET_POOL_43 = SET_POOL_99.replace("99", "43")


def briefed_env(env_id: str, **kwargs: Any) -> gym.Env:
    """The env with its default peers: instructed teammates that act on their message."""
    return gym.make(env_id, **kwargs)


def ask_then(env: gym.Env, messages: dict[str, str], combine: ToolCall) -> list[str]:
    """The aggregator's script: one message per peer, a combination, then an answer."""
    calls = [ToolCall(peer, {"task": text}) for peer, text in messages.items()]
    return [c.to_text() for c in [*calls, combine, ToolCall("finish", {"answer": "Done."})]]


def play(env: gym.Env, policy: Any, seed: int) -> bool:
    obs, info = env.reset(seed=seed)
    while True:
        obs, _, terminated, truncated, info = env.step(policy(obs, info))
        if terminated or truncated:
            return bool(info["success"])


class DoNothing:
    def __init__(self, env: Any) -> None:
        del env

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        return ToolCall("finish", {"answer": "Done."}).to_text()


class TaskBlind:
    """Never reads the task: asks every peer with an empty message, keeps all, relays."""

    def __init__(self, env: Any) -> None:
        self.env = env

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        runtime = self.env.unwrapped.runtime
        waiting = [p for p in runtime.peers if p.calls == 0]
        if waiting:
            return ToolCall(waiting[0].role, {"task": ""}).to_text()
        if not runtime.combination_made:
            if runtime.spec.topology == "independent":
                names = [p.role for p in runtime.peers]
                return ToolCall("merge_changes", {"peers": names}).to_text()
            return ToolCall("select_output", {"peer": runtime.peers[0].role}).to_text()
        answer = next((p.answer for p in runtime.peers if p.answered), "Done.")
        return ToolCall("finish", {"answer": answer}).to_text()


def _peer_sample() -> list[str]:
    """A few catalog envs of each peer topology, across domains."""
    chosen: dict[tuple[str, str], str] = {}
    for env_id in nexgym.list_envs():
        spec = load_catalog_spec(env_id)
        if spec.topology in ("independent", "decentralized"):
            chosen.setdefault((spec.topology, spec.domain), env_id)
    return sorted(chosen.values())[::3]


PEER_SAMPLE = _peer_sample()
SEEDS = range(4)


def test_the_sample_covers_both_peer_topologies() -> None:
    kinds = {load_catalog_spec(e).topology for e in PEER_SAMPLE}
    assert kinds == {"independent", "decentralized"} and len(PEER_SAMPLE) >= 6


@pytest.mark.parametrize("env_id", PEER_SAMPLE)
def test_only_the_aggregator_that_briefs_and_combines_solves(env_id: str) -> None:
    env = briefed_env(env_id)
    assert env.unwrapped.runtime.lead_role == load_catalog_spec(env_id).root
    assert all(play(env, OraclePolicy(env), seed) for seed in SEEDS)
    for blind in (DoNothing(env), RandomPolicy(env), TaskBlind(env)):
        assert not any(play(env, blind, seed) for seed in SEEDS), type(blind).__name__
    env.close()


@pytest.mark.parametrize("env_id", PEER_SAMPLE)
def test_with_oracle_peers_doing_nothing_still_fails(env_id: str) -> None:
    """With plan-reading peers (today's default) the combination step alone decides."""
    env = gym.make(env_id)
    assert all(play(env, OraclePolicy(env), seed) for seed in SEEDS)
    assert not any(play(env, DoNothing(env), seed) for seed in SEEDS)
    env.close()


@pytest.mark.parametrize("topology", ["independent", "decentralized"])
def test_a_wrong_instruction_to_the_peers_gives_a_wrong_world(topology: str) -> None:
    env = briefed_env("nex/FileOps-v0", topology=topology, topology_params={"n": 2})
    combine = (
        ToolCall("merge_changes", {"peers": ["peer_0"]})
        if topology == "independent"
        else ToolCall("select_output", {"peer": "peer_0"})
    )
    for told, solved in ((SET_POOL_99, False), (SET_POOL_43, True)):
        messages = {"peer_0": f"Please:\n1. call {told}", "peer_1": f"call {told}"}
        script = ask_then(env, messages, combine)
        env.reset(options={"task_seed": 0})  # the files task that sets pool_size to 43
        for action in script:
            *_, terminated, _, info = env.step(action)
        assert terminated and info["success"] is solved
        config = env.unwrapped.runtime.backend.worlds[0].files["/etc/app/cache.conf"]
        assert ("pool_size = 99" in config) is not solved
    env.close()


def test_control_all_gives_every_role_to_the_policy() -> None:
    env = gym.make("nex/FileOps-v0", topology="independent", control="all")
    assert env.unwrapped.teammates == {}
    obs, info = env.reset(seed=0)
    roles = []
    oracle = OraclePolicy(env)
    while True:
        roles.append(info["role"])
        obs, reward, terminated, truncated, info = env.step(oracle(obs, info))
        if terminated or truncated:
            break
    assert reward == pytest.approx(1.0)
    assert set(roles) == {"team", "peer_0", "peer_1", "peer_2"}


def test_parse_action_reads_the_messages_calls() -> None:
    """The teammate above runs calls as the runtime parses them (a guard on the double)."""
    parsed = parse_action(_CALL.findall(f"Please:\n1. call {SET_POOL_99}\n")[0])
    assert isinstance(parsed, ToolCall) and parsed.arguments["new"] == "pool_size = 99"


def test_the_oracle_root_answers_only_what_a_peer_said() -> None:
    from nexgym.policies.aggregator import team_answer

    env = gym.make("nex/AgencyEmailCommittee-v0")
    env.reset(options={"task_seed": 1})  # the email task whose answer is 452
    runtime = env.unwrapped.runtime
    assert runtime.task.answer == "452"
    peer = runtime.peers[0]
    peer.answer = "Done. Results:\n1. search_emails: found 452 in the invoice"
    assert team_answer(runtime, peer) == "452"  # stated in the report
    peer.answer = "It is 17."
    assert team_answer(runtime, peer) == "It is 17."  # relayed, not corrected
    assert team_answer(runtime, None) == "Done."
    env.close()
