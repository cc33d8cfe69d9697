"""Policies: ``policy(observation, info) -> action``, each built for the env it plays.

``HFPolicy`` (transformers) and ``OpenAIChatPolicy`` (httpx) are imported lazily so that
``import nexgym`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexgym.policies.oracle import OraclePolicy
from nexgym.policies.random import RandomPolicy
from nexgym.teammates.instructed import InstructedTeammate

if TYPE_CHECKING:
    from nexgym.runtime.view import HierarchyEnv

__all__ = [
    "HFPolicy",
    "InstructedTeammate",
    "OpenAIChatPolicy",
    "OraclePolicy",
    "RandomPolicy",
    "make_policy",
]


def __getattr__(name: str) -> Any:
    if name == "HFPolicy":
        from nexgym.policies.hf import HFPolicy

        return HFPolicy
    if name == "OpenAIChatPolicy":
        from nexgym.policies.openai_chat import OpenAIChatPolicy

        return OpenAIChatPolicy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_policy(name: str, env: HierarchyEnv, **kwargs: Any) -> Any:
    """Build a policy by name for ``env``.

    Names: ``"oracle"``, ``"random"``, ``"robust-oracle"``, the root ablations of
    :mod:`nexgym.policies.ablations` (``"finish-at-once"``, ``"task-blind-sweep"``, ...),
    or ``"hf:DIR"`` for
    :class:`HFPolicy` on the local checkpoint folder ``DIR`` (loaded once per process
    and shared by the envs that use it; needs ``nexgym[llm]``).
    """
    from nexgym.error import UnknownNameError
    from nexgym.policies.ablations import ABLATIONS
    from nexgym.policies.robust import RobustOraclePolicy

    if name.startswith("hf:"):
        from nexgym.policies.hf import HFPolicy, load_checkpoint

        model, tokenizer = load_checkpoint(name.removeprefix("hf:"))
        return HFPolicy(env, model, tokenizer, **kwargs)
    factories = {
        "oracle": OraclePolicy,
        "random": RandomPolicy,
        "robust-oracle": RobustOraclePolicy,
        **ABLATIONS,
    }
    if name not in factories:
        raise UnknownNameError("policy", name, [*factories, "hf:DIR"])
    return factories[name](env, **kwargs)
