"""The catalog: every YAML spec under ``envs/catalog/<domain>/`` is a ``nex/<Name>-v0`` env.

Registration reads only file names (the spec is parsed by ``gym.make``, and the spec
module is imported then), so ``import nexgym`` stays fast however large the catalog grows.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from nexgym.catalog import NAMESPACE, catalog_paths, env_id, load_catalog_spec

__all__ = [
    "NAMESPACE",
    "catalog_paths",
    "list_envs",
    "load_catalog_spec",
    "make_from_catalog",
    "register_catalog",
    "representative_envs",
]

#: Episode step limit applied by ``gym.make`` through ``TimeLimit``.
MAX_EPISODE_STEPS = 200


def make_from_catalog(name: str, *, remote: str | None = None, **kwargs: Any) -> gym.Env:
    """Entry point of every catalog id: build a :class:`~nexgym.env.NexEnv`.

    With ``remote="http://host:port"`` the env runs on a ``nexgym serve-env`` server
    instead (a :class:`~nexgym.remote.RemoteEnv`; ``kwargs`` go to the server's session).
    """
    if remote is not None:
        from nexgym.remote.client import RemoteEnv

        return RemoteEnv(remote, env_id(name), **kwargs)
    from nexgym.env import NexEnv

    return NexEnv(load_catalog_spec(name), **kwargs)


def register_catalog() -> None:
    """Register every catalog entry under the ``nex`` namespace (idempotent).

    The specs go straight into ``gym.registry``: ``gym.register`` first scans the
    whole registry for other versions of the same name, which is quadratic in the
    catalog's size (0.7 s of ``import nexgym`` at 1,300 entries). Catalog ids are
    ``nex/<Name>-v0``, one version each, unique by construction (:func:`catalog_paths`
    raises on a duplicate name), so that check could never fail here.
    """
    for name, path in catalog_paths().items():
        gid = env_id(name)
        if gid in gym.registry:
            continue
        gym.registry[gid] = gym.envs.registration.EnvSpec(
            id=gid,
            entry_point="nexgym.registry:make_from_catalog",
            vector_entry_point="nexgym.vector:make_vector",
            kwargs={"name": name},
            max_episode_steps=MAX_EPISODE_STEPS,
            nondeterministic=path.parent.name in NONDETERMINISTIC_DOMAINS,
            disable_env_checker=False,
            # NexEnv enforces the order itself (step and render before reset raise
            # ResetNeeded), so Gymnasium's OrderEnforcing wrapper would only add a layer
            order_enforce=False,
        )


#: Domains whose trajectories depend on real clocks or third-party processes.
NONDETERMINISTIC_DOMAINS = frozenset({"clock"})


def list_envs() -> list[str]:
    """Every registered ``nex/...`` id, sorted."""
    return sorted(k for k in gym.registry if k.startswith(f"{NAMESPACE}/"))


#: The catalog folder of the envs over induced worlds (``nexgym synth --catalog --worlds``).
WORLD_CATALOG = "worlds"


def representative_envs(worlds: int = 24, *, seed: int = 0) -> list[str]:
    """The ids per-env tests run over: every entry but the world catalog's, plus a sample.

    The world catalog holds a thousand envs built the same way (an induced world, a
    synthesized hierarchy); a fixed, seeded sample of ``worlds`` of them stands for it
    in per-env tests, while ``nexgym synth --catalog --worlds`` checks every entry.
    """
    import numpy as np

    paths = catalog_paths()
    own = sorted(env_id(n) for n, p in paths.items() if p.parent.name != WORLD_CATALOG)
    synthesized = sorted(env_id(n) for n, p in paths.items() if p.parent.name == WORLD_CATALOG)
    picked = np.random.default_rng(seed).permutation(len(synthesized))[:worlds]
    return own + [synthesized[int(i)] for i in sorted(picked)]
