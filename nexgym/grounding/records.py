"""The record of an episode an env has just played: what trajectories are made of.

:func:`build_record` reads the env's runtime (transcripts per role, spans, verdict)
and its wrapper stack; :class:`~nexgym.wrappers.RecordTrajectories` and ``nexgym
rollout`` both write what it returns.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

import gymnasium as gym

from nexgym.grounding.trajectories import (
    AgentTranscript,
    EpisodeRecord,
    NoiseConfig,
    SpanRecord,
    record_key,
)

if TYPE_CHECKING:
    from nexgym.env import NexEnv

__all__ = ["build_record"]


def _noise_config(env: gym.Env[str, str], name: str | None) -> NoiseConfig:
    stack: list[str] = []
    current: Any = env
    while isinstance(current, gym.Wrapper):
        saved = getattr(current, "_saved_kwargs", None)
        if saved is not None and current.__module__.startswith("nexgym.wrappers"):
            args = json.dumps(saved, default=str, sort_keys=True)
            stack.append(f"{type(current).__name__}({args})")
        current = current.env
    if name is None:
        name = "custom" if stack else "none"
    return NoiseConfig(name=name, wrappers=stack[::-1])


def build_record(
    env: gym.Env[str, str],
    *,
    policy: str,
    episode: int,
    seed: int,
    reward: float,
    steps: int,
    wall_seconds: float,
    noise: str | None = None,
) -> EpisodeRecord:
    """The record of the episode ``env`` has just played (read from its runtime).

    ``noise`` names the noise (default: "none", or "custom" when ``env`` has noise
    wrappers); the wrapper stack itself is always recorded.
    """
    base = cast("NexEnv", env.unwrapped)
    runtime = base.runtime
    env_id = env.spec.id if env.spec is not None else f"nex/{base.hierarchy.name}-v0"
    transcripts = [
        AgentTranscript(role=role, messages=messages, tools=json.dumps(runtime.tool_schemas(role)))
        for role, messages in runtime.transcripts
    ]
    root = next((t for t in transcripts if t.role == runtime.spec.root), None)
    spans = [
        SpanRecord(
            id=s.id,
            parent=s.parent,
            kind=s.kind,
            name=s.name,
            role=s.role,
            start=s.start,
            end=s.end,
            attributes=json.dumps(s.attributes, default=str),
        )
        for s in runtime.trace
    ]
    verdict = runtime.verdict
    controlled = set(base.controlled)
    if controlled == {runtime.spec.root}:
        control = "root"
    elif controlled == set(runtime.spec.agent_names):
        control = "all"
    else:
        control = ",".join(sorted(controlled))
    return EpisodeRecord(
        key=record_key(env_id, policy, episode),
        env_id=env_id,
        policy=policy,
        episode=episode,
        seed=seed,
        task_seed=base.task_seed,
        difficulty=runtime.difficulty,
        control=control,
        backend=runtime.backend.name,
        noise=_noise_config(env, noise),
        messages=root.messages if root else [],
        tools=root.tools if root else "[]",
        transcripts=transcripts,
        spans=spans,
        reward=float(reward),
        score=verdict.score if verdict else 0.0,
        success=bool(verdict and verdict.solved),
        stop_reason=runtime.stop_reason or "step_limit",
        steps=steps,
        turns=runtime.turns,
        virtual_seconds=runtime.clock,
        wall_seconds=wall_seconds,
    )
