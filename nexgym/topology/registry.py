"""One object per coordination topology, behind one registry.

A :class:`Topology` says how to re-shape a spec into its team (``shape``), which
runtime executes the team (``runtime``) and what that runtime enforces
(``worker_messages``, ``assignment_limit``). :func:`build_runtime` is how a view makes
the runtime of a spec; nothing else picks a runtime class or compares topology names.
Adding a topology is one :func:`register_topology` call (see ``CONTRIBUTING.md``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nexgym.error import ConfigError, UnknownNameError

if TYPE_CHECKING:
    from nexgym.envs.domains.kit.base import Domain
    from nexgym.runtime import Runtime
    from nexgym.runtime.backends import ToolBackend
    from nexgym.spec import AgentSpec, HierarchySpec, TopologyParams
    from nexgym.topology.shapes import Team

__all__ = [
    "Topology",
    "build_runtime",
    "get_topology",
    "list_topologies",
    "peer_topologies",
    "register_topology",
]

Shape = Callable[["Team"], tuple[list["AgentSpec"], str, "TopologyParams"]]


@dataclass(frozen=True)
class Topology:
    """A coordination topology.

    Attributes:
        name: what a spec's ``topology:`` field says.
        summary: one line for documentation and ``nexgym show``.
        shape: re-shapes a team (:class:`~nexgym.topology.shapes.Team`) into
            ``(agents, root, params)``; None keeps the spec as written.
        runtime: ``"module:Class"`` of the runtime that executes it (imported at use).
        peers: whether its agents are peers working on their own copies of the world.
        worker_messages: whether workers get a ``message`` tool to note each other.
        assignment_limit: whether ``topology_params.rounds`` caps how often one
            sub-task is assigned (a first try, then re-assignments).
    """

    name: str
    summary: str
    shape: Shape | None
    runtime: str = "nexgym.runtime.executor:Runtime"
    peers: bool = False
    worker_messages: bool = False
    assignment_limit: bool = False

    def runtime_class(self) -> type[Runtime]:
        """The runtime class, imported."""
        module, _, name = self.runtime.partition(":")
        cls: type[Runtime] = getattr(importlib.import_module(module), name)
        return cls


_TOPOLOGIES: dict[str, Topology] = {}


def register_topology(topology: Topology, *, replace: bool = False) -> None:
    """Make ``topology`` known to specs, views and :func:`apply_topology`.

    Raises:
        ConfigError: the name is taken (pass ``replace=True``) or ``runtime`` is not
            ``"module:Class"``.
    """
    if topology.runtime.count(":") != 1:
        raise ConfigError(
            f"topology {topology.name!r}: expected runtime as 'module:Class', "
            f"got {topology.runtime!r}"
        )
    if topology.name in _TOPOLOGIES and not replace:
        raise ConfigError(
            f"topology {topology.name!r} is registered already; pass replace=True to replace it"
        )
    _TOPOLOGIES[topology.name] = topology


def get_topology(name: str) -> Topology:
    """The registered topology called ``name`` (an error suggests the closest names)."""
    try:
        return _TOPOLOGIES[name]
    except KeyError:
        raise UnknownNameError("topology", name, sorted(_TOPOLOGIES)) from None


def list_topologies() -> list[str]:
    """Names of every registered topology."""
    return sorted(_TOPOLOGIES)


def peer_topologies() -> frozenset[str]:
    """Names of the topologies whose agents are peers on their own worlds."""
    return frozenset(name for name, t in _TOPOLOGIES.items() if t.peers)


def build_runtime(
    spec: HierarchySpec,
    domain: Domain,
    backend: ToolBackend | None = None,
    **options: Any,
) -> Runtime:
    """The runtime that executes ``spec`` under its topology.

    Args:
        spec: the (prepared) hierarchy.
        domain: the domain instance the tools act on.
        backend: where domain tools run (in-process when None).
        **options: the runtime's keyword options (``difficulty``, ``max_turns``, ...).
    """
    topology = get_topology(spec.topology)
    rounds = spec.topology_params.rounds
    return topology.runtime_class()(
        spec,
        domain,
        backend,
        worker_messages=topology.worker_messages,
        assignment_limit=rounds if topology.assignment_limit else None,
        **options,
    )
