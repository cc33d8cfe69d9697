"""Coordination topologies: re-shape any hierarchy into a team of a given kind.

The five topologies of "Towards a Science of Scaling Agent Systems" (Kim et al., 2025),
built from the tools of any spec:

* ``single``: one agent holding every tool.
* ``independent``: an aggregator sends the task to ``n`` peers, each holding every
  tool and working on its own copy of the world without talking to the others, then
  merges the changes it chooses to keep and answers (see :mod:`nexgym.topology.peers`).
* ``centralized``: an orchestrator hands sub-tasks to ``n`` workers (the tools split
  among them), checks their reports, re-assigns a sub-task up to ``rounds`` times in
  all, and answers.
* ``decentralized``: a moderator sends the task to ``n`` peers, then for
  ``debate_rounds`` rounds shows each the others' answers so that it may revise, and
  picks the winning output (the majority's, usually) and answers.
* ``hybrid``: centralized, plus a ``message`` tool with which workers send notes to
  each other.

``tree`` (the spec as written) is also accepted and returns the spec unchanged.
Peers are the sub-agents of a ``team`` root (the aggregator or moderator), an acting
role that holds no domain tools, so every spec stays a valid tree.

Example:
    >>> from nexgym.registry import load_catalog_spec
    >>> spec = apply_topology(load_catalog_spec("FileOps"), "decentralized", n=3)
    >>> spec.agent_names
    ('team', 'peer_0', 'peer_1', 'peer_2')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nexgym.error import ConfigError
from nexgym.spec import AgentSpec, HierarchySpec, TopologyParams
from nexgym.topology.registry import get_topology, peer_topologies

#: Times the root may brief one peer (see nexgym.topology.peers).
BRIEFINGS = 6

__all__ = [
    "TEAM_ROLE",
    "Team",
    "apply_topology",
    "orchestrated",
    "peer_team",
    "prepare_spec",
    "solo",
    "spec_tools",
    "split_tools",
]

#: The root of a peer topology: the aggregator or moderator that briefs the peers.
TEAM_ROLE = "team"

_SOLO_ROLE = (
    "You work alone and hold every tool. Inspect before you change anything, do the "
    "whole task yourself, then answer."
)
_PEER_ROLE = (
    "You are one of several peers, each working on its own copy of the world. Do what "
    "your caller's message asks with your tools, then answer with what you did and found."
)
_TEAM_ROLES = {
    "independent": (
        "You aggregate the work of {n} independent peers. Each peer holds every tool and "
        "works on its own copy of the world. Send each peer the task (call it with a "
        "message that says what to do), read its answer and the changes it made, keep "
        "the changes you trust with merge_changes, then answer the task."
    ),
    "decentralized": (
        "You moderate a debate among {n} peers. Each peer holds every tool and works on "
        "its own copy of the world. Send each peer the task, then, for up to {rounds} "
        "debate round(s), call each again with the other peers' answers so that it may "
        "revise. Choose the output most peers agree on with select_output, then answer."
    ),
}
_ORCHESTRATOR_ROLE = (
    "You orchestrate a team of workers. Split the task into sub-tasks, assign each to the "
    "worker that holds the tools it needs, check their reports, then answer."
)
_WORKER_ROLE = (
    "You are a worker. Do exactly the sub-task your orchestrator assigns with your tools "
    "and report what you found or changed."
)
_HYBRID_NOTE = " Use the message tool to tell a fellow worker what it needs to know."


def spec_tools(spec: HierarchySpec) -> list[str]:
    """Every domain tool of a spec, in order of first appearance among its agents."""
    seen: dict[str, None] = {}
    for agent in spec.agents:
        for tool in agent.tools:
            seen.setdefault(tool, None)
    return list(seen)


def split_tools(spec: HierarchySpec, n: int) -> list[tuple[str, ...]]:
    """The tools of ``n`` workers.

    The spec's own groups if it has ``n`` tool holders with disjoint tools, else its
    tools cut into ``n`` contiguous chunks (related tools stay together).

    Raises:
        ConfigError: when the spec has fewer than ``n`` tools.
    """
    groups = [agent.tools for agent in spec.agents if agent.tools]
    if len(groups) == n and len({t for g in groups for t in g}) == sum(map(len, groups)):
        return [tuple(g) for g in groups]
    tools = spec_tools(spec)
    if len(tools) < n:
        raise ConfigError(
            f"expected at most {len(tools)} workers for spec {spec.name!r} (it has "
            f"{len(tools)} tools to split), got n={n}; lower topology_params n"
        )
    size, extra = divmod(len(tools), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        out.append(tuple(tools[start:end]))
        start = end
    return out


def _params(spec: HierarchySpec, n: int | None, rounds: int | None, debate_rounds: int | None):
    current = spec.topology_params.model_dump()
    updates = {"n": n, "rounds": rounds, "debate_rounds": debate_rounds}
    current.update({k: v for k, v in updates.items() if v is not None})
    try:
        return TopologyParams(**current)
    except Exception as e:  # pydantic's message names the field and the bound
        raise ConfigError(f"topology_params: {e}") from e


def apply_topology(
    spec: HierarchySpec,
    topology: str,
    *,
    n: int | None = None,
    rounds: int | None = None,
    debate_rounds: int | None = None,
) -> HierarchySpec:
    """Re-shape ``spec`` into ``topology`` over the same domain and tools.

    Args:
        spec: any hierarchy.
        topology: one of ``single``, ``independent``, ``centralized``,
            ``decentralized``, ``hybrid``, or ``tree`` (returns ``spec`` unchanged).
        n: peers or workers (default: the spec's ``topology_params.n``).
        rounds: times one sub-task may be assigned (centralized, hybrid; default 2 when
            the spec leaves it unset).
        debate_rounds: revision rounds of a decentralized team.

    Returns:
        A validated spec; applying the same topology again returns an equal spec.

    Raises:
        UnknownNameError: for an unknown topology.
        ConfigError: for parameters out of range or more workers than tools.
    """
    shape = get_topology(topology).shape
    if shape is None:
        return spec
    params = _params(spec, n, rounds, debate_rounds)
    tools = tuple(spec_tools(spec))
    if not tools:
        raise ConfigError(f"expected spec {spec.name!r} to hold some tools, got none")
    team = Team(spec, tools, max(a.max_turns for a in spec.agents), params, topology)
    agents, root, params = shape(team)
    data: dict[str, Any] = spec.model_dump(mode="python")
    data.update(agents=tuple(agents), root=root, topology=topology, topology_params=params)
    return HierarchySpec(**data)


@dataclass(frozen=True)
class Team:
    """What a topology's shape works from: the spec, its tools, turns and parameters."""

    spec: HierarchySpec
    tools: tuple[str, ...]
    max_turns: int
    params: TopologyParams
    topology: str


def solo(team: Team) -> tuple[list[AgentSpec], str, TopologyParams]:
    """``single``: one agent holding every tool."""
    agent = AgentSpec(name="agent", role=_SOLO_ROLE, tools=team.tools, max_turns=team.max_turns)
    return [agent], "agent", team.spec.topology_params


def peer_team(team: Team) -> tuple[list[AgentSpec], str, TopologyParams]:
    """``independent`` and ``decentralized``: a team root over ``n`` peers with every tool."""
    params, spec = team.params, team.spec
    peers = [f"peer_{i}" for i in range(params.n)]
    worker_turns = max((a.max_turns for a in spec.agents if a.tools), default=team.max_turns)
    role = _TEAM_ROLES[team.topology].format(n=params.n, rounds=params.debate_rounds)
    # room for every call of every peer, a combination and the answer
    calls = params.n * (
        BRIEFINGS + (params.debate_rounds if team.topology == "decentralized" else 0)
    )
    agents = [
        AgentSpec(
            name=TEAM_ROLE,
            role=role,
            sub_agents=tuple(peers),
            max_turns=max(team.max_turns, calls + 4),
        )
    ]
    agents += [
        AgentSpec(name=p, role=_PEER_ROLE, tools=team.tools, max_turns=worker_turns) for p in peers
    ]
    return agents, TEAM_ROLE, params


def orchestrated(team: Team) -> tuple[list[AgentSpec], str, TopologyParams]:
    """``centralized`` and ``hybrid``: an orchestrator over ``n`` workers splitting the tools."""
    params = team.params
    if params.rounds is None:
        params = params.model_copy(update={"rounds": 2})
    groups = split_tools(team.spec, params.n)
    workers = [f"worker_{i}" for i in range(params.n)]
    note = _HYBRID_NOTE if get_topology(team.topology).worker_messages else ""
    agents = [
        AgentSpec(
            name="orchestrator",
            role=_ORCHESTRATOR_ROLE,
            sub_agents=tuple(workers),
            max_turns=team.max_turns,
        )
    ]
    agents += [
        AgentSpec(
            name=w,
            role=_WORKER_ROLE + note,
            description=f"A worker with the tools {', '.join(g)}.",
            tools=g,
            max_turns=team.max_turns,
        )
        for w, g in zip(workers, groups, strict=True)
    ]
    return agents, "orchestrator", params


def prepare_spec(
    spec: HierarchySpec,
    topology: str | None = None,
    topology_params: dict[str, Any] | TopologyParams | None = None,
) -> HierarchySpec:
    """The spec a view runs: re-shaped when ``topology`` is given, else as written.

    A spec written with a peer topology that is not a team of peers (a root holding no
    tools over peers that hold the same tools and no sub-agents), for example a tree
    labelled ``decentralized``, is re-shaped too: the DSL field alone selects the topology.
    A spec with ``mcp_servers`` gets its servers' tools first (:mod:`nexgym.mcpdomain`).
    """
    if spec.mcp_servers:
        from nexgym.mcpdomain import bind_servers

        spec = bind_servers(spec)
    if isinstance(topology_params, TopologyParams):
        topology_params = topology_params.model_dump(exclude_none=True)
    extra = dict(topology_params or {})
    unknown = set(extra) - set(TopologyParams.model_fields)
    if unknown:
        raise ConfigError(
            f"expected topology_params keys among {sorted(TopologyParams.model_fields)}, "
            f"got {sorted(unknown)}"
        )
    if topology is None:
        if spec.topology in peer_topologies() and not _is_peer_shaped(spec):
            return apply_topology(spec, spec.topology, **extra)
        if extra:
            return spec.model_copy(update={"topology_params": _params(spec, **_full(extra))})
        return spec
    return apply_topology(spec, topology, **extra)


def _full(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: extra.get(k) for k in ("n", "rounds", "debate_rounds")}


def _is_peer_shaped(spec: HierarchySpec) -> bool:
    """A root that holds no tools over peers without sub-agents that share one tool set."""
    root = spec.agent(spec.root)
    peers = [spec.agent(p) for p in root.sub_agents]
    return (
        not root.tools
        and bool(peers)
        and all(not p.sub_agents for p in peers)
        and len({frozenset(p.tools) for p in peers}) == 1
    )
