"""What the PettingZoo views share: one runtime seen by every role, its spaces and rewards.

The AEC and Parallel envs are thin adapters over a :class:`TeamEpisode`: it builds
the (re-shaped) hierarchy and its runtime, turns each role's view into a text
observation, and settles the per-role rewards.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from nexgym.error import ConfigError
from nexgym.session import build_session, choose_task_seed
from nexgym.spaces import MAX_ACTION_CHARS, MAX_OBSERVATION_CHARS, UnicodeText, to_charset
from nexgym.spec import HierarchySpec

__all__ = ["TEXT_KEY", "WAITING", "TeamEpisode", "TextEntry", "action_text"]

#: The key of the text entry in every observation and action (not "observation": the
#: PettingZoo API test would then inspect the text as an array).
TEXT_KEY = "text"
#: What an agent that has nothing to do this cycle observes.
WAITING = "(waiting: no action needed this cycle)"


class TextEntry(UnicodeText):
    """The text entry of every agent's observation and action space (any Unicode text).

    :class:`~nexgym.spaces.UnicodeText` samples as one array draw, fast enough for the
    conformance tests, which sample actions of up to 64 Ki characters.
    """

    def __init__(self, max_length: int) -> None:
        super().__init__(max_length, min_length=0)


def action_text(action: Any) -> Any:
    """The text of an action: ``{"text": ...}`` (the action space), or a plain string."""
    if isinstance(action, dict) and TEXT_KEY in action:
        return action[TEXT_KEY]
    return action


class TeamEpisode:
    """A hierarchy's runtime as every role sees it.

    Args:
        env_id: a catalog id or a spec (object, dict, YAML text or path).
        difficulty: task difficulty.
        backend: ``"inproc"`` or ``"mcp"``.
        backend_options: the backend's options (for ``"mcp"``: ``timeout``, ...).
        max_turns: overrides every agent's per-invocation turn limit.
        topology: re-shape the hierarchy (see :func:`nexgym.topology.apply_topology`).
        topology_params: ``n``, ``rounds``, ``debate_rounds`` for the topology.
        invalid_penalty: reward subtracted from a role per invalid action of its own.
        subtask_credit: reward to a sub-agent each time its caller accepts its sub-task.
        task_seeds: draw tasks only from these seeds.
    """

    def __init__(
        self,
        env_id: str | HierarchySpec | dict[str, Any] | Path,
        *,
        difficulty: int = 1,
        backend: str = "inproc",
        backend_options: dict[str, Any] | None = None,
        max_turns: int | None = None,
        topology: str | None = None,
        topology_params: dict[str, Any] | None = None,
        invalid_penalty: float = 0.02,
        subtask_credit: float = 0.1,
        task_seeds: Iterable[int] | None = None,
    ) -> None:
        if subtask_credit < 0 or invalid_penalty < 0:
            raise ConfigError(
                "expected subtask_credit >= 0 and invalid_penalty >= 0, got "
                f"{subtask_credit!r} and {invalid_penalty!r}"
            )
        session = build_session(
            env_id,
            topology=topology,
            topology_params=topology_params,
            difficulty=difficulty,
            backend=backend,
            backend_options=backend_options,
            max_turns=max_turns,
            invalid_penalty=invalid_penalty,
            task_seeds=task_seeds,
        )
        self.spec, self.domain, self.runtime = session.hierarchy, session.domain, session.runtime
        self.subtask_credit = subtask_credit
        self.task_seeds = session.task_seeds
        self.task_salt = session.task_salt
        self.possible_agents: list[str] = list(self.runtime.roles)
        self.task_seed: int | None = None
        self._credited = 0
        self._scored = False

    # -- spaces (one object per agent, as PettingZoo's tests require) -----------------

    @cached_property
    def observation_spaces(self) -> dict[str, spaces.Dict]:
        """``Dict({"text": Text})`` per agent."""
        return {
            a: spaces.Dict({TEXT_KEY: TextEntry(MAX_OBSERVATION_CHARS)})
            for a in self.possible_agents
        }

    @cached_property
    def action_spaces(self) -> dict[str, spaces.Dict]:
        """``Dict({"text": Text})`` per agent (a plain string is accepted too)."""
        return {
            a: spaces.Dict({TEXT_KEY: TextEntry(MAX_ACTION_CHARS)}) for a in self.possible_agents
        }

    # -- episode ----------------------------------------------------------------------

    def start(
        self, rng: np.random.Generator, options: dict[str, Any] | None, seed: int | None = None
    ) -> None:
        """Begin an episode on the task :func:`~nexgym.session.choose_task_seed` picks.

        ``options["task_seed"]``, else the reset's ``seed`` (as the Gymnasium view does),
        else a task seed drawn from ``rng``.
        """
        task_seed = choose_task_seed(options, seed, self.task_seeds, lambda: rng, self.task_salt)
        self.task_seed = task_seed
        self.runtime.reset(task_seed)
        self.runtime.collect_penalties()
        self._credited = 0
        self._scored = False

    def observation(self, agent: str) -> dict[str, str]:
        """The agent's text: its pending observation, the waiting note, or the end notice."""
        runtime = self.runtime
        if runtime.done or agent in runtime.ready_roles:
            return {TEXT_KEY: to_charset(runtime.observe(agent))}
        return {TEXT_KEY: WAITING}

    def settle(self) -> dict[str, float]:
        """Each role's reward since the last call (see the envs' Rewards section)."""
        runtime = self.runtime
        penalties = runtime.collect_penalties()
        rewards = {a: float(penalties.get(a, 0.0)) for a in self.possible_agents}
        for role in runtime.accepted[self._credited :]:
            if role in rewards:
                rewards[role] += self.subtask_credit
        self._credited = len(runtime.accepted)
        if runtime.done and not self._scored:
            score = runtime.verdict.score if runtime.verdict else 0.0
            for agent in rewards:
                rewards[agent] += score
            self._scored = True
        return rewards

    def info(self, agent: str) -> dict[str, Any]:
        """The agent's info: role, whether it acts now, its tools, episode counters."""
        runtime = self.runtime
        info: dict[str, Any] = {
            "role": agent,
            "acting": agent in runtime.ready_roles,
            "tools": runtime.tool_schemas(agent),
            "task_seed": self.task_seed,
            "turn": runtime.turns,
            "cycle": runtime.cycles,
            "clock": runtime.clock,
        }
        if runtime.done:
            verdict = runtime.verdict
            info.update(
                stop_reason=runtime.stop_reason,
                score=verdict.score if verdict else 0.0,
                success=bool(verdict and verdict.solved),
            )
        return info

    def render(self) -> str:
        """The acting roles and their latest observations, as text."""
        runtime = self.runtime
        roles = runtime.ready_roles or (runtime.lead_role,)
        parts = [f"[turn {runtime.turns} | cycle {runtime.cycles}]"]
        for role in roles:
            parts.append(f"-- {role} --\n{self.observation(role)[TEXT_KEY]}")
        return "\n".join(parts) + "\n"

    def close(self) -> None:
        """End the backend's processes and the domain's services (idempotent)."""
        self.runtime.backend.close()
        self.domain.close()
