"""The PettingZoo Parallel view: every live role acts each cycle; idle roles pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from nexgym.error import ConfigError, UnknownNameError
from nexgym.pz.aec import RENDER_MODES
from nexgym.pz.episode import TeamEpisode, action_text
from nexgym.runtime.frames import EpisodeOver
from nexgym.runtime.view import RuntimeView
from nexgym.spec import HierarchySpec

__all__ = ["NexParallelEnv"]

Step = tuple[
    dict[str, dict[str, str]],
    dict[str, float],
    dict[str, bool],
    dict[str, bool],
    dict[str, dict[str, Any]],
]


class NexParallelEnv(ParallelEnv[str, dict[str, str], Any]):
    """An agent hierarchy as a PettingZoo Parallel environment: one agent per role.

    ## Description
    Each ``step`` is one cycle: the roles that can act now (``infos[a]["acting"]``)
    each play the action given for them, in ``possible_agents`` order: the top of the
    call stack (peer teams too: their root calls the peers like sub-agents). The other
    live agents observe
    ``"(waiting: no action needed this cycle)"`` and their actions are ignored.

    ## Action and Observation Spaces
    ``Dict({"text": Text})`` per agent, as in :class:`~nexgym.pz.aec.NexAECEnv`; a
    plain string action is accepted too.

    ## Rewards
    As in :class:`~nexgym.pz.aec.NexAECEnv`: the team's task score to every agent at
    the end, minus ``invalid_penalty`` per own invalid action, plus ``subtask_credit``
    each time the agent's caller accepts a sub-task it finished.

    ## Episode End
    Every agent terminates together when the task ends and is truncated after
    ``max_cycles`` steps (or when the root runs out of turns); ``agents`` is then empty.

    ## Bad Input
    * an action for a name that is not in ``possible_agents`` raises
      :class:`~nexgym.error.UnknownNameError` before anything is played;
    * an action for a live agent that is waiting is ignored;
    * an acting agent missing from the dict passes this cycle (its turn is not used;
      ``infos[agent]["skipped"]`` is True);
    * ``step`` with no live agent raises :class:`~nexgym.runtime.frames.EpisodeOver`.

    ## Arguments
    As for :class:`~nexgym.pz.aec.NexAECEnv`: ``env_id``, ``max_cycles`` (default
    200), ``topology``, ``topology_params``, ``difficulty``, ``backend``,
    ``max_turns``, ``invalid_penalty``, ``subtask_credit``, ``task_seeds``,
    ``render_mode``.

    ## Example
    >>> import nexgym
    >>> env = nexgym.pz.parallel_env("nex/FileOps-v0", topology="independent")
    >>> observations, infos = env.reset(seed=0)
    >>> oracle = nexgym.policies.OraclePolicy(env)
    >>> while env.agents:
    ...     acting = [a for a in env.agents if infos[a]["acting"]]
    ...     actions = {a: oracle(observations[a], infos[a]) for a in acting}
    ...     observations, rewards, terminations, truncations, infos = env.step(actions)
    >>> rewards["peer_0"]
    1.0

    ## Version History
    * v0: initial release.
    """

    metadata = {"name": "nexgym_parallel_v0", "render_modes": list(RENDER_MODES)}  # noqa: RUF012

    def __init__(
        self,
        env_id: str | HierarchySpec | dict[str, Any] | Path,
        *,
        max_cycles: int = 200,
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ConfigError(f"expected render_mode in {list(RENDER_MODES)}, got {render_mode!r}")
        if max_cycles < 1:
            raise ConfigError(f"expected max_cycles >= 1, got {max_cycles!r}")
        self.episode = TeamEpisode(env_id, **kwargs)
        self.runtime = self.episode.runtime
        self.max_cycles = max_cycles
        self.render_mode = render_mode
        self.possible_agents = list(self.episode.possible_agents)
        self.agents: list[str] = []
        self.cycles = 0
        self.np_random: np.random.Generator | None = None
        self.np_random_seed: int | None = None

    @property
    def view(self) -> RuntimeView:
        """The read-only view of the runtime: what policies and wrappers read of the episode."""
        return self.runtime

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        """``Dict({"text": Text})``; the same object on every call."""
        return self.episode.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        """``Dict({"text": Text})``; the same object on every call."""
        return self.episode.action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, Any]]]:
        """Start an episode on task ``seed`` (``options={"task_seed": k}`` picks one instead).

        Without either, the task seed is drawn from ``np_random``; with ``task_seeds``,
        ``seed`` picks the split's ``seed % len(task_seeds)``-th.
        """
        if seed is not None or self.np_random is None:
            self.np_random, self.np_random_seed = seeding.np_random(seed)
        self.episode.start(self.np_random, options, seed)
        self.agents = list(self.possible_agents)
        self.cycles = 0
        observations = {a: self.episode.observation(a) for a in self.agents}
        return observations, {a: self.episode.info(a) for a in self.agents}

    def step(self, actions: dict[str, Any]) -> Step:
        """Play one cycle: each acting agent's action, in ``possible_agents`` order."""
        if not self.agents:
            raise EpisodeOver("no agent is left: the episode is over; call reset()")
        unknown = [a for a in actions if a not in self.possible_agents]
        if unknown:
            raise UnknownNameError("agent", str(unknown[0]), self.possible_agents)
        runtime = self.runtime
        skipped = []
        for agent in runtime.ready_roles:
            if runtime.done:
                break
            if agent not in runtime.ready_roles:  # an earlier action this cycle changed that
                continue
            if agent not in actions:
                skipped.append(agent)
                continue
            runtime.act(agent, action_text(actions[agent]))
        self.cycles += 1
        if not runtime.done and self.cycles >= self.max_cycles:
            runtime.stop("max_cycles")
        agents = self.agents
        rewards = self.episode.settle()
        observations = {a: self.episode.observation(a) for a in agents}
        infos = {a: self.episode.info(a) for a in agents}
        for agent in skipped:
            infos[agent]["skipped"] = True
        truncated = runtime.done and runtime.truncated
        terminations = dict.fromkeys(agents, runtime.done and not truncated)
        truncations = dict.fromkeys(agents, truncated)
        if runtime.done:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        """``ansi``: the acting roles and their observations; ``human``: print them."""
        if self.render_mode is None:
            return None
        text = self.episode.render()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        """End the backend's processes (idempotent)."""
        self.episode.close()
