"""Check that the oracle solves a freshly synthesized hierarchy before it is handed out.

:func:`oracle_check` plays a few seeded episodes with
:class:`~nexgym.policies.OraclePolicy` through the hierarchy. A spec passes when every
episode ends solved; otherwise the error says which seed failed and why (a tool the
plan needs that no agent holds, or the verifier's unmet checks).
"""

from __future__ import annotations

from typing import Any

from nexgym.spec import HierarchySpec
from nexgym.synth.errors import SynthesisError

__all__ = ["oracle_check"]


def oracle_check(spec: HierarchySpec, *, seeds: int = 3, **env_kwargs: Any) -> None:
    """Raise :class:`SynthesisError` unless the oracle solves ``seeds`` episodes of ``spec``.

    Args:
        spec: the synthesized hierarchy.
        seeds: how many seeded episodes to play (seeds 0, 1, ...).
        env_kwargs: passed to the env (``difficulty``, ``max_turns``; the backend is
            always in-process here).
    """
    from nexgym.env import NexEnv
    from nexgym.policies import OraclePolicy

    kwargs = {k: v for k, v in env_kwargs.items() if k in ("difficulty", "max_turns")}
    env = NexEnv(spec, **kwargs)
    held = spec.all_tools()
    try:
        for seed in range(seeds):
            obs, info = env.reset(seed=seed)
            task = env.runtime.task
            if task is None:  # a reset always draws a task; keep mypy and readers sure
                continue
            missing = sorted(task.tools_used() - set(held)) if task.plans else []
            if all(any(c.name not in held for c in plan) for plan in task.plans) and missing:
                raise SynthesisError(
                    f"(oracle): no agent holds {', '.join(missing)}, which the task of seed "
                    f"{seed} needs; say which role does that work, or drop what rules it out",
                    text=str(spec.metadata.get("source", spec.name)),
                )
            policy = OraclePolicy(env)
            reward: Any = 0.0
            terminated = False
            for _ in range(200):
                obs, reward, terminated, truncated, info = env.step(policy(obs, info))
                if terminated or truncated:
                    break
            verdict = env.runtime.verdict
            if not terminated or verdict is None or not verdict.solved:
                unmet = [text for text, ok in (verdict.checks if verdict else ()) if not ok]
                raise SynthesisError(
                    f"(oracle): the oracle does not solve seed {seed} through this hierarchy "
                    f"(reward {float(reward):.2f}); unmet: {unmet or 'the episode did not end'}",
                    text=str(spec.metadata.get("source", spec.name)),
                )
    finally:
        env.close()
