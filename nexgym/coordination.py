"""Peer topologies: several call stacks, one world each, and a combination step.

An ``independent`` or ``decentralized`` spec has a ``team`` root that never acts and
lists the peers as its sub-agents (:func:`nexgym.topology.apply_topology` builds one).
Every peer gets the task on its own copy of the world (``backend.fork``) and its own
call stack ("thread"). Peers are scheduled round-robin: :attr:`PeerRuntime.active_role`
is the next working peer after the one that acted last, and a *cycle* ends when the
order wraps around (or a debate round begins). Each peer has its own invalid-action
budget and turn limit; spending either ends that peer's work, not the episode.

When every peer has stopped:

* ``decentralized``: for each of ``debate_rounds`` rounds, every peer still in the
  game gets a new frame whose task shows its peers' latest answers, and may fix its
  work and answer again. Then the *majority output* wins: a peer's output is its
  answer (case and spacing ignored) together with the state changes it made (its
  successful calls of mutating tools, in order); the output most peers share wins,
  ties going to the group holding the lowest-numbered peer. The winner's world is
  kept (``backend.select``) and its answer is the team's.
* ``independent``: the outputs are combined without cross-checking: every distinct
  state change of every peer is replayed, peers in the order they finished, on a
  pristine copy of the world, and the team's answer is the first finisher's answer.
  One peer's wrong change thus reaches the team's world, as an unchecked synthesis
  passes on a wrong sub-answer.

The verifier then scores the kept world and the team's answer. ``combination`` records
what was decided.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nexgym.envs.domains.base import Domain, Task
from nexgym.error import ConfigError
from nexgym.runtime import Runtime
from nexgym.runtime.backends import ToolBackend
from nexgym.runtime.frames import EpisodeOver, Frame, ToolRecord
from nexgym.runtime.trace import Span
from nexgym.spec import AgentSpec, HierarchySpec

__all__ = ["Peer", "PeerRuntime", "peer_problems"]


@dataclass(slots=True)
class Peer:
    """One peer of a team: its call stack (empty while it waits) and its latest answer."""

    index: int
    agent: AgentSpec
    stack: list[Frame] = field(default_factory=list)
    answer: str | None = None
    answered: bool = False
    out: bool = False  # spent its invalid-action budget: it works no more this episode
    invalid: int = 0
    finish_order: int | None = None

    @property
    def role(self) -> str:
        """The peer's role name."""
        return self.agent.name


def peer_problems(spec: HierarchySpec) -> list[str]:
    """Why ``spec`` cannot run as a peer team (empty when it can)."""
    root = spec.agent(spec.root)
    fix = f"re-shape it with nexgym.topology.apply_topology(spec, {spec.topology!r})"
    problems = []
    if not root.sub_agents:
        problems.append(f"expected root {root.name!r} to list the peers as sub_agents; {fix}")
    if root.tools:
        problems.append(
            f"expected root {root.name!r} of a {spec.topology} team to hold no tools (it "
            f"never acts), got {list(root.tools)}; {fix}"
        )
    for peer in root.sub_agents:
        if spec.agent(peer).sub_agents:
            problems.append(f"expected peer {peer!r} to have no sub_agents; {fix}")
    return problems


class PeerRuntime(Runtime):
    """Executes an ``independent`` or ``decentralized`` team (see the module docstring).

    Built by ``Runtime(spec, ...)`` for those topologies; takes the same arguments.
    """

    def __init__(
        self,
        spec: HierarchySpec,
        domain: Domain,
        backend: ToolBackend | None = None,
        **kwargs: Any,
    ) -> None:
        problems = peer_problems(spec)
        if problems:
            raise ConfigError("; ".join(problems))
        super().__init__(spec, domain, backend, **kwargs)
        self.roles = spec.agent(spec.root).sub_agents
        self.lead_role = self.roles[0]

    def _clear(self) -> None:
        super()._clear()
        names = self.spec.agent(self.spec.root).sub_agents
        self.peers = [Peer(i, self.spec.agent(name)) for i, name in enumerate(names)]
        self._by_role = {p.role: p for p in self.peers}
        self._current = self.peers[0]
        self._cursor = 0
        self._finished = 0
        self._phase_changed = False
        self._team_span: Span | None = None
        #: debate rounds begun so far (decentralized).
        self.phase = 0
        #: how the outputs were combined (rule, winner or merge counts).
        self.combination: dict[str, Any] = {}

    def reset(self, seed: int, task: Task | None = None) -> Task:
        """Start an episode: every peer gets the task on its own copy of the world."""
        self._clear()
        self.task = task or self.domain.generate_task(seed, self.difficulty)
        self.backend.reset(self.task)
        # independent teams keep one pristine world to merge the peers' changes into
        merge_world = 1 if self.spec.topology == "independent" else 0
        self.backend.fork(len(self.peers) + merge_world)
        root = self.spec.root
        self._team_span = self.trace.open(
            "agent", root, root, self.clock, None, {"task": self.task.instruction}
        )
        for peer in self.peers:
            self._open(peer, self.task.instruction)
        self._use(self.peers[0])
        return self.task

    # -- scheduling -----------------------------------------------------------------

    @property
    def active_role(self) -> str | None:
        """The next working peer in round-robin order (None once the episode is over)."""
        if self.done:
            return None
        n = len(self.peers)
        for k in range(n):
            peer = self.peers[(self._cursor + k) % n]
            if peer.stack:
                return peer.role
        return None

    @property
    def ready_roles(self) -> tuple[str, ...]:
        """Every peer that is working now, in order."""
        if self.done:
            return ()
        return tuple(p.role for p in self.peers if p.stack)

    def answers_task(self, role: str) -> bool:
        """Every peer answers the task."""
        return role in self._by_role

    def world_of(self, role: str) -> int:
        """A peer's own world."""
        peer = self._by_role.get(role)
        return 0 if peer is None else peer.index

    def _top(self, role: str) -> Frame:
        return self._by_role[role].stack[-1]

    def _pending(self, role: str) -> str:
        return self._top(role).pending if role in self.ready_roles else ""

    def history(self, role: str) -> list[dict[str, Any]]:
        """The chat messages of ``role``'s current (or latest) invocation, OpenAI format."""
        peer = self._by_role.get(role)
        if peer is not None and peer.stack:
            return peer.stack[-1].messages
        return super().history(role)

    def _use(self, peer: Peer) -> None:
        self._current = peer
        self.stack = peer.stack
        self.world = peer.index

    def _select(self, role: str) -> None:
        peer = self._by_role.get(role)
        if peer is None or not peer.stack:
            raise EpisodeOver(f"expected one of the working peers {self.ready_roles}, got {role!r}")
        self._use(peer)

    def _after_act(self) -> None:
        later = [p for p in self.peers if p.stack and p.index > self._current.index]
        if later and not self._phase_changed:
            self._cursor = later[0].index
            return
        self._cursor = 0
        self.cycles += 1
        self._phase_changed = False

    # -- a peer's work ends ---------------------------------------------------------

    def _invalid(self, frame: Frame, text: Any, reason: str) -> Any:
        self._current.invalid += 1
        return super()._invalid(frame, text, reason)

    def _invalid_left(self, frame: Frame) -> int:
        return self.spec.limits.max_invalid_actions - self._current.invalid

    def _out_of_budget(self, frame: Frame) -> None:
        self._current.out = True
        self._close(self._current, "error_budget")

    def _lead_finished(self, frame: Frame, answer: str) -> None:
        peer = self._current
        peer.answer, peer.answered = answer, True
        if peer.finish_order is None:
            peer.finish_order = self._finished
            self._finished += 1
        self._close(peer, "finished")

    def _lead_out_of_turns(self, frame: Frame) -> None:
        self._close(self._current, "turn_limit")

    def _close(self, peer: Peer, outcome: str) -> None:
        while peer.stack:
            frame = peer.stack.pop()
            frame.span.end = self.clock
            frame.span.attributes.update(turns=frame.turns, outcome=outcome)
        if not self.done and not any(p.stack for p in self.peers):
            self._next_phase()

    def _next_phase(self) -> None:
        active = [p for p in self.peers if not p.out]
        rounds = self.spec.topology_params.debate_rounds
        if self.spec.topology == "decentralized" and self.phase < rounds and active:
            self.phase += 1
            for peer in active:
                for other in self.peers:
                    if other is not peer and other.answered:
                        self._log_message(other.role, peer.role, "answer")
                self._open(peer, self._debate_text(peer))
            self._phase_changed = True
            return
        if any(p.answered for p in self.peers):
            self._end("finished")
        else:
            self._end("error_budget" if all(p.out for p in self.peers) else "turn_limit")

    def _open(self, peer: Peer, message: str) -> None:
        self._use(peer)
        assert self._team_span is not None  # opened by reset()
        self._push(peer.agent, message, None, self._team_span.id)

    def _debate_text(self, peer: Peer) -> str:
        assert self.task is not None
        rounds = self.spec.topology_params.debate_rounds
        lines = [
            f"- {other.role}: {other.answer if other.answered else '(no answer)'}"
            for other in self.peers
            if other is not peer
        ]
        mine = peer.answer if peer.answered else "(none yet)"
        return (
            f"{self.task.instruction}\n\nDebate round {self.phase} of {rounds}. Your peers' "
            "latest answers:\n" + "\n".join(lines) + f"\nYour latest answer: {mine}\n"
            "Compare them with your own work, fix your work if needed, then call finish "
            "with your answer."
        )

    # -- combination ----------------------------------------------------------------

    def _end(self, reason: str) -> None:
        for peer in self.peers:
            while peer.stack:
                frame = peer.stack.pop()
                frame.span.end = self.clock
                frame.span.attributes.update(turns=frame.turns, outcome=reason)
        self.stack = []
        self.world = 0
        if self.spec.topology == "decentralized":
            self._vote()
        else:
            self._merge()
        if self._team_span is not None:
            self._team_span.end = self.clock
            self._team_span.attributes.update(outcome=reason, **self.combination)
        super()._end(reason)

    def changes(self, peer: Peer) -> tuple[str, ...]:
        """A peer's state changes: its successful calls of mutating tools, as call keys."""
        return tuple(
            record.call.key()
            for record in self.tool_log
            if record.world == peer.index
            and record.ok
            and self.domain.tool(record.call.name).mutates
        )

    def _vote(self) -> None:
        voters = [p for p in self.peers if p.answered]
        outputs = {p.index: (_normalize(p.answer), self.changes(p)) for p in voters}
        votes = Counter(outputs.values())
        best = max(votes.values(), default=0)
        winner = min((i for i, out in outputs.items() if votes[out] == best), default=0)
        self.backend.select(winner)
        self.answer = self.peers[winner].answer
        self.combination = {
            "rule": "majority",
            "winner": self.peers[winner].role,
            "votes": best,
            "voters": len(voters),
        }

    def _merge(self) -> None:
        merge_world = len(self.peers)
        order = sorted(
            self.peers,
            key=lambda p: (p.finish_order is None, p.finish_order or 0, p.index),
        )
        seen: set[str] = set()
        records = []
        for peer in order:
            for record in self.tool_log:
                if record.world != peer.index or not record.ok:
                    continue
                key = record.call.key()
                if key in seen or not self.domain.tool(record.call.name).mutates:
                    continue
                seen.add(key)
                result = self.backend.call(record.call, merge_world)
                records.append(
                    ToolRecord(
                        self.spec.root,
                        record.call,
                        result.ok,
                        self.clock,
                        result.error,
                        result.meta,
                        merge_world,
                    )
                )
        self.tool_log.extend(records)
        self.backend.select(merge_world)
        first = order[0]
        self.answer = first.answer if first.answered else None
        self.combination = {
            "rule": "merge",
            "merged_changes": len(records),
            "failed_changes": sum(1 for r in records if not r.ok),
            "answer_from": first.role if first.answered else None,
        }


def _normalize(answer: str | None) -> str:
    return " ".join((answer or "").lower().split()).rstrip(".")
