"""Names, role prompts and descriptions of synthesized agents.

The wording depends only on the hierarchy's structure, its tools and a seeded
generator, so the same description and seed always give the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nexgym.synth.assign import object_label, tool_phrase
from nexgym.synth.matching import stem

__all__ = [
    "Node",
    "camel_name",
    "describe",
    "env_name",
    "name_nodes",
    "role_prompt",
    "snake_name",
]

_NON_WORD = re.compile(r"[^a-z0-9]+")
_YAML_WORDS = frozenset(["yes", "no", "on", "off", "true", "false", "null", "y", "n"])


@dataclass(eq=False)
class Node:
    """One agent while a hierarchy is being built.

    Attributes:
        title: words naming the role ("flight specialist").
        head: the role noun ("specialist").
        parent: the agent it works for (None for the root).
        children: the agents it may call.
        segments: verb-object phrases (as stems) its tools are matched against.
        duties: the description's phrases about its work.
        keeps: the description says it does some work itself.
        exclusive: it gets no tools beyond what its duties match.
        takes_rest: it gets every tool nobody else holds.
        anonymous: made up to fill a group or a structure, not named by the text.
        peer: one of several equals that each solve the whole task.
        tools: the tools it holds.
        name: its snake_case name (set once the tree is final).
        unmatched: ``(phrase, object words)`` of its duties that match no tool.
    """

    title: tuple[str, ...]
    head: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    segments: list[tuple[list[str], list[str]]] = field(default_factory=list)
    duties: list[str] = field(default_factory=list)
    keeps: bool = False
    exclusive: bool = False
    takes_rest: bool = False
    anonymous: bool = False
    peer: bool = False
    tools: list[str] = field(default_factory=list)
    name: str = ""
    unmatched: list[tuple[str, list[str]]] = field(default_factory=list)
    #: tools the description says this agent must not use
    forbidden: list[str] = field(default_factory=list)

    @property
    def stems(self) -> list[str]:
        """Every stem of its phrases, once each."""
        return list(dict.fromkeys(s for verbs, objs in self.segments for s in (*verbs, *objs)))

    def attach(self, child: Node) -> None:
        """Make ``child`` one of this node's sub-agents."""
        if child.parent is not None:
            child.parent.children.remove(child)
        child.parent = self
        self.children.append(child)

    def walk(self) -> list[Node]:
        """This node and every node below it, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def depth(self) -> int:
        """Levels from this node down (1 for a leaf)."""
        return 1 + max((c.depth() for c in self.children), default=0)


def snake_name(words: Sequence[str], *, limit: int = 40) -> str:
    """A valid agent name from words ("Flight specialist" -> "flight_specialist")."""
    text = _NON_WORD.sub("_", "_".join(words).lower()).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text or not text[0].isalpha():
        text = "agent_" + text if text else "agent"
    if text in _YAML_WORDS or text == "finish":
        text += "_agent"
    return text[:limit].rstrip("_")


def camel_name(words: Sequence[str], *, limit: int = 60) -> str:
    """A valid env name from words ("travel desk planner" -> "TravelDeskPlanner")."""
    parts = []
    for w in words:
        for piece in _NON_WORD.split(w.lower()):
            if piece:
                parts.append(piece[0].upper() + piece[1:])
    text = "".join(parts)
    if not text or not text[0].isalpha():
        text = "Synth" + text
    return text[:limit]


def _title(node: Node) -> str:
    return " ".join(node.title)


def _article(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def describe(node: Node) -> str:
    """What callers see of an agent, e.g. "Searches and books flights."."""
    if node.tools:
        text = tool_phrase(node.tools, third_person=True)
        if node.children:
            text += "; leads " + _names(node.children)
        return text[0].upper() + text[1:] + "."
    if node.children:
        return f"Leads {_names(node.children)}."
    return f"The {_title(node)}."


def _names(nodes: Sequence[Node]) -> str:
    names = [n.name for n in nodes]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_CLOSINGS = {
    "lead": (
        "Split each task, give every agent all the details it needs, check what comes back, "
        "then answer.",
        "Break the task into parts, delegate each part with every detail, verify the results, "
        "then give the final answer.",
        "Plan the work, hand each part to the right agent, check the results, then answer.",
    ),
    "worker": (
        "Do exactly what you are asked with your tools and report the results precisely.",
        "Carry out each request with your tools and report exactly what you found or changed.",
        "Work carefully: inspect before you change anything, then report what you did.",
    ),
    "single": (
        "Inspect before you change anything, and answer precisely.",
        "Work step by step with your tools, then answer precisely.",
        "Check the facts with your tools before acting, then give a precise answer.",
    ),
}


def role_prompt(
    node: Node,
    *,
    team: str,
    persona: str,
    topology: str,
    rng: np.random.Generator,
) -> str:
    """The role prompt of an agent, from its place in the hierarchy and its tools."""
    where = f" of {_article(team)}" if team else ""
    whom = f" for {_article(persona)}" if persona else ""
    me = _title(node)
    if node.parent is None and not node.children:
        work = tool_phrase(node.tools) if node.tools else "answer questions"
        closing = _CLOSINGS["single"][int(rng.integers(3))]
        return f"You are the {me}{where}{whom}. You {work} yourself. {closing}"
    if node.peer:
        peers = len(node.parent.children) if node.parent else 1
        work = tool_phrase(node.tools) if node.tools else "reason about the task"
        if topology == "independent":
            how = "Solve the whole task on your own; the best of the independent answers is kept."
        else:
            how = (
                "Solve the whole task; your answer is compared with your peers' answers, "
                "so state it precisely."
            )
        return f"You are the {me}, one of {peers} peers{where}{whom}. You {work}. {how}"
    parts = [f"You are the {me}{where}{whom}."]
    if node.parent is not None:
        parts[0] = parts[0][:-1] + f", working for {node.parent.name}."
    if node.tools:
        own = "yourself" if node.children else "with your tools"
        parts.append(f"You {tool_phrase(node.tools)} {own}.")
    if node.children:
        if all(c.peer for c in node.children):
            n = len(node.children)
            if topology == "independent":
                parts.append(
                    f"Give the whole task to each of your {n} peers, who work independently, "
                    "and answer with the best-supported result."
                )
            else:
                parts.append(
                    f"Give the whole task to your {n} peers, compare their answers, and "
                    "answer with the one they agree on."
                )
        else:
            delegated = "; ".join(
                f"{c.name} {describe(c)[0].lower()}{describe(c)[1:-1]}" for c in node.children
            )
            parts.append(f"You delegate: {delegated}.")
            parts.append(_CLOSINGS["lead"][int(rng.integers(3))])
    else:
        parts.append(_CLOSINGS["worker"][int(rng.integers(3))])
    return " ".join(parts)


def name_nodes(root: Node) -> None:
    """Give every node a unique snake_case name (object-prefixed where a noun repeats)."""
    nodes = root.walk()
    generic = {
        "specialist",
        "expert",
        "agent",
        "worker",
        "assistant",
        "helper",
        "clerk",
        "member",
        "peer",
        "analyst",
        "lead",
        "associate",
        "operator",
        "teammate",
    }
    heads: dict[tuple[str, ...], int] = {}
    for n in nodes:
        heads[n.title] = heads.get(n.title, 0) + 1
    for n in nodes:
        words = list(n.title)
        shared = heads[n.title] > 1 or n.anonymous
        if (
            len(words) == 1
            and words[0] in generic
            and n.tools
            and not n.peer
            and n is not root
            and shared
        ):
            label = object_label(n.tools)
            if label and label != words[0]:
                words = [label, *words]
                n.title = tuple(words)
        n.name = snake_name(words)
    seen: dict[str, list[Node]] = {}
    for n in nodes:
        seen.setdefault(n.name, []).append(n)
    for name, same in seen.items():
        if len(same) > 1:
            for k, n in enumerate(same, 1):
                n.name = f"{name[:44]}_{k}"


_TEAM_BY_TOPOLOGY = {
    "single": "solo",
    "centralized": "team",
    "tree": "hierarchy",
    "decentralized": "council",
    "independent": "panel",
    "hybrid": "network",
}


def env_name(team: Sequence[str], domain: str, root: Node, topology: str) -> str:
    """A CamelCase env name from the team words (or domain and topology) and the root."""
    words = list(team) or [domain.replace("_", " "), _TEAM_BY_TOPOLOGY[topology]]
    if not root.anonymous and not any(stem(w) == stem(root.head) for w in words):
        words.extend(root.title[-2:])
    return camel_name(words)
