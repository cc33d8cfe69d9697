"""The PettingZoo adapters of the noise sources: the same middlewares on the AEC and Parallel views.

A noise source (:class:`~nexgym.wrappers.noise.middleware.NoiseSource`) wraps the
runtime's domain tool calls, so it acts on every role's calls in every view. These
adapters attach one to a PettingZoo env and call its hooks as
:class:`~nexgym.wrappers.noise.middleware.ToolCallWrapper` does in the Gymnasium view:
at each reset the source's generator is derived from the env's ``np_random`` (which a
seeded reset seeds as Gymnasium does), so the same seed and the same actions give the
same faults and the same observations in both views. A source's ``info`` keys go into
every agent's ``info``, and its observation changes (the budget tracker) into every
agent's text.

Example:
    >>> import nexgym
    >>> from nexgym.wrappers.noise import ToolFaultsSource
    >>> from nexgym.wrappers.noise.pz import NoiseParallel
    >>> env = NoiseParallel(
    ...     nexgym.pz.parallel_env("nex/FileOps-v0"), ToolFaultsSource(error_rate=0.2)
    ... )
    >>> observations, infos = env.reset(seed=0)

The end of an episode is the env's: a source that stops the runtime inside a call (a
time budget reached, a tool budget spent) ends it for every agent at that step; the
Gymnasium adapter's extra check after a step (:meth:`NoiseSource.overdue`, for a
runtime that charges time per turn) has no counterpart here, as the PettingZoo views
charge none.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils import seeding
from nexgym.wrappers.noise.middleware import NoiseSource
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import BaseParallelWrapper, BaseWrapper

from nexgym.pz.episode import TEXT_KEY
from nexgym.runtime.view import runtime_control

__all__ = ["NoiseAEC", "NoiseParallel"]

Observation = dict[str, str]


def _generator(env: AECEnv[str, Any, Any] | ParallelEnv[str, Any, Any]) -> np.random.Generator:
    """The env's ``np_random``; before its first reset, a fresh one (as Gymnasium makes one)."""
    rng = getattr(env.unwrapped, "np_random", None)
    if isinstance(rng, np.random.Generator):
        return rng
    return seeding.np_random(None)[0]


def _shown(source: NoiseSource, observation: Any) -> Any:
    """An agent's observation as the source shows it (the text entry of the dict)."""
    if isinstance(observation, dict) and TEXT_KEY in observation:
        return {**observation, TEXT_KEY: source.observation(observation[TEXT_KEY])}
    return observation


class NoiseAEC(BaseWrapper[str, Observation, Any]):
    """A noise source on a nexgym PettingZoo AEC env (:func:`nexgym.pz.env`), wrapped or not.

    Args:
        env: the AEC env.
        source: the noise source (e.g. ``ToolFaultsSource(outage_rate=0.5)``).
    """

    def __init__(self, env: AECEnv[str, Observation, Any], source: NoiseSource) -> None:
        super().__init__(env)
        self.source = source
        source.attach(runtime_control(env))

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Reset the env; the source derives its generator from ``np_random`` and prepares."""
        source = self.source
        source.attach(runtime_control(self.env))
        source.before_reset(seed, lambda: _generator(self.env))
        self.env.reset(seed=seed, options=options)
        source.after_reset(_generator(self.env))
        for info in self.env.infos.values():
            source.reset_info(info)

    def step(self, action: Any) -> None:
        """Step; the source adds its keys to every agent's ``info``."""
        self.env.step(action)
        for info in self.env.infos.values():
            self.source.step_info(info)

    def observe(self, agent: str) -> Any:
        """The agent's observation as the source shows it."""
        return _shown(self.source, self.env.observe(agent))


class NoiseParallel(BaseParallelWrapper[str, Observation, Any]):
    """A noise source on a nexgym PettingZoo Parallel env (:func:`nexgym.pz.parallel_env`).

    Args:
        env: the Parallel env (wrapped or not).
        source: the noise source (e.g. ``LatencySource("realistic", time_budget=60)``).
    """

    def __init__(self, env: ParallelEnv[str, Observation, Any], source: NoiseSource) -> None:
        super().__init__(env)
        self.source = source
        source.attach(runtime_control(env))

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Reset the env; the source derives its generator from ``np_random`` and prepares."""
        source = self.source
        source.attach(runtime_control(self.env))
        source.before_reset(seed, lambda: _generator(self.env))
        observations, infos = self.env.reset(seed=seed, options=options)
        source.after_reset(_generator(self.env))
        for info in infos.values():
            source.reset_info(info)
        return {a: _shown(source, o) for a, o in observations.items()}, infos

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[
        dict[str, Any],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        """Step; the source adds its keys to every agent's ``info`` and its text."""
        observations, rewards, terminations, truncations, infos = self.env.step(actions)
        for info in infos.values():
            self.source.step_info(info)
        shown = {a: _shown(self.source, o) for a, o in observations.items()}
        return shown, rewards, terminations, truncations, infos
