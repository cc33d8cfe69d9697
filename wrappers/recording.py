"""RecordTrajectories: write each finished episode of a wrapped env as a trajectory record."""

from __future__ import annotations

import os
import time
from typing import Any, SupportsFloat

import gymnasium as gym

from nexgym.error import ConfigError

__all__ = ["RecordTrajectories"]


class RecordTrajectories(gym.Wrapper[str, str, str, str], gym.utils.RecordConstructorArgs):
    r"""Writes every episode that ends to ``<out_dir>/trajectories.jsonl``.

    Each record (:class:`~nexgym.grounding.trajectories.EpisodeRecord`) holds every
    agent's chat transcript with its tool schemas, the spans, the timings, the return
    and whether the task was solved; writing is crash-safe (see
    :class:`~nexgym.grounding.trajectories.TrajectoryWriter`). Episodes are keyed
    ``env_id|policy|n`` with ``n`` counting this wrapper's episodes from
    ``first_episode``; ``resume=True`` continues a directory, skipping nothing itself
    (pick ``first_episode`` past the records already there).

    Text that UTF-8 cannot hold never stops a record: a lone surrogate in an action or
    an answer (``"\udc80"``, as a model's byte-level decoding can emit) is stored as
    U+FFFD, the replacement character (a valid surrogate pair as the character it
    encodes); see :func:`~nexgym.grounding.trajectories.record_json`.

    Args:
        env: a nexgym env (put it outermost to record what the policy saw).
        out_dir: the run directory.
        policy: the policy's name, for the records.
        only_success: write only solved episodes.
        resume: append to a directory that already holds records.
        first_episode: the index of the first episode recorded.
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        out_dir: str | os.PathLike[str],
        *,
        policy: str = "policy",
        only_success: bool = False,
        resume: bool = False,
        first_episode: int = 0,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            out_dir=os.fspath(out_dir),
            policy=policy,
            only_success=only_success,
            resume=resume,
            first_episode=first_episode,
        )
        super().__init__(env)
        if first_episode < 0:
            raise ConfigError(f"expected first_episode >= 0, got {first_episode!r}")
        from nexgym.grounding.trajectories import TrajectoryWriter

        self.writer = TrajectoryWriter(out_dir, only_success=only_success, resume=resume)
        self.policy = policy
        self.episode = first_episode
        self._seed: int | None = None
        self._return = 0.0
        self._steps = 0
        self._start = 0.0
        self._open = False

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start recording a new episode."""
        self._start = time.perf_counter()
        obs, info = self.env.reset(seed=seed, options=options)
        self._seed = seed
        self._return = 0.0
        self._steps = 0
        self._open = True
        return obs, info

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step; when the episode ends, write its record (``info["record_key"]``)."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        self._steps += 1
        if (terminated or truncated) and self._open:
            from nexgym.grounding.records import build_record

            record = build_record(
                self.env,
                policy=self.policy,
                episode=self.episode,
                seed=-1 if self._seed is None else self._seed,
                reward=self._return,
                steps=self._steps,
                wall_seconds=time.perf_counter() - self._start,
            )
            if record.key not in self.writer:
                self.writer.write(record)
            info["record_key"] = record.key
            self.episode += 1
            self._open = False
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        """Close the trajectory files and the env."""
        self.writer.close()
        super().close()
