"""nexgym: Gymnasium and PettingZoo environments for LLM agents, built from agent hierarchies.

``import nexgym`` registers every catalog env under the ``nex`` namespace::

    import gymnasium as gym
    import nexgym

    env = gym.make("nex/FileOps-v0")

Heavy parts (MCP, torch, transformers, Ray) are imported only when used.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nexgym.registry import list_envs, register_catalog

if TYPE_CHECKING:
    import gymnasium as gym

    from nexgym.runtime.view import RuntimeView
    from nexgym.spec import HierarchySpec

__all__ = ["list_envs", "make_env", "runtime_view", "synthesize"]
__version__ = "0.1.0"

_SUBMODULES = {
    "pz",
    "policies",
    "wrappers",
    "metrics",
    "synth",
    "spec",
    "runtime",
    "env",
    "error",
    "grounding",
    "mcp",
    "training",
    "envs",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"nexgym.{name}")
    raise AttributeError(f"module 'nexgym' has no attribute {name!r}")


def runtime_view(env: object) -> RuntimeView:
    """The read-only view of the runtime under a nexgym env of any view, wrapped or not.

    See :class:`nexgym.runtime.view.RuntimeView`: what policies and wrappers may read.
    """
    from nexgym.runtime.view import runtime_view as _runtime_view

    return _runtime_view(env)


def synthesize(text: str, *, seed: int = 0) -> HierarchySpec:
    """Synthesize a hierarchy spec from a natural-language description (offline)."""
    from nexgym.synth import synthesize as _synthesize

    return _synthesize(text, seed=seed)


def make_env(spec_or_text: Any, **kwargs: Any) -> gym.Env:
    """Build an env from a registered id, a spec (object, dict or YAML path) or a description.

    The env comes wrapped as ``gym.make`` wraps catalog envs (``TimeLimit`` included),
    and its ``spec`` records how to rebuild it.
    """
    import gymnasium as gym

    from nexgym.registry import MAX_EPISODE_STEPS, NAMESPACE
    from nexgym.spec import HierarchySpec, load_spec

    if isinstance(spec_or_text, str) and spec_or_text.startswith(f"{NAMESPACE}/"):
        return gym.make(spec_or_text, **kwargs)
    if isinstance(spec_or_text, HierarchySpec | dict | Path) or (
        isinstance(spec_or_text, str)
        and (spec_or_text.rstrip().endswith((".yaml", ".yml")) or "\nagents:" in spec_or_text)
    ):
        spec = load_spec(spec_or_text)
    else:
        from nexgym.synth.check import oracle_check

        spec = synthesize(str(spec_or_text), seed=int(kwargs.pop("seed", 0)))
        # executable by construction: a fresh spec is handed out only once solved
        oracle_check(spec, **kwargs)
    env_spec = gym.envs.registration.EnvSpec(
        id=f"{NAMESPACE}/{spec.name}-v0",
        entry_point="nexgym.env:NexEnv",
        kwargs={"spec": spec.to_dict()},
        max_episode_steps=kwargs.pop("max_episode_steps", MAX_EPISODE_STEPS),
    )
    return gym.make(env_spec, **kwargs)


register_catalog()
