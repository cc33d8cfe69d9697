"""Roll policies out across envs: episodes as :class:`EpisodeRecord`, and a summary table.

::

    from nexgym.rollout import rollout, summarize, format_summary

    records = list(rollout(["nex/FileOps-v0"], ["oracle", "random"], episodes=5))
    print(format_summary(summarize(records)))

Episode ``i`` of every env and policy is reset with seed ``seed + i``, so policies are
compared on the same tasks. ``noise="realistic"`` wraps each env in
:class:`~nexgym.wrappers.Latency` and :class:`~nexgym.wrappers.ToolFaults` driven by the
shipped ``realistic`` noise profile (a profile name or YAML path works too).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym

from nexgym.error import ConfigError
from nexgym.grounding.records import build_record
from nexgym.grounding.trajectories import EpisodeRecord, record_key
from nexgym.session import stream_task_seed

if TYPE_CHECKING:
    pass

__all__ = [
    "REALISTIC_OUTAGE_RATE",
    "EpisodeOutcome",
    "EpisodeRecord",
    "SummaryRow",
    "apply_noise",
    "build_record",
    "episode_outcome",
    "format_summary",
    "make_rollout_env",
    "noise_outage_rate",
    "rollout",
    "run_episode",
    "summarize",
]

#: Probability per episode of a tool outage under a noise profile that has no fitted
#: outage rate (one written by hand, or fitted on a log without episode ids).
REALISTIC_OUTAGE_RATE = 0.25
#: Controlled steps after which an episode is cut (gym.make's TimeLimit usually cuts first).
MAX_EPISODE_STEPS = 10_000


def apply_noise(env: gym.Env[str, str], noise: str | os.PathLike[str] | None) -> gym.Env[str, str]:
    """Wrap ``env`` in the noise called ``noise``.

    Args:
        env: a nexgym env.
        noise: ``"none"`` (or None), ``"realistic"`` or another shipped profile name, or
            a profile YAML path: latency (:class:`~nexgym.wrappers.Latency`) and faults
            with outages (:class:`~nexgym.wrappers.ToolFaults`) from that profile.
    """
    if noise is None or str(noise) == "none":
        return env
    from nexgym.wrappers.noise.faults import ToolFaults
    from nexgym.wrappers.noise.latency import Latency

    recorded = os.fspath(noise)  # a name or path (not the profile) keeps env.spec serializable
    env = Latency(env, recorded)
    return ToolFaults(env, recorded, outage_rate=noise_outage_rate(recorded))


def noise_outage_rate(noise: str | os.PathLike[str]) -> float:
    """The outage rate :func:`apply_noise` uses for a profile name or YAML path.

    A profile fitted from episodes carries its own (the shipped ``realistic`` one
    does); others get :data:`REALISTIC_OUTAGE_RATE`.
    """
    from nexgym.wrappers.noise.latency import load_profile

    fitted = load_profile(os.fspath(noise)).outage_rate
    return REALISTIC_OUTAGE_RATE if fitted is None else fitted


def make_rollout_env(
    env_id: str,
    *,
    noise: str | os.PathLike[str] | None = "none",
    **kwargs: Any,
) -> gym.Env[str, str]:
    """``gym.make(env_id, **kwargs)`` wrapped in ``noise``."""
    return apply_noise(gym.make(env_id, **kwargs), noise)


Policy = Callable[[Any, dict[str, Any]], Any]


def run_episode(
    env: gym.Env[str, str],
    policy: Policy,
    seed: int,
    *,
    policy_name: str = "policy",
    episode: int = 0,
    noise: str = "none",
    task_seed: int | None = None,
) -> EpisodeRecord:
    """Play one episode of ``policy`` on ``env`` from ``reset(seed=seed)``; its record.

    ``task_seed`` plays that task instead of task ``seed`` (a repeated trial of a task).
    """
    start = time.perf_counter()
    options = None if task_seed is None else {"task_seed": task_seed}
    obs, info = env.reset(seed=seed, options=options)
    total = 0.0
    steps = 0
    for steps in range(1, MAX_EPISODE_STEPS + 1):  # noqa: B007 - steps is read after the loop
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        total += float(reward)
        if terminated or truncated:
            break
    return build_record(
        env,
        policy=policy_name,
        episode=episode,
        seed=seed,
        reward=total,
        steps=steps,
        wall_seconds=time.perf_counter() - start,
        noise=noise,
    )


def rollout(
    env_ids: Sequence[str],
    policies: Sequence[str],
    episodes: int,
    *,
    seed: int = 0,
    noise: str | os.PathLike[str] | None = "none",
    skip: Iterable[str] = (),
    env_kwargs: dict[str, Any] | None = None,
    wrap: Callable[[gym.Env[str, str]], gym.Env[str, str]] | None = None,
    trials: int = 1,
) -> Iterator[EpisodeRecord]:
    """Play ``episodes`` episodes of each policy on each env; yields each record.

    Args:
        env_ids: Gymnasium ids.
        policies: policy names for :func:`~nexgym.policies.make_policy`.
        episodes: episodes per env and policy; episode ``i`` uses seed ``seed + i``.
        seed: the first episode's seed.
        noise: see :func:`apply_noise`.
        skip: record keys to leave out (episodes a resumed run already has).
        env_kwargs: passed to ``gym.make`` (``difficulty``, ``control``, ``backend``...).
        wrap: more wrappers to put around each env, outside the noise.
        trials: episodes per task: episode ``i`` then plays the env's task
            ``seed + i // trials`` (its reset seed is still ``seed + i``), so pass^k can
            be measured.
    """
    from nexgym.policies import make_policy

    if episodes < 0:
        raise ConfigError(f"expected episodes >= 0, got {episodes!r}")
    if trials < 1:
        raise ConfigError(f"expected trials >= 1 (episodes per task), got {trials!r}")
    done = set(skip)
    noise_name = "none" if noise is None else Path(os.fspath(noise)).stem
    for env_id in env_ids:
        for policy_name in policies:
            todo = [i for i in range(episodes) if record_key(env_id, policy_name, i) not in done]
            if not todo:
                continue
            env = make_rollout_env(env_id, noise=noise, **(env_kwargs or {}))
            if wrap is not None:
                env = wrap(env)
            try:
                policy = make_policy(policy_name, env)
                salt = env.get_wrapper_attr("task_salt") if trials > 1 else None
                for i in todo:
                    yield run_episode(
                        env,
                        policy,
                        seed + i,
                        policy_name=policy_name,
                        episode=i,
                        noise=noise_name,
                        task_seed=None
                        if trials == 1
                        else stream_task_seed(salt, seed + i // trials),
                    )
            finally:
                env.close()


@dataclass(frozen=True)
class EpisodeOutcome:
    """What a summary needs of an episode (records are large; this is not)."""

    env_id: str
    policy: str
    success: bool
    reward: float
    turns: int
    virtual_seconds: float
    wall_seconds: float
    task_seed: int | None = None


def episode_outcome(record: EpisodeRecord) -> EpisodeOutcome:
    """The summary fields of a record."""
    return EpisodeOutcome(
        record.env_id,
        record.policy,
        record.success,
        record.reward,
        record.turns,
        record.virtual_seconds,
        record.wall_seconds,
        record.task_seed,
    )


@dataclass(frozen=True)
class SummaryRow:
    """Aggregates of one env and policy.

    ``pass_k`` is :func:`~nexgym.metrics.pass_hat_k` over the episodes grouped by task
    seed, with ``k`` the fewest episodes any of those tasks had: with one episode per
    task, ``k`` is 1 and ``pass_k`` the success rate.
    """

    env_id: str
    policy: str
    episodes: int
    success_rate: float
    mean_reward: float
    mean_turns: float
    mean_virtual_seconds: float
    episodes_per_second: float
    pass_k: float = math.nan
    k: int = 1


def summarize(records: Iterable[EpisodeRecord | EpisodeOutcome]) -> list[SummaryRow]:
    """One row per (env, policy), in order of first appearance."""
    from nexgym.metrics import pass_hat_k

    groups: dict[tuple[str, str], list[EpisodeRecord | EpisodeOutcome]] = {}
    for record in records:
        groups.setdefault((record.env_id, record.policy), []).append(record)
    rows = []
    for (env_id, policy), group in groups.items():
        n = len(group)
        wall = sum(r.wall_seconds for r in group)
        by_task: dict[Any, list[bool]] = {}
        for i, r in enumerate(group):  # an episode of unknown task is a task of its own
            task = ("episode", i) if r.task_seed is None else r.task_seed
            by_task.setdefault(task, []).append(r.success)
        k = min(len(t) for t in by_task.values())
        rows.append(
            SummaryRow(
                env_id=env_id,
                policy=policy,
                episodes=n,
                success_rate=sum(r.success for r in group) / n,
                mean_reward=sum(r.reward for r in group) / n,
                mean_turns=sum(r.turns for r in group) / n,
                mean_virtual_seconds=sum(r.virtual_seconds for r in group) / n,
                episodes_per_second=n / wall if wall > 0 else float("inf"),
                pass_k=pass_hat_k(by_task, k),
                k=k,
            )
        )
    return rows


def format_summary(rows: Sequence[SummaryRow]) -> str:
    """A plain-text table: env, policy, episodes, success, pass^k, reward, turns, eps/s.

    The pass^k cell names its ``k`` (see :class:`SummaryRow`).
    """
    header = (
        "env",
        "policy",
        "episodes",
        "success",
        "pass^k",
        "reward",
        "turns",
        "virtual s",
        "eps/s",
    )
    body = [
        (
            r.env_id,
            r.policy,
            str(r.episodes),
            f"{r.success_rate:.0%}",
            f"{r.pass_k:.0%} (k={r.k})",
            f"{r.mean_reward:.3f}",
            f"{r.mean_turns:.1f}",
            f"{r.mean_virtual_seconds:.1f}",
            f"{r.episodes_per_second:.1f}",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]
    numeric = range(2, len(header))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(b) for b in body)])
