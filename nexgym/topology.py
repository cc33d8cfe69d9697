"""Coordination topologies: re-shape any hierarchy into a team of a given kind.

The five topologies of "Towards a Science of Scaling Agent Systems" (Kim et al., 2025),
built from the tools of any spec:

* ``single``: one agent holding every tool.
* ``independent``: ``n`` peers, each holding every tool, solve the task on their own
  copies of the world without messages; their outputs are combined without
  cross-checking (see :mod:`nexgym.coordination`).
* ``centralized``: an orchestrator hands sub-tasks to ``n`` workers (the tools split
  among them), checks their reports, re-assigns a sub-task up to ``rounds`` times in
  all, and answers.
* ``decentralized``: ``n`` peers answer, then for ``debate_rounds`` rounds each sees its
  peers' previous answers and revises; the majority output decides.
* ``hybrid``: centralized, plus a ``message`` tool with which workers send notes to
  each other.

``tree`` (the spec as written) is also accepted and returns the spec unchanged.
Peers are the sub-agents of a ``team`` root that never acts: it stands for the
runtime's combination step, so every spec stays a valid tree.

Example:
    >>> from nexgym.registry import load_catalog_spec
    >>> spec = apply_topology(load_catalog_spec("FileOps"), "decentralized", n=3)
    >>> spec.agent_names
    ('team', 'peer_0', 'peer_1', 'peer_2')
"""

from __future__ import annotations

from typing import Any

from nexgym.error import ConfigError, UnknownNameError
from nexgym.spec import TOPOLOGIES, AgentSpec, HierarchySpec, TopologyParams

__all__ = [
    "PEER_TOPOLOGIES",
    "TEAM_ROLE",
    "apply_topology",
    "prepare_spec",
    "spec_tools",
    "split_tools",
]

#: Topologies whose agents are peers working on their own copies of the world.
PEER_TOPOLOGIES = frozenset({"independent", "decentralized"})
#: The root of a peer topology: it never acts (the runtime combines the peers' outputs).
TEAM_ROLE = "team"

_SOLO_ROLE = (
    "You work alone and hold every tool. Inspect before you change anything, do the "
    "whole task yourself, then answer."
)
_PEER_ROLE = (
    "You are one of several peers who each solve the same task on their own copy of the "
    "world. Do the whole task yourself, then answer."
)
_TEAM_ROLE = (
    "The team of peers. It never acts: the runtime hands the task to every peer and "
    "combines their outputs."
)
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
    if topology not in TOPOLOGIES:
        raise UnknownNameError("topology", topology, TOPOLOGIES)
    if topology == "tree":
        return spec
    params = _params(spec, n, rounds, debate_rounds)
    tools = tuple(spec_tools(spec))
    if not tools:
        raise ConfigError(f"expected spec {spec.name!r} to hold some tools, got none")
    max_turns = max(a.max_turns for a in spec.agents)
    agents: list[AgentSpec]
    if topology == "single":
        agents = [AgentSpec(name="agent", role=_SOLO_ROLE, tools=tools, max_turns=max_turns)]
        params = spec.topology_params
        root = "agent"
    elif topology in PEER_TOPOLOGIES:
        peers = [f"peer_{i}" for i in range(params.n)]
        agents = [AgentSpec(name=TEAM_ROLE, role=_TEAM_ROLE, sub_agents=tuple(peers))]
        agents += [
            AgentSpec(name=p, role=_PEER_ROLE, tools=tools, max_turns=max_turns) for p in peers
        ]
        root = TEAM_ROLE
    else:
        if params.rounds is None:
            params = params.model_copy(update={"rounds": 2})
        groups = split_tools(spec, params.n)
        workers = [f"worker_{i}" for i in range(params.n)]
        note = _HYBRID_NOTE if topology == "hybrid" else ""
        agents = [
            AgentSpec(
                name="orchestrator",
                role=_ORCHESTRATOR_ROLE,
                sub_agents=tuple(workers),
                max_turns=max_turns,
            )
        ]
        agents += [
            AgentSpec(
                name=w,
                role=_WORKER_ROLE + note,
                description=f"A worker with the tools {', '.join(g)}.",
                tools=g,
                max_turns=max_turns,
            )
            for w, g in zip(workers, groups, strict=True)
        ]
        root = "orchestrator"
    data: dict[str, Any] = spec.model_dump(mode="python")
    data.update(agents=tuple(agents), root=root, topology=topology, topology_params=params)
    return HierarchySpec(**data)


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
        if spec.topology in PEER_TOPOLOGIES and not _is_peer_shaped(spec):
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
