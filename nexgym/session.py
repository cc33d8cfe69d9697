"""The one builder of an episode's parts, shared by the Gymnasium, vector and PettingZoo views.

A view is an adapter: it asks :func:`build_session` for the hierarchy (re-shaped by
its topology), the domain and the runtime that executes it on a tool backend, and
:func:`choose_task_seed` for the task of each reset. Whatever a view is given as its
source goes through one reader, :func:`resolve_spec`.

Each hierarchy has its own stream of tasks: ``reset(seed=k)`` plays the domain task
:func:`stream_task_seed` derives from ``k`` and the hierarchy's :func:`task_salt` (its
name, description and persona), so two envs over one domain play different tasks for
one seed, and one env plays the same task for a seed in every view, backend and process.
A task seed (``options={"task_seed": s}``, ``info["task_seed"]``, a ``task_seeds``
split) is always the domain's own seed, as the domain (or its MCP server) generates it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nexgym.catalog import load_catalog_spec
from nexgym.envs.domains import get_domain
from nexgym.envs.domains.kit.base import Domain
from nexgym.error import ConfigError
from nexgym.runtime import Runtime
from nexgym.runtime.backends import make_backend
from nexgym.spec import HierarchySpec, load_spec
from nexgym.topology import build_runtime, prepare_spec

__all__ = [
    "TASK_SEEDS",
    "Session",
    "build_session",
    "choose_task_seed",
    "resolve_spec",
    "salt_of",
    "stream_task_seed",
    "task_salt",
]

#: Task seeds a reset without a seed draws from.
TASK_SEEDS = 2**31 - 1

SpecSource = str | HierarchySpec | dict[str, Any] | Path


def resolve_spec(source: SpecSource) -> HierarchySpec:
    """A spec from a catalog id (``nex/FileOps-v0``) or name (``FileOps``), or any spec source.

    A spec object, a dict, YAML text or a YAML path go to :func:`~nexgym.spec.load_spec`;
    a one-line string that is not a YAML path is looked up in the catalog.
    """
    if isinstance(source, str) and "\n" not in source and not source.endswith((".yaml", ".yml")):
        return load_catalog_spec(source)
    return load_spec(source)


def task_salt(spec: HierarchySpec) -> int:
    """The entropy of a hierarchy's own task stream: a stable hash of what describes it.

    The spec's name, description and persona (``metadata["persona"]``, as the catalog
    sampler records it) go in (:func:`salt_of`); its topology does not, so re-shaping a
    hierarchy (``topology=...``) keeps its tasks and topologies compare on the same ones.
    """
    return salt_of(spec.name, spec.description, str(spec.metadata.get("persona", "")))


def salt_of(name: str, description: str = "", persona: str = "") -> int:
    """:func:`task_salt` of a hierarchy with this name, description and persona."""
    text = "\n".join((name, description, persona))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def stream_task_seed(salt: int | None, index: int) -> int:
    """The domain task seed of a hierarchy's ``index``-th task.

    ``numpy.random.SeedSequence(salt, spawn_key=(index,))`` mixes the two, so streams
    of different salts are independent and no index of one is an index of another
    shifted. ``salt=None`` is the domain's own order (``index`` itself).
    """
    if salt is None:
        return index % TASK_SEEDS
    words = np.random.SeedSequence(salt, spawn_key=(index,)).generate_state(2, np.uint32)
    return (int(words[0]) << 32 | int(words[1])) % TASK_SEEDS


def choose_task_seed(
    options: dict[str, Any] | None,
    seed: int | None,
    task_seeds: Sequence[int] | None,
    rng: Callable[[], np.random.Generator],
    salt: int | None = None,
) -> int:
    """The domain task seed of an episode.

    ``options["task_seed"]`` if given (a domain task seed, as it is); else, on a seeded
    reset, ``task_seeds[seed % len(task_seeds)]`` with a split, else the hierarchy's
    ``seed``-th task (:func:`stream_task_seed` with its ``salt``); else one drawn from
    ``rng()`` the same way. ``reset(seed=k)`` thus plays the same task in every view
    (Gymnasium and PettingZoo); a vector env's ``reset(seed=k)`` plays the hierarchy's
    tasks ``k``, ``k + 1``, ...
    """
    if options and "task_seed" in options:
        return int(options["task_seed"])
    if seed is not None:
        if task_seeds:
            return int(task_seeds[seed % len(task_seeds)])
        return stream_task_seed(salt, seed)
    if task_seeds is not None:
        return int(task_seeds[int(rng().integers(len(task_seeds)))])
    return stream_task_seed(salt, int(rng().integers(TASK_SEEDS)))


@dataclass
class Session:
    """An episode's parts, built once per env and reused across resets.

    Attributes:
        written: the spec as given.
        hierarchy: the spec the runtime executes (re-shaped by a topology, if asked).
        domain: the domain instance.
        runtime: the runtime, on its tool backend.
        task_seeds: the seeds tasks are drawn from (None: any).
        task_salt: the entropy of the hierarchy's task stream (:func:`task_salt`).
    """

    written: HierarchySpec
    hierarchy: HierarchySpec
    domain: Domain
    runtime: Runtime
    task_seeds: list[int] | None
    task_salt: int


def build_session(
    source: SpecSource,
    *,
    topology: str | None = None,
    topology_params: dict[str, Any] | None = None,
    difficulty: int = 1,
    backend: str = "inproc",
    backend_options: dict[str, Any] | None = None,
    max_turns: int | None = None,
    invalid_penalty: float = 0.02,
    task_seeds: Iterable[int] | None = None,
) -> Session:
    """Build the parts of an episode; every view's options of the same name mean this.

    Args:
        source: a catalog id or name, or a spec (object, dict, YAML text or path).
        topology: re-shape the hierarchy (:func:`nexgym.topology.apply_topology`).
        topology_params: ``n``, ``rounds``, ``debate_rounds`` for the topology.
        difficulty: task difficulty.
        backend: where tools run: ``"inproc"`` or ``"mcp"`` (or a registered backend).
        backend_options: the backend's options (for ``"mcp"``: ``timeout``, ...).
        max_turns: overrides every agent's per-invocation turn limit.
        invalid_penalty: reward subtracted from a role for each invalid action.
        task_seeds: draw tasks only from these seeds (a split).

    Raises:
        ConfigError: an option out of range, naming it and the fix.
    """
    if max_turns is not None and max_turns < 1:
        raise ConfigError(f"expected max_turns >= 1 or None, got {max_turns!r}")
    if invalid_penalty < 0:
        raise ConfigError(f"expected invalid_penalty >= 0, got {invalid_penalty!r}")
    seeds = None if task_seeds is None else [int(s) for s in task_seeds]
    if seeds is not None and not seeds:
        raise ConfigError("expected at least one seed in task_seeds, got an empty list")
    written = resolve_spec(source)
    hierarchy = prepare_spec(written, topology, topology_params)
    domain = get_domain(hierarchy.domain)
    runtime = build_runtime(
        hierarchy,
        domain,
        make_backend(backend, domain, **(backend_options or {})),
        difficulty=difficulty,
        invalid_penalty=invalid_penalty,
        max_turns=max_turns,
    )
    return Session(written, hierarchy, domain, runtime, seeds, task_salt(written))
