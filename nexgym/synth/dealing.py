"""Dealing a domain's tools out to the agents of a hierarchy.

Each agent's duties are read as verb-object phrases; a tool goes to the agent for
which it is a strong match (at least half its best phrase's score) whose phrase names
the tool's object, then to the best score; ties share it. Tools nobody matched go to
a role that "handles the rest", then to idle workers, then to the agent whose tools
are most alike, so every tool in scope has a holder.
"""

from __future__ import annotations

from nexgym.synth.assign import group_tools
from nexgym.synth.matching import DomainIndex, catalog_index, stem
from nexgym.synth.wording import Node

__all__ = ["MATCH_RATIO", "deal_tools", "duty_problems"]

#: A tool goes to a role when its score reaches this share of the role's best score.
MATCH_RATIO = 0.5


def deal_tools(index: DomainIndex, root: Node, scope: list[str], *, peers: bool) -> list[str]:
    """Give every tool in scope to the agents whose duties match it best; returns notes."""
    nodes = root.walk()
    if peers:
        for child in root.children:
            child.tools = list(scope)
        return []
    ranked: dict[int, dict[str, tuple[float, float]]] = {}
    relative: dict[int, dict[str, float]] = {}
    for n in nodes:
        if n.segments:
            ranked[id(n)], relative[id(n)] = index.segment_scores(n.segments)
    for tool in scope:
        # among the agents for which the tool is a strong match, the one whose phrase
        # names the tool's object wins, then the best score; ties share the tool
        claims = [
            (ranked[id(n)][tool], n)
            for n in nodes
            if id(n) in relative and relative[id(n)][tool] >= MATCH_RATIO
        ]
        if not claims:
            continue
        top = max(rank for rank, _ in claims)
        for rank, n in claims:
            if rank[0] == top[0] and rank[1] >= top[1] - 1e-9:
                n.tools.append(tool)
    held = {t for n in nodes for t in n.tools}
    leftover = [t for t in scope if t not in held]
    notes = _place_leftovers(index, root, nodes, leftover, relative) if leftover else []
    return notes + _respect_forbidden(nodes)


def _respect_forbidden(nodes: list[Node]) -> list[str]:
    """Take from each agent the tools the text forbids it; another agent keeps them."""
    notes = []
    for n in nodes:
        banned = [t for t in n.tools if t in n.forbidden]
        if not banned:
            continue
        n.tools = [t for t in n.tools if t not in n.forbidden]
        for tool in banned:
            if any(tool in other.tools for other in nodes):
                continue
            # a sibling doing work, else the parent, else any agent allowed the tool
            family = [*(n.parent.children if n.parent else []), n.parent, *nodes]
            heir = next(
                (
                    m
                    for m in family
                    if m is not None
                    and m is not n
                    and tool not in m.forbidden
                    and (m.tools or m is n.parent)
                ),
                None,
            )
            if heir is None:
                notes.append(f"only {' '.join(n.title)} could use {tool}, which it may not")
                continue
            heir.tools.append(tool)
    return notes


def duty_problems(index: DomainIndex, root: Node) -> list[str]:
    """One line per phrase of a role's work that no tool of the domain handles.

    A phrase fails when none of its object words ("trains" in "books trains")
    matches a tool of the domain, directly or through a synonym.
    """
    problems = []
    catalog = catalog_index()
    tools = ", ".join(t.name for t in index.tools)
    for node in root.walk():
        for phrase, words in node.unmatched:
            stems = [stem(w) for w in words]
            elsewhere = [
                d
                for d in catalog.domains
                if d != index.name and catalog.explained(d, stems) == set(stems)
            ]
            hint = (
                f" Domains with such tools: {', '.join(elsewhere)}."
                if elsewhere
                else " No domain has such tools."
            )
            problems.append(
                f"'{phrase}' ({' '.join(node.title)}): no tool of domain "
                f"{index.name!r} works on {' '.join(words)!r}; its tools are: "
                f"{tools}.{hint}"
            )
    return problems


def _place_leftovers(
    index: DomainIndex,
    root: Node,
    nodes: list[Node],
    leftover: list[str],
    relative: dict[int, dict[str, float]],
) -> list[str]:
    """Give tools nobody matched to whoever takes the rest, idle workers, or the most alike."""
    notes: list[str] = []
    takers = [n for n in nodes if n.takes_rest]
    if takers:
        for n in takers:
            n.tools.extend(leftover)
        return notes
    empty_leaves = [n for n in nodes if not n.children and not n.tools and not n.exclusive]
    if empty_leaves:
        groups = group_tools(index, leftover, len(empty_leaves))
        for n, group in zip(empty_leaves, groups, strict=False):
            n.tools.extend(group)
        leftover = [t for t in leftover if not any(t in n.tools for n in empty_leaves)]
    open_nodes = [n for n in nodes if not n.exclusive and (n.tools or n is root)]
    for tool in leftover:
        target = _affinity_target(index, tool, open_nodes, relative) or root
        target.tools.append(tool)
        if target.exclusive:
            notes.append(f"gave {tool} to {' '.join(target.title)} (nobody else could)")
    return notes


def _affinity_target(
    index: DomainIndex, tool: str, nodes: list[Node], relative: dict[int, dict[str, float]]
) -> Node | None:
    """The agent whose tools are most like ``tool`` (shared words, same access)."""
    profile = index.tool(tool)
    best, target = 0.0, None
    for n in nodes:
        if not n.tools:
            continue
        total = 0.0
        for held in n.tools:
            other = index.tool(held)
            shared = len(profile.bag.keys() & other.bag.keys())
            union = len(profile.bag.keys() | other.bag.keys()) or 1
            total += shared / union + (0.25 if other.mutates == profile.mutates else 0.0)
        score = total / len(n.tools) + 0.5 * relative.get(id(n), {}).get(tool, 0.0)
        if score > best + 1e-12:
            best, target = score, n
    return target
