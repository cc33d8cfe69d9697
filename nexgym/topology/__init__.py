"""Coordination topologies: one object each, a registry, and the runtime that runs them.

* :mod:`~nexgym.topology.registry`: :class:`Topology`, :func:`register_topology`,
  :func:`build_runtime` (the runtime of a spec under its topology).
* :mod:`~nexgym.topology.shapes`: :func:`apply_topology` and :func:`prepare_spec`
  re-shape any hierarchy into a team of a given kind.
* :mod:`~nexgym.topology.peers`: :class:`~nexgym.topology.peers.PeerRuntime`, the
  runtime of ``independent`` and ``decentralized`` teams.

The built-in topologies (those of "Towards a Science of Scaling Agent Systems") are
registered here; a new one is a :class:`Topology` passed to :func:`register_topology`.
"""

from __future__ import annotations

from nexgym.topology.registry import (
    Topology,
    build_runtime,
    get_topology,
    list_topologies,
    peer_topologies,
    register_topology,
)
from nexgym.topology.shapes import (
    TEAM_ROLE,
    apply_topology,
    orchestrated,
    peer_team,
    prepare_spec,
    solo,
    spec_tools,
    split_tools,
)

__all__ = [
    "PEER_TOPOLOGIES",
    "TEAM_ROLE",
    "Topology",
    "apply_topology",
    "build_runtime",
    "get_topology",
    "list_topologies",
    "peer_topologies",
    "prepare_spec",
    "register_topology",
    "spec_tools",
    "split_tools",
]

_PEERS = "nexgym.topology.peers:PeerRuntime"

for _topology in (
    Topology("tree", "the spec as written: any tree of agents", None),
    Topology("single", "one agent holding every tool", solo),
    Topology(
        "centralized",
        "an orchestrator assigns sub-tasks to workers and checks their reports",
        orchestrated,
        assignment_limit=True,
    ),
    Topology(
        "hybrid",
        "centralized, and workers send each other notes with a message tool",
        orchestrated,
        worker_messages=True,
        assignment_limit=True,
    ),
    Topology(
        "independent",
        "an aggregator merges the work of peers on their own worlds, unchecked",
        peer_team,
        runtime=_PEERS,
        peers=True,
    ),
    Topology(
        "decentralized",
        "a moderator runs a debate among peers and selects the winning output",
        peer_team,
        runtime=_PEERS,
        peers=True,
    ),
):
    register_topology(_topology)

#: The peer topologies registered at import (see :func:`peer_topologies` for the live set).
PEER_TOPOLOGIES = peer_topologies()
