"""Hierarchy shapes built from a domain's tools when the description leaves them open.

"An inventory team" or "a four-level research team" name no roles; these
functions make the roles: groups of tools that read as jobs (by the objects they act
on, then by reading versus changing), put under coordinators up to the requested
depth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nexgym.synth.assign import group_tools, object_label
from nexgym.synth.matching import DomainIndex
from nexgym.synth.wording import Node

__all__ = ["build_tree", "deepen"]

_ROOT_HEADS = {
    "single": ("assistant", "operator", "agent"),
    "centralized": ("coordinator", "manager", "lead"),
    "hybrid": ("coordinator", "manager", "director"),
    "tree": ("manager", "director", "head"),
    "decentralized": ("moderator",),
    "independent": ("aggregator",),
}
_WORKER_HEADS = ("specialist", "clerk", "worker")
_PEER_HEADS = ("analyst", "solver", "agent")


def _pick(options: Sequence[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def build_tree(
    index: DomainIndex,
    tools: Sequence[str],
    topology: str,
    depth: int | None,
    rng: np.random.Generator,
    *,
    workers: int | None = None,
) -> Node:
    """A hierarchy over ``tools`` with the given topology and depth (levels).

    Args:
        index: the domain's tool index.
        tools: the tools to deal out (every one ends up with some agent).
        topology: one of the DSL's topologies.
        depth: levels wanted (2 for root and workers; None for the topology's default).
        rng: picks role nouns.
        workers: agents under the root (defaults: 3 peers, or one per tool group).
    """
    tools = list(tools)
    head = _pick(_ROOT_HEADS.get(topology, ("coordinator",)), rng)
    root = Node((head,), head, anonymous=True)
    if topology == "single" or (
        len(tools) < 2 and topology not in ("decentralized", "independent")
    ):
        root.tools = tools
        return root
    if topology in ("decentralized", "independent"):
        peer = _pick(_PEER_HEADS, rng)
        for _ in range(workers or 3):
            node = Node((peer,), peer, anonymous=True, peer=True, tools=list(tools))
            root.attach(node)
        return root
    levels = depth if depth and depth >= 2 else (3 if topology == "tree" else 2)
    if topology == "tree":
        levels = max(levels, 3)
    _grow(index, root, tools, levels - 1, rng, workers)
    return root


def _grow(
    index: DomainIndex,
    parent: Node,
    tools: list[str],
    levels_below: int,
    rng: np.random.Generator,
    workers: int | None,
) -> None:
    if levels_below <= 1:
        k = workers or min(3, max(2, len(tools) // 3))
        worker = _pick(_WORKER_HEADS, rng)
        for group in group_tools(index, tools, k):
            parent.attach(Node((worker,), worker, anonymous=True, tools=group))
        return
    groups, by_access = _split_read_write(index, tools)
    for group in groups:
        if by_access:
            label = "operations" if index.tool(group[0]).mutates else "research"
        else:
            label = object_label(group) or "team"
        lead = Node((label, "lead"), "lead", anonymous=True)
        parent.attach(lead)
        if len(group) == 1:
            lead.tools = group
            if levels_below > 1:
                lead.tools = []
                lead.attach(
                    Node(
                        (object_label(group) or "tool", "specialist"),
                        "specialist",
                        anonymous=True,
                        tools=group,
                    )
                )
            continue
        _grow(index, lead, group, levels_below - 1, rng, None)


def _split_read_write(index: DomainIndex, tools: list[str]) -> tuple[list[list[str]], bool]:
    """Two groups: reading and changing tools if both kinds are there, else by object."""
    reads = [t for t in tools if not index.tool(t).mutates]
    writes = [t for t in tools if index.tool(t).mutates]
    if len(reads) >= 2 and len(writes) >= 2:
        return [reads, writes], True
    return group_tools(index, tools, 2), False


def deepen(index: DomainIndex, root: Node, depth: int) -> bool:
    """Insert coordinators until the tree has ``depth`` levels; False if it cannot.

    A node with several children gets two leads that split them; a leaf with
    several tools becomes a lead over two workers that split its tools.
    """
    while root.depth() < depth:
        nodes = root.walk()
        deepest = max(nodes, key=lambda n: (_level(n), len(n.children)))
        busy = [n for n in nodes if len(n.children) >= 2 and not all(c.peer for c in n.children)]
        leafy = [n for n in nodes if not n.children and len(n.tools) >= 2]
        if leafy and (not busy or _level(deepest) + 1 >= depth - 1):
            leaf = max(leafy, key=lambda n: (_level(n), len(n.tools)))
            groups = group_tools(index, leaf.tools, 2)
            leaf.tools = []
            for group in groups:
                label = object_label(group) or "tool"
                leaf.attach(Node((label, "specialist"), "specialist", anonymous=True, tools=group))
            continue
        if not busy:
            return False
        node = max(busy, key=lambda n: (len(n.children), _level(n)))
        children = list(node.children)
        half = (len(children) + 1) // 2
        for part in (children[:half], children[half:]):
            held = [t for c in part for n in c.walk() for t in n.tools]
            label = object_label(held) or "team"
            lead = Node((label, "lead"), "lead", anonymous=True)
            node.attach(lead)
            for c in part:
                lead.attach(c)
    return True


def _level(node: Node) -> int:
    level = 0
    while node.parent is not None:
        node = node.parent
        level += 1
    return level
