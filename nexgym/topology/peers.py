"""Peer topologies: an aggregator (or moderator) that briefs peers and combines their work.

An ``independent`` or ``decentralized`` spec has a root that holds no domain tools and
lists the peers as its sub-agents (:func:`nexgym.topology.apply_topology` builds one,
named ``team``; catalog specs name it ``aggregator`` or ``moderator``). The root is an
acting role, the one ``control="root"`` gives the learner: it receives the task, calls
the peers like sub-agents (a message each), reads what they answer, combines their
work, and answers the task. Every peer works on its own copy of the world
(``backend.fork``); the team's world, the one the verifier scores, is a separate
pristine copy that only the root's combination step changes. A peer acts on the
message its caller sent it (its frame's task is that message, not the task), so what
the root tells the peers, which of them it asks, and what it keeps decide the outcome.

A peer's answer comes back to the root together with the state changes it made on its
own world (its successful calls of mutating tools, in order), as a worker's diff would.
Peers are called one at a time; their worlds are separate, so the order changes
nothing but the clock.

The two topologies follow "Towards a Science of Scaling Agent Systems" (Kim et al., 2025):

* ``independent`` (parallel workers and an aggregator that synthesizes without
  cross-checking): each peer may be briefed up to :data:`BRIEFINGS` times (the task,
  then follow-ups that use what it reported; it never sees the other peers). The root's
  ``merge_changes(peers)``
  replays the listed peers' changes, in the order listed, on the team's world
  (a change already merged is skipped); the result says what applied and what failed.
  It may be called again to add more. An unchecked merge of every peer passes on one
  peer's wrong change, as an unchecked synthesis passes on a wrong sub-answer.
* ``decentralized`` (peer debate with a final vote): each peer may be called
  ``BRIEFINGS + debate_rounds`` times; a later call continues its work on its own world, and
  the moderator's message is where it shows a peer the others' answers. The root's
  ``select_output(peer)`` picks the peer whose world becomes the team's (the moderator
  runs the vote: the output most peers share is the usual pick).

The root's ``finish`` answer is the team's answer. Finishing without a combination
leaves the team's world as it was. :attr:`PeerRuntime.combination` records what was
decided, with how many peers' own worlds (and answers) would have solved the task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.error import ArgumentError, ConfigError
from nexgym.runtime import Runtime
from nexgym.runtime.backends import ToolBackend
from nexgym.runtime.frames import (
    ActOutcome,
    Frame,
    MenuEntry,
    ToolCallTurn,
    ToolRecord,
)
from nexgym.runtime.menus import RoleMenu
from nexgym.runtime.prompts import example_call, system_prompt
from nexgym.spec import AgentSpec, HierarchySpec
from nexgym.tools import Tool, ToolCall, function_schema

__all__ = ["COMBINE_TOOLS", "Peer", "PeerRuntime", "peer_problems"]

#: Times the root may brief one peer before the debate rounds: the task, then follow-ups
#: that use what the peer reported (a value it looked up, say). Peers never see each other.
BRIEFINGS = 6


def merge_changes(_: Any, peers: list[str]) -> str:
    """Replay the state changes of the listed peers, in that order, on the team's world.

    Args:
        peers: the peers whose changes to keep (each must have worked already).
    """
    return ""


def select_output(_: Any, peer: str) -> str:
    """Choose the peer whose world becomes the team's (the winner of the vote).

    Args:
        peer: the peer whose output wins (it must have answered).
    """
    return ""


#: The combination tool of each peer topology's root.
COMBINE_TOOLS = {
    "independent": Tool(merge_changes),
    "decentralized": Tool(select_output),
}


#: What the root of each peer topology is told about its team (after its own role).
_ROOT_NOTES = {
    "independent": (
        "Each peer works on its own copy of the world and sees only your message. The "
        "team's world changes only through merge_changes, which replays the changes of "
        "the peers you list; each peer may be briefed a few times (the task, then follow-ups)."
    ),
    "decentralized": (
        "Each peer works on its own copy of the world and sees only your message; call a "
        "peer again (a debate round) to show it the others' answers. The team's world is "
        "the one of the peer you choose with select_output."
    ),
}


@dataclass(slots=True)
class Peer:
    """One peer of a team: how often it was called and its latest answer."""

    index: int
    agent: AgentSpec
    calls: int = 0
    answer: str | None = None
    answered: bool = False

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
            f"expected root {root.name!r} of a {spec.topology} team to hold no domain tools "
            f"(it briefs the peers and combines their work), got {list(root.tools)}; {fix}"
        )
    for peer in root.sub_agents:
        if spec.agent(peer).sub_agents:
            problems.append(f"expected peer {peer!r} to have no sub_agents; {fix}")
    return problems


class PeerRuntime(Runtime):
    """Executes an ``independent`` or ``decentralized`` team (see the module docstring).

    Built by :func:`~nexgym.topology.build_runtime` for those topologies; takes the
    same arguments as :class:`~nexgym.runtime.Runtime`.
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
        self.combine_tool = COMBINE_TOOLS[spec.topology]
        self.peer_names = spec.agent(spec.root).sub_agents
        super().__init__(spec, domain, backend, **kwargs)
        #: the team's world: after the peers' own worlds 0 .. n-1
        self.team_world = len(self.peer_names)
        debate = spec.topology_params.debate_rounds if spec.topology == "decentralized" else 0
        #: how many times the root may call each peer: its briefings, then debate rounds
        self.calls_per_peer = BRIEFINGS + debate

    # -- the root's menu: the peers, the combination tool, finish ---------------------

    def _build_menus(self) -> None:
        super()._build_menus()
        root = self.spec.agent(self.spec.root)
        menu = self._menus[root.name]
        params = json.loads(json.dumps(self.combine_tool.parameters))
        for prop in params["properties"].values():
            target = prop.get("items", prop)  # merge_changes takes a list of peers
            target["enum"] = list(self.peer_names)
        name = self.combine_tool.name
        entries = dict(menu.entries)
        finish = entries.pop("finish")
        entries[name] = MenuEntry(
            "tool", name, function_schema(name, self.combine_tool.description, params)
        )
        entries["finish"] = finish
        schemas = [e.schema for e in entries.values()]
        role = f"{root.role.strip()} {_ROOT_NOTES[self.spec.topology]}"
        prompt = system_prompt(root.name, role, self.domain.description, schemas, True)
        self._menus[root.name] = RoleMenu(entries, prompt, example_call(schemas[0]))
        self._schemas[root.name] = tuple(schemas)

    # -- episode ----------------------------------------------------------------------

    def _clear(self) -> None:
        super()._clear()
        self.peers = [Peer(i, self.spec.agent(name)) for i, name in enumerate(self.peer_names)]
        self._by_role = {p.role: p for p in self.peers}
        self._merged: set[str] = set()
        self._merged_from: list[str] = []
        self._merge_records = 0
        self._merge_failures = 0
        self._selected: Peer | None = None
        #: what the root's combination decided, and how the peers did on their own.
        self.combination: dict[str, Any] = {}

    def reset(self, seed: int, task: Task | None = None) -> Task:
        """Start an episode: the root gets the task; each peer a copy of the world."""
        task = super().reset(seed, task)
        self.backend.fork(len(self.peers) + 1)
        self.world = self.team_world
        return task

    def world_of(self, role: str) -> int:
        """A peer's own world; the team's world for the root."""
        peer = self._by_role.get(role)
        return self.team_world if peer is None else peer.index

    def answers_task(self, role: str) -> bool:
        """The root answers the task; each peer answers it on its own world."""
        return role == self.spec.root or role in self._by_role

    def peer(self, role: str) -> Peer:
        """The peer called ``role``."""
        return self._by_role[role]

    @property
    def combination_made(self) -> bool:
        """Whether the root has merged some peers' changes or selected an output."""
        return bool(self._merged_from) or self._selected is not None

    def _select(self, role: str) -> None:
        super()._select(role)
        self.world = self.world_of(role)

    # -- calling a peer and hearing back ------------------------------------------------

    def _delegate(self, frame: Frame, child: str, call_id: str, task: str) -> ActOutcome:
        peer = self._by_role[child]
        if peer.calls >= self.calls_per_peer:
            limit = self.calls_per_peer
            debate = limit - BRIEFINGS
            why = f"{BRIEFINGS} briefings" + (f" and {debate} debate round(s)" if debate else "")
            self._deliver(
                frame, call_id, child, f"Error: {child} has been called {limit} time(s) ({why})"
            )
            return ActOutcome("subagent", detail="rounds limit")
        peer.calls += 1
        return super()._delegate(frame, child, call_id, task)

    def _pop(self, frame: Frame, result: str, outcome: str) -> None:
        peer = self._by_role.get(frame.agent.name)
        if peer is not None:
            if outcome == "finished":
                peer.answer, peer.answered = result, True
            changes = self.change_calls(peer)
            listed = "\n".join(f"{i}. {c.describe()}" for i, c in enumerate(changes, 1))
            result = f"{result}\n\nChanges {peer.role} made on its copy of the world: " + (
                f"{len(changes)}\n{listed}" if changes else "none"
            )
        super()._pop(frame, result, outcome)

    def change_calls(self, peer: Peer) -> list[ToolCall]:
        """A peer's state changes: its successful calls of mutating tools, in order."""
        return [
            record.call
            for record in self.tool_log
            if record.world == peer.index
            and record.ok
            and self.domain.tool(record.call.name).mutates
        ]

    def changes(self, peer: Peer) -> tuple[str, ...]:
        """A peer's state changes as call keys (what a vote compares)."""
        return tuple(call.key() for call in self.change_calls(peer))

    def output(self, peer: Peer) -> tuple[str, tuple[str, ...]]:
        """A peer's output: its answer (case and spacing ignored) and its state changes."""
        return normalize_answer(peer.answer), self.changes(peer)

    def combination_calls(self, role: str) -> list[ToolCall]:
        """The combinations a discrete-action root may pick from now (none for a peer).

        Independent: merging every peer that worked, or any one of them; decentralized:
        selecting any peer that answered.
        """
        if role != self.spec.root:
            return []
        name = self.combine_tool.name
        if self.spec.topology == "decentralized":
            return [ToolCall(name, {"peer": p.role}) for p in self.peers if p.answered]
        worked = [p.role for p in self.peers if p.calls]
        if not worked:
            return []
        everyone = ToolCall(name, {"peers": worked})
        if len(worked) == 1:
            return [everyone]
        return [everyone, *(ToolCall(name, {"peers": [p]}) for p in worked)]

    # -- the combination tool -------------------------------------------------------------

    def _dispatch(self, frame: Frame, call: ToolCall, text: Any) -> ActOutcome:
        if call.name != self.combine_tool.name or frame.agent.name != self.spec.root:
            return super()._dispatch(frame, call, text)
        try:
            arguments = self.combine_tool.validate(call.arguments)
        except ArgumentError as e:
            return self._invalid(frame, text, str(e))
        named = arguments["peers"] if "peers" in arguments else [arguments["peer"]]
        unknown = [p for p in named if p not in self._by_role]
        if unknown:
            return self._invalid(
                frame, text, f"expected peers among {list(self.peer_names)}, got {unknown}"
            )
        call_id = f"call_{self._next_call}"
        self._next_call += 1
        frame.log.append(ToolCallTurn(call_id, call.name, json.dumps(arguments)))
        peers = [self._by_role[p] for p in named]
        if self.spec.topology == "independent":
            ok, report = self._merge(peers)
        else:
            ok, report = self._choose(peers[0])
        self._deliver(frame, call_id, call.name, report)
        return ActOutcome("tool", detail="ok" if ok else "error")

    def _merge(self, peers: list[Peer]) -> tuple[bool, str]:
        if not peers:
            return False, "Error: no peers listed; name the peers whose changes to keep"
        idle = [p.role for p in peers if p.calls == 0]
        if idle:
            return False, f"Error: {', '.join(idle)} has not worked yet; call it first"
        lines = []
        for peer in peers:
            applied, failed = 0, []
            for change in self.change_calls(peer):
                key = change.key()
                if key in self._merged:
                    continue
                self._merged.add(key)
                result = self.backend.call(change, self.team_world)
                self.tool_log.append(
                    ToolRecord(
                        self.spec.root,
                        change,
                        result.ok,
                        self.clock,
                        result.error,
                        result.meta,
                        self.team_world,
                    )
                )
                self._merge_records += 1
                if result.ok:
                    applied += 1
                else:
                    self._merge_failures += 1
                    failed.append(f"{change.describe()}: {result.error}")
            if peer.role not in self._merged_from:
                self._merged_from.append(peer.role)
            line = f"{peer.role}: {applied} change(s) applied"
            lines.append(line + (f", {len(failed)} failed: " + "; ".join(failed) if failed else ""))
        return True, "Merged into the team's world:\n" + "\n".join(lines)

    def _choose(self, peer: Peer) -> tuple[bool, str]:
        if not peer.answered:
            return False, f"Error: {peer.role} has not answered yet; call it first"
        self._selected = peer
        return True, f"{peer.role}'s world is now the team's choice."

    # -- the end: keep the team's world and score it -----------------------------------

    def _end(self, reason: str) -> None:
        self.world = 0
        assert self.task is not None  # an episode is running
        solved_alone = sum(
            1
            for p in self.peers
            if p.calls and self.backend.verify(self.task, p.answer, p.index).solved
        )
        kept = self._selected.index if self._selected is not None else self.team_world
        self.backend.select(kept)
        common = {
            "peers_called": sum(1 for p in self.peers if p.calls),
            "peers_solved": solved_alone,
        }
        if self.spec.topology == "independent":
            self.combination = {
                "rule": "merge",
                "merged_from": list(self._merged_from),
                "merged_changes": self._merge_records,
                "failed_changes": self._merge_failures,
                **common,
            }
        else:
            chosen = self._selected
            outputs = [self.output(p) for p in self.peers if p.answered]
            self.combination = {
                "rule": "select",
                "winner": chosen.role if chosen else None,
                "agreeing": outputs.count(self.output(chosen)) if chosen else 0,
                "voters": len(outputs),
                **common,
            }
        super()._end(reason)


def normalize_answer(answer: str | None) -> str:
    """An answer with case and spacing ignored and a final period dropped."""
    return " ".join((answer or "").lower().split()).rstrip(".")
