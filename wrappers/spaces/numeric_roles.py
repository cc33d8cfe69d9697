"""Numeric spaces for every role of a PettingZoo view, for RL libraries (SB3, RLlib, SuperSuit).

The per-agent counterpart of :class:`~nexgym.wrappers.DiscreteActions` and
:class:`~nexgym.wrappers.HashedObservation`, with the same encodings
(:func:`~nexgym.wrappers.spaces.discrete.admissible_actions`,
:func:`~nexgym.wrappers.spaces.observations.hash_features`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils import BaseParallelWrapper

from nexgym.error import ConfigError
from nexgym.pz.episode import TEXT_KEY
from nexgym.runtime.view import runtime_view
from nexgym.tools import ToolCall

__all__ = ["NumericRoles"]

#: Observation texts whose features are kept (cleared when full).
FEATURE_CACHE = 512


class NumericRoles(BaseParallelWrapper):
    """Every role of a :class:`~nexgym.pz.NexParallelEnv` with ``Discrete`` actions.

    Observations become a ``Box`` (hashed text plus the action mask).

    ## Action Space
    ``Discrete(max_actions)`` per agent: index *i* plays the *i*-th of the agent's
    admissible calls now (``infos[agent]["action_texts"]``, sorted by text, so an index
    says nothing about the oracle's plan). An index beyond them is sent as an action
    that names it, which the env answers as an invalid action (a penalty, never an
    exception). Agents that are waiting have no admissible calls; their action is
    ignored, as in the text view.

    ## Observation Space
    ``Box(0, 1, (features + max_actions,))`` per agent: the hashed bag-of-words of the
    agent's observation text, then its action mask (1 for each admissible index), so a
    policy without masking support can still learn which indices are live.
    ``infos[agent]["action_mask"]`` holds the mask as booleans.

    Every agent has the same spaces, as SuperSuit's ``pettingzoo_env_to_vec_env_v1``
    (parameter sharing) requires.

    Args:
        env: a nexgym Parallel env.
        max_actions: size of each agent's action space.
        features: number of hash buckets for the observation text.
    """

    def __init__(
        self,
        env: ParallelEnv[str, Any, Any],
        *,
        max_actions: int = 32,
        features: int = 256,
    ) -> None:
        super().__init__(env)
        runtime_view(env)  # a clear error now for an env that is not a nexgym env
        if max_actions < 2 or features < 1:
            raise ConfigError(
                f"expected max_actions >= 2 and features >= 1, got {max_actions} and {features}"
            )
        self.max_actions = max_actions
        self.features = features
        self._observation_space = spaces.Box(0.0, 1.0, (features + max_actions,), np.float32)
        self._action_space: spaces.Discrete = spaces.Discrete(max_actions)
        self._calls: dict[str, list[ToolCall]] = {}
        self._features: dict[str, np.ndarray] = {}

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        """The shared ``Box``; the same object on every call."""
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Space[Any]:
        """The shared ``Discrete``; the same object on every call."""
        return self._action_space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Reset the text env and encode every agent's view."""
        observations, infos = self.env.reset(seed=seed, options=options)
        return self._encode(observations, infos), infos

    def step(self, actions: dict[str, Any]) -> tuple[Any, Any, Any, Any, Any]:
        """Turn indices into action texts, step the text env, encode the result."""
        texts = {agent: self._text(agent, action) for agent, action in actions.items()}
        observations, rewards, terminations, truncations, infos = self.env.step(texts)
        return self._encode(observations, infos), rewards, terminations, truncations, infos

    def _text(self, agent: str, action: Any) -> str:
        calls = self._calls.get(agent, [])
        try:
            index = int(action)
        except (TypeError, ValueError, OverflowError):
            return f"(action {action!r} is not an index)"
        if 0 <= index < len(calls):
            return calls[index].to_text()
        return f"(action index {index} is not one of the {len(calls)} admissible calls)"

    def _encode(
        self, observations: dict[str, Any], infos: dict[str, dict[str, Any]]
    ) -> dict[str, np.ndarray]:
        from nexgym.wrappers.spaces.discrete import admissible_actions
        from nexgym.wrappers.spaces.observations import hash_features

        runtime = runtime_view(self.env)
        out = {}
        for agent, observation in observations.items():
            text = observation[TEXT_KEY] if isinstance(observation, dict) else str(observation)
            acting = agent in runtime.ready_roles
            calls = (
                admissible_actions(runtime, agent, text, max_actions=self.max_actions)
                if acting
                else []
            )
            self._calls[agent] = calls
            mask = np.zeros(self.max_actions, dtype=bool)
            mask[: len(calls)] = True
            infos[agent]["action_mask"] = mask
            infos[agent]["action_texts"] = [c.to_text() for c in calls]
            if text not in self._features:  # prompts and the waiting note recur often
                if len(self._features) >= FEATURE_CACHE:
                    self._features.clear()
                self._features[text] = hash_features(text, self.features)
            out[agent] = np.concatenate([self._features[text], mask.astype(np.float32)])
        return out
