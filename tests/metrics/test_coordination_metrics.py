"""Coordination metrics against hand-computed values, and records built from real runtimes."""

from __future__ import annotations

import math

import pytest

import nexgym
from nexgym.error import ConfigError
from nexgym.metrics import (
    EpisodeRecord,
    combination_loss,
    efficiency,
    episode_redundancy,
    error_amplification,
    mean_turns,
    message_density,
    overhead,
    peer_success_rate,
    record_episode,
    redundancy,
    success_rate,
    summarize,
    summary_table,
)
from nexgym.tools import ToolCall


def rec(topology: str, task: str, success: bool, turns: int, messages: int = 0, **outputs):
    return EpisodeRecord(
        topology,
        task,
        success,
        float(success),
        turns,
        messages,
        {role: frozenset(calls) for role, calls in outputs.items()},
    )


# Four tasks: the single agent solves 3 in 4+6+5+5 = 20 turns; the team solves 2 in
# 10+12+8+10 = 40 turns and sends 6+8+4+6 = 24 messages.
SINGLE = [
    rec("single", "a", True, 4),
    rec("single", "b", True, 6),
    rec("single", "c", False, 5),
    rec("single", "d", True, 5),
]
TEAM = [
    rec("centralized", "a", True, 10, 6, w0={"x", "y"}, w1={"y", "z"}),
    rec("centralized", "b", False, 12, 8, w0={"x"}, w1={"x"}),
    rec("centralized", "c", False, 8, 4, w0={"x"}, w1=set()),
    rec("centralized", "d", True, 10, 6),
]


def test_hand_computed_values() -> None:
    assert success_rate(TEAM) == 0.5 and success_rate(SINGLE) == 0.75
    assert mean_turns(TEAM) == 10.0 and mean_turns(SINGLE) == 5.0
    assert overhead(TEAM, SINGLE) == pytest.approx(100.0)  # 100 * (10 - 5) / 5
    assert efficiency(TEAM, SINGLE) == pytest.approx(0.25)  # 0.5 / (10 / 5)
    assert error_amplification(TEAM, SINGLE) == pytest.approx(2.0)  # 0.5 / 0.25
    assert message_density(TEAM) == pytest.approx(0.6)  # 24 / 40
    # per episode: a: |{y}|/|{x,y,z}| = 1/3; b: 1; c: one agent with calls -> 0; d: 0
    assert redundancy(TEAM) == pytest.approx((1 / 3 + 1 + 0 + 0) / 4)


def test_redundancy_of_three_agents_averages_the_pairs() -> None:
    record = rec("independent", "a", True, 9, a={"1", "2"}, b={"1", "2"}, c={"3"})
    # pairs: (a,b) = 1, (a,c) = 0, (b,c) = 0
    assert episode_redundancy(record) == pytest.approx(1 / 3)


def test_metrics_pair_the_same_tasks() -> None:
    extra = [*TEAM, rec("centralized", "zzz", False, 100, 50)]
    assert overhead(extra, SINGLE) == pytest.approx(100.0)  # task zzz has no baseline
    with pytest.raises(ConfigError, match="share some tasks"):
        overhead([rec("centralized", "q", True, 3)], SINGLE)
    with pytest.raises(ConfigError, match="at least one episode"):
        success_rate([])


def test_amplification_edge_cases() -> None:
    perfect = [rec("single", "a", True, 4)]
    assert math.isnan(error_amplification([rec("x", "a", True, 8)], perfect))
    assert math.isinf(error_amplification([rec("x", "a", False, 8)], perfect))
    assert error_amplification(SINGLE, SINGLE) == 1.0


def test_summarize_and_table() -> None:
    summary = summarize(TEAM, SINGLE)
    assert summary["episodes"] == 4.0 and summary["error_amplification"] == pytest.approx(2.0)
    table = summary_table(
        [
            {"topology": "centralized", **summary},
            {"topology": "x", "error_amplification": math.nan},
        ],
        ["topology", "success_rate", "overhead_pct", "error_amplification"],
    )
    lines = table.splitlines()
    assert lines[0] == "| topology | success_rate | overhead_pct | error_amplification |"
    assert lines[2] == "| centralized | 0.5 | 100 | 2 |"
    assert lines[3] == "| x |  |  | n/a |"


def test_record_of_a_scripted_episode() -> None:
    """FileOps task 0 by hand: lead delegates, editor edits and answers, lead answers."""
    env = nexgym.pz.env("nex/FileOps-v0")
    env.reset(options={"task_seed": 0})
    edit = ToolCall(
        "replace_in_file",
        {"path": "/etc/app/cache.conf", "old": "pool_size = 21", "new": "pool_size = 43"},
    )
    script = [
        ToolCall("editor", {"task": "set pool_size to 43"}),
        ToolCall("read_file", {"path": "/etc/app/cache.conf"}),  # not the editor's: invalid
        edit,
        ToolCall("finish", {"answer": "set"}),
        ToolCall("finish", {"answer": "done"}),
    ]
    for action in script:
        env.step({"text": action.to_text()})
    record = record_episode(env.runtime, topology="tree")
    assert record.task == f"files:{env.episode.task_seed}:1"
    assert record.success and record.score == 1.0
    assert record.turns == 5 == env.runtime.turns  # lead 2, editor 3 (one invalid)
    assert record.messages == 2  # the task to the editor and its answer back
    assert set(record.outputs) == {"editor"}
    assert len(record.outputs["editor"]) == 1
    assert record.extra["stop_reason"] == "finished"


def test_record_of_a_peer_team_counts_every_peer() -> None:
    env = nexgym.pz.parallel_env(
        "nex/FileOps-v0", topology="decentralized", topology_params={"n": 2, "debate_rounds": 1}
    )
    _, infos = env.reset(options={"task_seed": 0})
    oracle = nexgym.policies.OraclePolicy(env)
    observations = {a: {"text": ""} for a in env.agents}
    while env.agents:
        acting = [a for a in env.agents if infos[a]["acting"]]
        observations, _, _, _, infos = env.step(
            {a: oracle(observations[a], infos[a]) for a in acting}
        )
    record = record_episode(env.runtime)
    # the moderator: one briefing a peer (the edit's values are in the task), then
    # select_output and finish; each peer: the edit and a finish
    assert record.turns == 8 == env.runtime.turns
    assert record.messages == 4  # each peer called once, answering once
    assert record.topology == "decentralized" and record.success
    assert episode_redundancy(record) == 1.0  # both peers made the same call


def test_record_needs_a_finished_episode() -> None:
    env = nexgym.pz.env("nex/FileOps-v0")
    env.reset(seed=0)
    with pytest.raises(ConfigError, match="finished"):
        record_episode(env.runtime)


def peer_rec(success: bool, called: int, solved: int) -> EpisodeRecord:
    extra = {"peers_called": called, "peers_solved": solved}
    return EpisodeRecord("independent", "t", success, float(success), 5, 4, extra=extra)


def test_peer_success_and_combination_loss_by_hand() -> None:
    records = [
        peer_rec(True, 3, 3),  # all right, kept
        peer_rec(False, 3, 2),  # two right, thrown away: a loss
        peer_rec(False, 3, 0),  # nothing right to keep: not a loss
        peer_rec(False, 0, 0),  # no peer called: left out of both
    ]
    assert peer_success_rate(records) == pytest.approx(5 / 9)
    assert combination_loss(records) == pytest.approx(1 / 2)
    single = [rec("single", "t", True, 3)]
    assert math.isnan(peer_success_rate(single)) and math.isnan(combination_loss(single))


def test_a_merged_wrong_change_is_a_combination_loss() -> None:
    env = nexgym.pz.env("nex/FileOps-v0", topology="independent", topology_params={"n": 2})
    env.reset(options={"task_seed": 0})
    task = "In /etc/app/cache.conf, set pool_size to 43"
    wreck = ToolCall("delete_file", {"path": "/etc/app/cache.conf"})
    right = ToolCall(
        "replace_in_file",
        {"path": "/etc/app/cache.conf", "old": "pool_size = 21", "new": "pool_size = 43"},
    )
    done = ToolCall("finish", {"answer": "Done."})
    merge = ToolCall("merge_changes", {"peers": ["peer_0", "peer_1"]})
    script = [
        ToolCall("peer_0", {"task": task}), wreck, done,
        ToolCall("peer_1", {"task": task}), right, done,
        merge, done,
    ]  # fmt: skip
    for action in script:
        env.step({"text": action.to_text()})
    record = record_episode(env.runtime)
    assert not record.success
    assert (record.extra["peers_called"], record.extra["peers_solved"]) == (2, 1)
    assert peer_success_rate([record]) == 0.5 and combination_loss([record]) == 1.0
