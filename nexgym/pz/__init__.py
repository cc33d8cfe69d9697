"""PettingZoo views of every hierarchy: each role is an agent.

* :func:`env` builds a :class:`NexAECEnv`: the agent to act follows the runtime's call
  stack (in a peer team too: the aggregator calls its peers like sub-agents).
* :func:`parallel_env` builds a :class:`NexParallelEnv`: every live agent acts each
  cycle; agents with nothing to do observe a waiting note and their actions are ignored.

Both take a catalog id (``"nex/FileOps-v0"``) or a spec, plus ``max_cycles``,
``topology`` and ``topology_params`` and the :class:`~nexgym.env.NexEnv` options::

    import nexgym

    env = nexgym.pz.parallel_env("nex/FileOps-v0", topology="hybrid", max_cycles=100)

:class:`nexgym.wrappers.NumericRoles` gives every role ``Discrete`` actions and ``Box``
observations for RL libraries (SuperSuit and SB3, RLlib); ``examples/train_pettingzoo.py``
trains with it.
The noise sources (faults, latency, result noise, schema drift, budgets) apply to both
views through :mod:`nexgym.wrappers.noise.pz`
(``NoiseParallel(env, ToolFaultsSource(outage_rate=0.5))``), as their wrappers apply
them to the Gymnasium view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nexgym.pz.aec import NexAECEnv
from nexgym.pz.parallel import NexParallelEnv
from nexgym.spec import HierarchySpec

__all__ = ["NexAECEnv", "NexParallelEnv", "env", "parallel_env"]


def __getattr__(name: str) -> Any:
    # NumericRoles is a wrapper and lives with the wrappers now; the old name still works
    if name == "NumericRoles":
        import warnings

        from nexgym.wrappers.spaces.numeric_roles import NumericRoles

        warnings.warn(
            "nexgym.pz.NumericRoles moved to nexgym.wrappers.NumericRoles",
            DeprecationWarning,
            stacklevel=2,
        )
        return NumericRoles
    raise AttributeError(f"module 'nexgym.pz' has no attribute {name!r}")


def env(env_id: str | HierarchySpec | dict[str, Any] | Path, **kwargs: Any) -> NexAECEnv:
    """The AEC env of a catalog id or spec (see :class:`NexAECEnv` for the arguments)."""
    return NexAECEnv(env_id, **kwargs)


def parallel_env(
    env_id: str | HierarchySpec | dict[str, Any] | Path, **kwargs: Any
) -> NexParallelEnv:
    """The Parallel env of a catalog id or spec (see :class:`NexParallelEnv`)."""
    return NexParallelEnv(env_id, **kwargs)
