"""The oracle's play as the root of a peer team: brief the peers, combine, answer.

What the scripted aggregator (``independent``) or moderator (``decentralized``) of
:mod:`nexgym.topology.peers` does, as :class:`~nexgym.policies.OraclePolicy` plays it.
It says only what it has observed: each peer is briefed as the oracle briefs a
sub-agent (:meth:`~nexgym.policies.OraclePolicy.delegation`: the calls to make, with
values the root has seen; a look-up first when a value is not known yet), and the
team's answer is one a peer gave.

* independent: brief every peer until its own world holds the plan's work (or its
  briefings run out), then merge every peer's changes without cross-checking (the
  paper's aggregator), then answer with the first peer's answer.
* decentralized: brief every peer the same way, then select the output (answer and
  changes) most peers share, ties to the lowest-numbered peer, and answer with its
  answer. :func:`debate_message` is what a moderator shows a peer in a debate round.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from nexgym.runtime.view import current_task
from nexgym.tools import ToolCall
from nexgym.topology.peers import BRIEFINGS, Peer, PeerRuntime, normalize_answer

if TYPE_CHECKING:
    from nexgym.policies.oracle import OraclePolicy

__all__ = ["aggregator_call", "debate_message", "team_answer"]


def aggregator_call(runtime: PeerRuntime, oracle: OraclePolicy) -> ToolCall:
    """The next call of the root of a peer team (a :class:`~nexgym.topology.peers.PeerRuntime`).

    Args:
        runtime: the team's runtime.
        oracle: the :class:`~nexgym.policies.OraclePolicy` playing the root (it chooses
            the plan and phrases the briefings).
    """
    peers = runtime.peers
    root = runtime.spec.root
    plan = oracle.choose_plan(runtime)
    for peer in peers:
        remaining = oracle.remaining(runtime, plan, peer.index)
        if remaining and peer.calls < min(BRIEFINGS, runtime.calls_per_peer):
            return oracle.delegation(runtime, root, peer.role, remaining)
    answered = [p for p in peers if p.answered]
    # the oracle reads the plan: peers whose own world holds all of its work come first
    done = [p for p in answered if not oracle.remaining(runtime, plan, p.index)]
    tool = runtime.combine_tool.name
    if runtime.spec.topology == "independent":
        if not runtime.combination_made:
            return ToolCall(tool, {"peers": [p.role for p in peers]})
        first = _answering(runtime, done or answered)
    else:
        outputs = {p.index: runtime.output(p) for p in (done or answered)}
        votes = Counter(outputs.values())
        best = max(votes.values(), default=0)
        winner = min((i for i, out in outputs.items() if votes[out] == best), default=None)
        first = None if winner is None else peers[winner]
        if first is not None and not runtime.combination_made:
            return ToolCall(tool, {"peer": first.role})
    if first is not None and first in done and current_task(runtime).answer is not None:
        # as the oracle root of a tree answers: from the results the peers reported
        return ToolCall("finish", {"answer": current_task(runtime).answer})
    return ToolCall("finish", {"answer": team_answer(runtime, first)})


def _answering(runtime: PeerRuntime, peers: list[Peer]) -> Peer | None:
    """The first of ``peers`` whose answer states the expected one (else the first)."""
    for peer in peers:
        if team_answer(runtime, peer) == current_task(runtime).answer:
            return peer
    return peers[0] if peers else None


def team_answer(runtime: PeerRuntime, peer: Peer | None) -> str:
    """The answer ``peer`` gave, in the task's own words when it contains the expected one.

    A peer may answer with a report around the answer; the expected answer is used only
    when the report states it, so the root still says nothing it has not seen.
    """
    said = peer.answer if peer is not None and peer.answer else ""
    expected = current_task(runtime).answer
    if expected and normalize_answer(expected) in normalize_answer(said):
        return str(expected)
    return said or "Done."


def debate_message(runtime: PeerRuntime, peer: Peer) -> str:
    """A debate round's message to ``peer``: the task and every peer's latest answer."""
    lines = [
        f"- {other.role}: {other.answer if other.answered else '(no answer)'}"
        for other in runtime.peers
        if other is not peer
    ]
    mine = peer.answer if peer.answered else "(none yet)"
    return (
        f"{current_task(runtime).instruction}\n\nDebate round {peer.calls} of "
        f"{runtime.calls_per_peer - 1}. Your peers' latest answers:\n" + "\n".join(lines) + "\n"
        f"Your latest answer: {mine}\nCompare them with your own work, fix your work if "
        "needed, then answer."
    )
