"""The oracle's play as the root of a peer team: brief the peers, combine, answer.

What the scripted aggregator (``independent``) or moderator (``decentralized``) of
:mod:`nexgym.topology.peers` does, as :class:`~nexgym.policies.OraclePolicy` plays it.
It says only what it has observed: each peer gets the task's instruction, debate
messages quote the peers' answers, and the team's answer is one a peer gave.

* independent: call every peer once, then merge every peer's changes without
  cross-checking (the paper's aggregator), then answer with the first peer's answer.
* decentralized: call every peer, then for each debate round call each again with the
  others' latest answers, then select the output (answer and changes) most peers share,
  ties to the lowest-numbered peer, and answer with its answer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from nexgym.tools import ToolCall
from nexgym.topology.peers import normalize_answer

__all__ = ["aggregator_call", "debate_message", "team_answer"]


def aggregator_call(runtime: Any) -> ToolCall:
    """The next call of the root of a peer team (a :class:`~nexgym.topology.peers.PeerRuntime`)."""
    peers = runtime.peers
    assert runtime.task is not None  # called during an episode
    instruction = runtime.task.instruction
    fewest = min(peers, key=lambda p: (p.calls, p.index))
    if fewest.calls < runtime.calls_per_peer:
        message = instruction if fewest.calls == 0 else debate_message(runtime, fewest)
        return ToolCall(fewest.role, {"task": message})
    answered = [p for p in peers if p.answered]
    tool = runtime.combine_tool.name
    if runtime.spec.topology == "independent":
        if not runtime.combination_made:
            return ToolCall(tool, {"peers": [p.role for p in peers]})
        first = answered[0] if answered else None
    else:
        outputs = {p.index: runtime.output(p) for p in answered}
        votes = Counter(outputs.values())
        best = max(votes.values(), default=0)
        winner = min((i for i, out in outputs.items() if votes[out] == best), default=None)
        first = None if winner is None else peers[winner]
        if first is not None and not runtime.combination_made:
            return ToolCall(tool, {"peer": first.role})
    return ToolCall("finish", {"answer": team_answer(runtime, first)})


def team_answer(runtime: Any, peer: Any) -> str:
    """The answer ``peer`` gave, in the task's own words when it contains the expected one.

    A peer may answer with a report around the answer; the expected answer is used only
    when the report states it, so the root still says nothing it has not seen.
    """
    said = peer.answer if peer is not None and peer.answer else ""
    expected = runtime.task.answer
    if expected and normalize_answer(expected) in normalize_answer(said):
        return str(expected)
    return said or "Done."


def debate_message(runtime: Any, peer: Any) -> str:
    """A debate round's message to ``peer``: the task and every peer's latest answer."""
    lines = [
        f"- {other.role}: {other.answer if other.answered else '(no answer)'}"
        for other in runtime.peers
        if other is not peer
    ]
    mine = peer.answer if peer.answered else "(none yet)"
    return (
        f"{runtime.task.instruction}\n\nDebate round {peer.calls} of "
        f"{runtime.calls_per_peer - 1}. Your peers' latest answers:\n" + "\n".join(lines) + "\n"
        f"Your latest answer: {mine}\nCompare them with your own work, fix your work if "
        "needed, then answer."
    )
