"""PettingZoo's own conformance tests on the nexgym views, driven by the registry.

* ``api_test`` and ``parallel_api_test`` on every catalog env as written;
* on one env per domain, for each coordination topology that applies to it:
  both API tests, ``seed_test`` and ``parallel_seed_test`` (deterministic domains),
  and ``max_cycles_test`` (domains of real git repositories: as written only, to
  bound the time). ``NEXGYM_PZ_ALL=1`` runs these on every catalog env instead
  (``NEXGYM_PZ_ALL=1 pytest -n 2 tests/pz/test_pz_conformance.py``, a longer run).

``max_cycles_test`` counts how often each agent is selected and expects the median
agent to act every cycle. The default AEC turn order follows the call stack, where an
agent nobody has called is never selected, so the stock test applies to it only where
every agent acts each cycle (``single``, ``independent``, ``decentralized``); every
topology runs it with ``turn_order="cycle"``, and
``test_stack_order_max_cycles_counts_actions`` checks the stack order's own contract.
"""

from __future__ import annotations

import functools
import os
import types
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import gymnasium as gym
import pytest
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    seed_test,
)

import nexgym
from nexgym.registry import load_catalog_spec
from nexgym.topology import spec_tools

# every hand-written entry and a fixed, seeded sample of the 1,000+ world-catalog
# entries (built alike; `nexgym synth --catalog --worlds` checks them all)
ENV_IDS = nexgym.registry.representative_envs()
TOPOLOGIES = (None, "single", "independent", "centralized", "decentralized", "hybrid")
#: Warnings PettingZoo's tests give for any text-based env (they are advice, not failures).
EXPECTED_WARNINGS = (
    "Observation is not a NumPy array",
    "Observation space for each agent probably should be",
    "Action space for each agent probably should be",
    "We recommend agents to be named",
    "Agents have different observation space sizes",
)
API_CYCLES = 4
#: Domains whose worlds are real git repositories (about 0.5 s a reset, 0.3 s a fork):
#: their sample covers the spec as written (test_pz_semantics runs a peer team on one).
HEAVY_DOMAINS = {"gitrepo": (None,)}


def _first_per_domain() -> list[str]:
    """The first env of each domain; every env with ``NEXGYM_PZ_ALL=1`` (a longer run)."""
    if os.environ.get("NEXGYM_PZ_ALL") == "1":
        return list(ENV_IDS)
    chosen: dict[str, str] = {}
    for env_id in ENV_IDS:
        chosen.setdefault(load_catalog_spec(env_id).domain, env_id)
    return sorted(chosen.values())


def _topology_kwargs(env_id: str, topology: str | None) -> dict[str, Any]:
    """Make kwargs for a topology; teams of workers need a tool each, so n <= tools."""
    if topology is None:
        return {}
    tools = len(spec_tools(load_catalog_spec(env_id)))
    n = min(3, tools) if topology in ("centralized", "hybrid") else 3
    return {"topology": topology, "topology_params": {"n": n}}


SAMPLE = [
    pytest.param(env_id, topology, id=f"{env_id}-{topology or 'as_written'}")
    for env_id in _first_per_domain()
    for topology in HEAVY_DOMAINS.get(load_catalog_spec(env_id).domain, TOPOLOGIES)
]
DETERMINISTIC_SAMPLE = [p for p in SAMPLE if not gym.spec(p.values[0]).nondeterministic]


@contextmanager
def only_expected_warnings() -> Iterator[None]:
    """Fail on any PettingZoo warning beyond the advice every text env gets."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    unexpected = [
        str(w.message) for w in caught if not str(w.message).startswith(EXPECTED_WARNINGS)
    ]
    assert unexpected == []


def factory(maker: Callable[..., Any], env_id: str, **kwargs: Any) -> Callable[..., Any]:
    return functools.partial(maker, env_id, **kwargs)


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_aec_api(env_id: str) -> None:
    env = nexgym.pz.env(env_id)
    try:
        with only_expected_warnings():
            api_test(env, num_cycles=API_CYCLES)
    finally:
        env.close()


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_parallel_api(env_id: str) -> None:
    env = nexgym.pz.parallel_env(env_id)
    try:
        with only_expected_warnings():
            parallel_api_test(env, num_cycles=API_CYCLES)
    finally:
        env.close()


@pytest.mark.parametrize(("env_id", "topology"), SAMPLE)
def test_topology_api(env_id: str, topology: str | None) -> None:
    """As written, only the cycle order is new here (test_aec_api covers the rest)."""
    kwargs = _topology_kwargs(env_id, topology)
    aec = nexgym.pz.env(env_id, turn_order="cycle", **kwargs)
    try:
        with only_expected_warnings():
            api_test(aec, num_cycles=API_CYCLES)
            if topology is not None:
                api_test(nexgym.pz.env(env_id, **kwargs), num_cycles=API_CYCLES)
                parallel_api_test(nexgym.pz.parallel_env(env_id, **kwargs), num_cycles=API_CYCLES)
    finally:
        aec.close()


@pytest.mark.parametrize(("env_id", "topology"), DETERMINISTIC_SAMPLE)
def test_seeds(env_id: str, topology: str | None) -> None:
    kwargs = _topology_kwargs(env_id, topology)
    seed_test(factory(nexgym.pz.env, env_id, **kwargs), num_cycles=5)
    parallel_seed_test(factory(nexgym.pz.parallel_env, env_id, **kwargs), num_cycles=5)


@pytest.mark.parametrize(("env_id", "topology"), SAMPLE)
def test_max_cycles(env_id: str, topology: str | None) -> None:
    kwargs = _topology_kwargs(env_id, topology)
    cycled = types.SimpleNamespace(
        env=factory(nexgym.pz.env, env_id, turn_order="cycle", **kwargs),
        parallel_env=factory(nexgym.pz.parallel_env, env_id, **kwargs),
    )
    max_cycles_test(cycled)
    spec_topology = topology or load_catalog_spec(env_id).topology
    if spec_topology == "single":  # one agent acts in every cycle, as the test expects
        stacked = types.SimpleNamespace(
            env=factory(nexgym.pz.env, env_id, **kwargs),
            parallel_env=factory(nexgym.pz.parallel_env, env_id, **kwargs),
        )
        max_cycles_test(stacked)


@pytest.mark.parametrize("topology", ["centralized", "hybrid", None])
def test_stack_order_max_cycles_counts_actions(topology: str | None) -> None:
    """In a tree every cycle is one action: after max_cycles actions everyone is truncated."""
    kwargs = _topology_kwargs("nex/FileOps-v0", topology)
    env = nexgym.pz.env("nex/FileOps-v0", max_cycles=5, **kwargs)
    env.reset(seed=3)
    live_steps = 0
    for _agent in env.agent_iter():
        _obs, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        live_steps += 1
        env.step({"text": "not a tool call"})
    assert live_steps == 5
    assert env.runtime.stop_reason == "max_cycles" and env.runtime.turns == 5
