"""The offline synthesizer: a natural-language description -> a :class:`HierarchySpec`.

No model is involved. The description is read into an outline (roles, relations,
duties, topology cues; :mod:`nexgym.synth.outline`), the domain whose tools best
explain its words is chosen, the tools are dealt out to the roles by semantic
matching (:mod:`nexgym.synth.matching`), the topology and depth are settled, and
every agent gets a name and a role prompt::

    >>> import nexgym
    >>> spec = nexgym.synthesize(
    ...     "a travel desk where a planner hands flights to one specialist and hotels "
    ...     "to another, and checks the budget itself")
    >>> spec.topology, spec.root
    ('centralized', 'planner')

When no registered domain fits the work the description names, a world is induced
from its nouns and verbs, compiled and registered (:mod:`nexgym.synth.induce`). Parts
it cannot place are warnings in ``spec.metadata["notes"]`` (with what exists) on a
best-effort spec; only a text with no work and no roles in it raises
:class:`~nexgym.synth.errors.SynthesisError`. A negation after a role ("the reader
never changes files") binds that role only. Every tool of the domain that the description does not
rule out ("never deletes files") is held by some agent, so the oracle can solve the
domain's tasks through the hierarchy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nexgym.error import ConfigError
from nexgym.spec import HierarchySpec
from nexgym.synth.assign import (
    duty_segments,
    duty_stems,
    explicit_tool_names,
    head_stems,
    unknown_tool_problems,
)
from nexgym.synth.dealing import deal_tools, duty_problems
from nexgym.synth.errors import SynthesisError
from nexgym.synth.induce import choose_or_induce
from nexgym.synth.lexicon import COLLECTIVE_HEADS, word_set
from nexgym.synth.matching import DomainIndex, domain_index, stem
from nexgym.synth.outline import Duty, Outline, read_outline
from nexgym.synth.structure import build_tree, deepen
from nexgym.synth.wording import Node, describe, env_name, name_nodes, role_prompt

__all__ = ["synthesize"]

#: Longest description accepted (longer texts are not hierarchy descriptions).
MAX_CHARS = 4_000
_PEER_TOPOLOGIES = ("decentralized", "independent", "hybrid")
#: Team nouns that mean several agents ("an inventory team"); "a travel desk" may be one.
_GROUP_NOUNS = word_set(
    """
    team crew squad department group unit taskforce committee council panel board
    guild network collective agency bureau firm
    """
)


def synthesize(
    text: str, *, seed: int = 0, name: str | None = None, domain: str | None = None
) -> HierarchySpec:
    """Synthesize a hierarchy from a natural-language description, offline.

    Args:
        text: the description, e.g. "a travel desk where a planner hands flights to one
            specialist and hotels to another, and checks the budget itself".
        seed: picks among equally good wordings and default sizes.
        name: the env name (CamelCase); derived from the text when omitted.
        domain: force a domain instead of choosing the best-matching one.

    Returns:
        A validated spec; ``metadata`` records the source text, the seed and notes.

    Raises:
        SynthesisError: the description names no work and no roles, or is empty.
        ConfigError: ``text`` is not a string or ``seed`` not an integer.
    """
    if not isinstance(text, str):
        raise ConfigError(f"expected the description as a string, got {type(text).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ConfigError(f"expected an integer seed, got {seed!r}")
    source = " ".join(text.split())
    if not source:
        raise SynthesisError(
            "(text): expected a description of agents and their work, got an empty text; "
            "e.g. 'a file team where a lead hands reading to a reader and edits to an editor'",
            text=text,
        )
    if len(source) > MAX_CHARS:
        raise SynthesisError(
            f"(text): expected a description of at most {MAX_CHARS} characters, "
            f"got {len(source)}; describe the roles and their work briefly",
            text=source,
        )
    rng = np.random.default_rng(int(seed))
    outline = read_outline(source)
    heads = {r.head for r in outline.roles}
    induced_notes: list[str] = []
    chosen = domain or choose_or_induce(outline, source, heads, induced_notes)
    index = domain_index(chosen)
    problems = unknown_tool_problems([n for n in explicit_tool_names(source) if "_" in n], index)
    builder = _Builder(outline, index, rng)
    # words nothing can place are warnings on a best-effort spec, not the end of it
    builder.notes.extend(induced_notes)
    builder.notes.extend(f"ignored: {p}" for p in problems)
    root, topology = builder.build()
    spec_name = name or outline.name or env_name(outline.team, chosen, root, topology)
    return _to_spec(
        outline, index, root, topology, spec_name, rng, seed=int(seed), notes=builder.notes
    )


class _Builder:
    """Turns an outline into a tree of :class:`Node` with tools, for one domain."""

    def __init__(self, outline: Outline, index: DomainIndex, rng: np.random.Generator) -> None:
        self.outline = outline
        self.index = index
        self.rng = rng
        self.notes = list(outline.notes)
        if outline.translated:
            self.notes.append(f"translated {outline.translated} foreign word(s) word by word")

    # -- structure --------------------------------------------------------------------

    def topology_vote(self) -> str | None:
        votes = self.outline.topology_votes
        peer = {t: votes[t] for t in _PEER_TOPOLOGIES if votes.get(t)}
        if peer:
            return max(peer, key=lambda t: (peer[t], -_PEER_TOPOLOGIES.index(t)))
        return None

    def nodes_from_roles(self) -> list[Node]:
        """One node per agent the roles stand for; returns the top-level nodes."""
        roles = self.outline.roles
        peer_vote = self.topology_vote() in ("decentralized", "independent")
        made: dict[int, list[Node]] = {}
        tops: list[Node] = []
        pending = list(range(len(roles)))
        while pending:
            progressed = False
            for i in list(pending):
                role = roles[i]
                parent = role.parent
                fills = (
                    [j for j, r in enumerate(roles) if r.group == parent]
                    if parent is not None
                    else []
                )
                if parent is not None and (parent not in made or any(j not in made for j in fills)):
                    continue
                parents: list[Node | None] = [None]
                if parent is not None:
                    parents = [*made[parent], *(n for j in fills for n in made[j])] or [None]
                made[i] = []
                for owner in parents:
                    for node in self._nodes_for(i, peer_vote):
                        made[i].append(node)
                        if owner is None:
                            tops.append(node)
                        else:
                            owner.attach(node)
                pending.remove(i)
                progressed = True
            if not progressed:  # unreachable after outline cycle fixing; keep going anyway
                for i in pending:
                    made[i] = self._nodes_for(i, peer_vote)
                    tops.extend(made[i])
                break
        return tops

    def _nodes_for(self, i: int, peer_vote: bool) -> list[Node]:
        role = self.outline.roles[i]
        segments: list[tuple[list[str], list[str]]] = []
        duties = []
        keeps = False
        for duty in role.duties:
            duties.append(" ".join(duty.words))
            keeps = keeps or duty.keep
        unmatched = self._unmatched_phrases(role.duties)
        # one run of words: "lists, gets, and sets devices" arrives in three pieces
        segments.extend(duty_segments([w for duty in role.duties for w in duty.words], self.index))
        title = (*role.modifiers, role.head)
        # a title names work only for roles that do it: "flight specialist", not "email lead"
        if not any(r.parent == i for r in self.outline.roles):
            named = duty_stems(role.modifiers)
            if named or head_stems(role.head):
                segments.append((head_stems(role.head), named))
        forbidden = [
            t
            for words in role.forbidden
            for t in self.index.matched_tools(duty_stems(words), ratio=0.75)
        ]
        if not role.is_group:
            return [
                Node(
                    title,
                    role.head,
                    forbidden=forbidden,
                    segments=segments,
                    duties=duties,
                    keeps=keeps,
                    exclusive=role.exclusive,
                    takes_rest=role.takes_rest,
                    unmatched=unmatched,
                )
            ]
        if role.count is not None:
            count = role.count - role.filled
        elif role.filled:
            count = 0
        else:
            count = 3 if peer_vote or role.head in COLLECTIVE_HEADS else 2
        return [
            Node(
                title,
                role.head,
                segments=[(list(v), list(o)) for v, o in segments],
                anonymous=True,
                forbidden=list(forbidden),
                duties=list(duties),
                keeps=keeps,
                exclusive=role.exclusive,
                takes_rest=role.takes_rest,
                unmatched=unmatched,
            )
            for _ in range(max(0, count))
        ]

    def _unmatched_phrases(self, duties: Sequence[Duty]) -> list[tuple[str, list[str]]]:
        """``(phrase, object words)`` for each duty phrase whose objects match no tool."""
        words = [w for duty in duties for w in duty.words]
        surface: dict[str, str] = {}
        for w in words:
            surface.setdefault(stem(w), w)
        out = []
        for verbs, objects in duty_segments(words, self.index):
            if objects and self.index.unmatched_stems(objects) == objects:
                named = [surface.get(o, o) for o in objects]
                phrase = " ".join([surface.get(v, v) for v in verbs] + named)
                out.append((phrase, named))
        return out

    def build(self) -> tuple[Node, str]:
        """The root of the finished tree and the topology."""
        outline = self.outline
        vote = self.topology_vote()
        scope = self.scope()
        tops = self.nodes_from_roles()
        problems = [p for top in tops for p in duty_problems(self.index, top)]
        self.notes.extend(f"ignored: {p}" for p in problems)
        if not tops:
            topology = vote or self._structure_vote()
            root = build_tree(self.index, scope, topology, outline.depth, self.rng)
            return self._finish(root, topology)
        if len(tops) == 1:
            root = tops[0]
        elif vote in ("decentralized", "independent") or len({t.head for t in tops}) == 1:
            head = {"independent": "aggregator", "decentralized": "moderator"}.get(
                vote or "", "coordinator"
            )
            root = Node((head,), head, anonymous=True)
            for t in tops:
                root.attach(t)
        else:
            root = tops[0]
            for t in tops[1:]:
                root.attach(t)
        nodes = root.walk()
        if len(nodes) == 1:
            if vote or (outline.depth or 0) > 1:
                self.notes.append(
                    "the description names one agent but asks for a team; built the team around it"
                )
                topology = vote or "tree"
                built = build_tree(self.index, scope, topology, outline.depth, self.rng)
                built.title, built.head, built.segments = root.title, root.head, root.segments
                return self._finish(built, topology)
            root.tools = list(scope)
            return self._finish(root, "single")
        if outline.topology_votes.get("single"):
            self.notes.append(
                f"the description asks for a single agent but names {len(nodes)} roles; "
                "built a hierarchy of them"
            )
        topology = vote or ("tree" if root.depth() >= 3 else "centralized")
        if topology in ("decentralized", "independent"):
            if root.depth() > 2:
                self.notes.append(
                    f"{topology} peers work one level below the root; "
                    "kept the deeper levels as a tree"
                )
                topology = "hybrid"
            else:
                for child in root.children:
                    child.peer = True
        self.notes += deal_tools(
            self.index, root, scope, peers=topology in ("decentralized", "independent")
        )
        if outline.depth and root.depth() < outline.depth:
            deepen(self.index, root, outline.depth)
            if topology == "centralized":
                topology = "tree"
        return self._finish(root, topology)

    def _structure_vote(self) -> str:
        votes = self.outline.topology_votes
        if (self.outline.depth or 0) >= 3 or votes.get("tree"):
            return "tree"
        if votes.get("single"):
            return "single"
        team = self.outline.team[-1:]
        if (
            votes.get("centralized")
            or (self.outline.depth or 0) == 2
            or (team and team[0] in _GROUP_NOUNS)
        ):
            return "centralized"
        return "single"

    def _finish(self, root: Node, topology: str) -> tuple[Node, str]:
        name_nodes(root)
        return root, topology

    # -- tools ------------------------------------------------------------------------

    def scope(self) -> list[str]:
        """The domain's tools minus those the description rules out."""
        excluded: set[str] = set()
        for words in self.outline.exclusions:
            stems = duty_stems(words)
            if not stems:
                continue
            hit = self.index.matched_tools(stems, ratio=0.75)
            if not hit:
                self.notes.append(f"'{' '.join(words)}' matched no tool to leave out")
            excluded.update(hit)
        return [t.name for t in self.index.tools if t.name not in excluded]


def _to_spec(
    outline: Outline,
    index: DomainIndex,
    root: Node,
    topology: str,
    name: str,
    rng: np.random.Generator,
    *,
    seed: int,
    notes: list[str],
) -> HierarchySpec:
    team = " ".join(outline.team)
    persona = " ".join(outline.persona)
    agents = []
    for node in root.walk():
        agent: dict[str, Any] = {
            "name": node.name,
            "role": role_prompt(node, team=team, persona=persona, topology=topology, rng=rng),
            "description": describe(node),
        }
        if node.tools:
            order = {t.name: i for i, t in enumerate(index.tools)}
            agent["tools"] = sorted(dict.fromkeys(node.tools), key=order.__getitem__)
        if node.children:
            agent["sub_agents"] = [c.name for c in node.children]
        agents.append(agent)
    metadata: dict[str, Any] = {"source": outline.text, "seed": seed, "synthesizer": "offline"}
    if persona:
        metadata["persona"] = persona
    if notes:
        metadata["notes"] = notes
    data: dict[str, Any] = {
        "name": name,
        "description": _summary(outline, index, topology, len(agents)),
        "domain": index.name,
        "topology": topology,
        "root": root.name,
        "agents": agents,
        "metadata": metadata,
    }
    peers = [c for c in root.children if c.peer]
    if peers:
        data["topology_params"] = {"n": len(peers)}
    return HierarchySpec.from_dict(data)


def _summary(outline: Outline, index: DomainIndex, topology: str, n_agents: int) -> str:
    team = " ".join(outline.team) or f"{index.name.replace('_', ' ')} team"
    shape = "one agent" if n_agents == 1 else f"{n_agents} agents, {topology}"
    return f"A {team} ({shape}) working on {index.description}."
