"""The Gymnasium view of a hierarchy: one policy plays one role, or every role in turn."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from nexgym.error import ConfigError, UnknownNameError
from nexgym.runtime.backends import make_backend
from nexgym.runtime.view import RuntimeView
from nexgym.session import build_session, choose_task_seed
from nexgym.spaces import (
    MAX_ACTION_CHARS,
    MAX_OBSERVATION_CHARS,
    in_charset,
    text_space,
    to_charset,
)
from nexgym.spec import HierarchySpec

__all__ = ["NexEnv", "make_backend"]

Policy = Callable[[Any, dict[str, Any]], Any]
#: Teammate actions allowed inside one ``step`` before the episode is cut (a safety net).
MAX_TEAMMATE_ACTIONS = 5_000


class NexEnv(gym.Env[str, str]):
    """An agent hierarchy acting on a domain, as a Gymnasium environment.

    ## Description
    The env runs a hierarchy of LLM agents (a root agent, its sub-agents, their tools)
    on a freshly generated task. The policy plays the roles it controls: the root by
    default, or every role in turn with ``control="all"`` (one model plays the whole
    hierarchy). Roles it does not control are played by teammates:
    :class:`~nexgym.teammates.instructed.InstructedTeammate` by default, which does what
    its message asks (and only that) and reports back; it never reads the task.

    ## Action Space
    ``UnicodeText`` (any text JSON can carry): one tool call, e.g.
    ``<tool_call>{"name": "read_file", "arguments": {"path": "/a"}}</tool_call>``; a bare
    JSON object, ``read_file(path="/a")`` and NexAU's ``<tool_use>`` XML also parse.
    Answering is a call of ``finish``. Anything else is an invalid action: the
    observation says what was wrong, a small penalty applies, and the episode goes on.

    ## Observation Space
    :class:`~nexgym.spaces.UnicodeText` (a ``Text`` over every Unicode scalar value: tool
    text arrives as the tools return it): the text the acting role sees since
    its last action (its system prompt with tool schemas and its task on its first
    turn, then ``<tool_response>`` blocks). ``info["role"]`` names the acting role and
    ``info["tools"]`` holds its tool schemas.

    ## Rewards
    The task verifier's score when the episode ends (1.0 solved, partial credit per
    sub-goal), minus ``invalid_penalty`` for each invalid action of a controlled role.

    ## Episode End
    ``terminated`` when the root calls ``finish`` or the invalid-action budget is spent;
    ``truncated`` when the root runs out of turns, when a wrapper's time budget runs
    out, or from the ``TimeLimit`` that ``gym.make`` adds.

    ## Arguments
    * ``spec``: a :class:`~nexgym.spec.HierarchySpec`, a dict, YAML text or a YAML path.
    * ``control``: ``"root"``, ``"all"``, a role name, or a list of role names.
    * ``difficulty``: 1 (easy) to 3 (hard).
    * ``backend``: ``"inproc"`` (default) or ``"mcp"`` (tools served by a real MCP server).
    * ``backend_options``: for ``"mcp"``, ``timeout`` (seconds per call), ``start_timeout``,
      ``call_log`` (path of an append-only JSONL log of every call), ``max_result_bytes``.
    * ``max_turns``: overrides every agent's per-invocation turn limit.
    * ``teammate_error_rate``: probability that a default teammate makes a random call.
    * ``teammates``: ``{role: policy}`` to replace the default teammate for some roles
      (e.g. an :class:`~nexgym.policies.HFPolicy`).
    * ``task_seeds``: draw tasks only from these seeds (e.g. a training split);
      ``reset(seed=k)`` plays the split's ``k % len(task_seeds)``-th (without a split,
      the ``k``-th task of the hierarchy's own stream: two envs over one domain differ).
    * ``invalid_penalty``: reward subtracted per invalid action.
    * ``return_history``: put the acting role's chat messages in ``info["history"]``.
    * ``topology``: re-shape the hierarchy into a coordination topology (``single``,
      ``independent``, ``centralized``, ``decentralized``, ``hybrid``; see
      :mod:`nexgym.topology`); ``topology_params``: its ``n``, ``rounds``, ``debate_rounds``.
      In a peer topology ``control="root"`` is the aggregator or moderator that briefs
      the peers and combines their work (:mod:`nexgym.topology.peers`).

    ## Example
    >>> import gymnasium as gym, nexgym
    >>> env = gym.make("nex/FileOps-v0")
    >>> obs, info = env.reset(seed=0)
    >>> policy = nexgym.policies.OraclePolicy(env)
    >>> while True:
    ...     obs, reward, terminated, truncated, info = env.step(policy(obs, info))
    ...     if terminated or truncated:
    ...         break
    >>> reward
    1.0

    ## Version History
    * v0: initial release.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        spec: HierarchySpec | dict[str, Any] | str | Path,
        *,
        control: str | Sequence[str] = "root",
        difficulty: int = 1,
        backend: str = "inproc",
        max_turns: int | None = None,
        teammate_error_rate: float = 0.0,
        teammates: dict[str, Policy] | None = None,
        task_seeds: Iterable[int] | None = None,
        invalid_penalty: float = 0.02,
        return_history: bool = False,
        render_mode: str | None = None,
        topology: str | None = None,
        topology_params: dict[str, Any] | None = None,
        backend_options: dict[str, Any] | None = None,
    ) -> None:
        session = build_session(
            spec,
            topology=topology,
            topology_params=topology_params,
            difficulty=difficulty,
            backend=backend,
            backend_options=backend_options,
            max_turns=max_turns,
            invalid_penalty=invalid_penalty,
            task_seeds=task_seeds,
        )
        written, self.hierarchy = session.written, session.hierarchy
        self._config = dict(
            spec=written.to_dict(),
            control=control,
            difficulty=difficulty,
            backend=backend,
            max_turns=max_turns,
            teammate_error_rate=teammate_error_rate,
            teammates=teammates,
            task_seeds=None if task_seeds is None else list(task_seeds),
            invalid_penalty=invalid_penalty,
            return_history=return_history,
            render_mode=render_mode,
            topology=topology,
            topology_params=topology_params,
            backend_options=backend_options,
        )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(
                f"expected render_mode in {self.metadata['render_modes']}, got {render_mode!r}"
            )
        if not 0.0 <= teammate_error_rate <= 1.0:
            raise ConfigError(
                f"expected teammate_error_rate in [0, 1], got {teammate_error_rate!r}"
            )
        self.render_mode = render_mode
        self.domain, self.runtime = session.domain, session.runtime
        self.controlled = self._resolve_control(control)
        self.task_seeds: list[int] | None = session.task_seeds
        self.task_salt = session.task_salt
        self.return_history = return_history
        self.observation_space = text_space(MAX_OBSERVATION_CHARS)
        self.action_space = text_space(MAX_ACTION_CHARS)
        from nexgym.teammates.instructed import InstructedTeammate

        default = InstructedTeammate(self, error_rate=teammate_error_rate)
        self.teammates: dict[str, Policy] = {
            name: (teammates or {}).get(name, default)
            for name in self.hierarchy.agent_names
            if name not in self.controlled
        }
        unknown = set(teammates or {}) - set(self.hierarchy.agent_names)
        if unknown:
            raise UnknownNameError("teammate role", sorted(unknown)[0], self.hierarchy.agent_names)
        self.task_seed: int | None = None
        self._observation = ""
        self._episode: dict[str, Any] | None = None  # what a pickle replays
        self._actions: list[Any] = []  # the episode's actions (its "actions" entry)

    def _resolve_control(self, control: str | Sequence[str]) -> frozenset[str]:
        names, lead = self.runtime.roles, self.runtime.lead_role
        if control == "root":
            return frozenset({lead})
        if control == "all":
            return frozenset(names)
        roles = [control] if isinstance(control, str) else list(control)
        for role in roles:
            if role not in names:
                raise UnknownNameError("role for control", role, [*names, "root", "all"])
        if lead not in roles:
            raise ConfigError(
                f"expected control to include the root {lead!r} (the episode "
                f"starts and ends with it), got {roles}; use control='root' or add it"
            )
        return frozenset(roles)

    @property
    def view(self) -> RuntimeView:
        """The read-only view of the runtime: what policies and wrappers read of the episode."""
        return self.runtime

    # -- Gymnasium API --------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start an episode on a new task (``options={"task_seed": k}`` picks one).

        ``reset(seed=k)`` plays the env's task ``k`` (with ``task_seeds``, the split's
        ``k``-th modulo its length; else the ``k``-th of the hierarchy's own task stream,
        :func:`nexgym.session.stream_task_seed`) and seeds :attr:`np_random` with ``k``;
        a reset without a seed draws the task from :attr:`np_random`.
        """
        super().reset(seed=seed)  # Gymnasium seeds np_random (and checks the seed)
        if seed is not None:
            start: int | Mapping[str, Any] = seed
        else:
            start = self.np_random.bit_generator.state
        self._actions = []
        self._episode = {"rng": start, "options": options, "actions": self._actions}
        return self._start(options, seed)

    def _start(
        self, options: dict[str, Any] | None, seed: int | None
    ) -> tuple[str, dict[str, Any]]:
        self.task_seed = choose_task_seed(
            options, seed, self.task_seeds, lambda: self.np_random, self.task_salt
        )
        self.runtime.reset(self.task_seed)
        role = self._advance()
        self.runtime.collect_penalties()
        return self._observe(role), self._info(role)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """Play one action of the acting controlled role, then let teammates act."""
        runtime = self.runtime
        if self._episode is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if runtime.stop_reason is not None:
            raise gym.error.ResetNeeded("the episode is over; call reset() before step()")
        self._actions.append(action)
        outcome = runtime.act(runtime.active_role or "", action)
        # with every role controlled there is no teammate to play: the acting role is next
        role = runtime.active_role if not self.teammates else self._advance()
        penalties = runtime.collect_penalties()
        # penalties are rare: no sum over the controlled roles when none was charged
        reward = (
            0.0
            if penalties is runtime.zero_penalties
            else sum(penalties[r] for r in self.controlled)
        )
        stop = runtime.stop_reason
        truncated = stop is not None and runtime.truncated
        if stop is not None and runtime.verdict is not None:
            reward += runtime.verdict.score
        info = self._info(role)
        info["action_kind"] = outcome.kind
        if outcome.kind == "invalid":
            info["invalid_reason"] = outcome.detail
        terminated = stop is not None and not truncated
        return self._observe(role), float(reward), terminated, truncated, info

    def _advance(self) -> str | None:
        """Let teammates act until a controlled role is to act; returns it (None at the end)."""
        runtime = self.runtime
        for _ in range(MAX_TEAMMATE_ACTIONS):
            role = runtime.active_role
            if role is None or role in self.controlled:
                return role
            action = self.teammates[role](runtime.observe(role), self._info(role))
            runtime.act(role, action)
        runtime.stop("turn_limit")
        return None

    def _observe(self, role: str | None) -> str:
        """The acting role's observation (the root's once the episode is over)."""
        role = role or self.hierarchy.root
        text = self.runtime.observe(role)
        # nearly every observation is already in the charset: O(1) for ASCII text
        self._observation = text if in_charset(text) else to_charset(text)
        return self._observation

    def _info(self, role: str | None) -> dict[str, Any]:
        runtime = self.runtime
        info: dict[str, Any] = {
            "role": role,
            "tools": runtime.tool_schemas(role) if role else [],  # a copy: infos are the user's
            "task_seed": self.task_seed,
            "turn": runtime.turns,
            "clock": runtime.clock,
            "depth": len(runtime.stack),
        }
        if runtime.stop_reason is not None:  # the episode is over
            verdict = runtime.verdict
            info.update(
                stop_reason=runtime.stop_reason,
                score=verdict.score if verdict else 0.0,
                success=bool(verdict and verdict.solved),
            )
        if self.return_history and role:
            info["history"] = runtime.history(role)
        return info

    def render(self) -> str | None:  # type: ignore[override]
        """``ansi``: the acting role and its latest observation; ``human``: print it."""
        if self._episode is None:
            raise gym.error.ResetNeeded("call reset() before render()")
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi'")
            return None
        role = self.runtime.active_role or "-"
        text = f"[turn {self.runtime.turns} | {role}]\n{self._observation}\n"
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        """End the backend's processes (idempotent)."""
        self.runtime.backend.close()
        self.domain.close()

    # -- pickling: rebuild from the constructor arguments and replay the episode ------

    def __getstate__(self) -> dict[str, Any]:
        return {
            "config": self._config,
            "episode": self._episode,
            "seed": self._np_random_seed,
            # policies may draw from np_random between steps; replay alone would miss those
            "rng_now": None if self._episode is None else self.np_random.bit_generator.state,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        config = dict(state["config"])
        self.__init__(config.pop("spec"), **config)  # type: ignore[misc]
        episode = state["episode"]
        if episode is None:
            return
        start = episode["rng"]  # the reset's seed, or the generator's state at the reset
        seed = start if isinstance(start, int) else None
        if seed is None:
            rng = np.random.Generator(np.random.PCG64())
            rng.bit_generator.state = start
            self.np_random = rng
        else:
            super().reset(seed=seed)
        self._np_random_seed = state["seed"]
        self._actions = []
        self._episode = {"rng": start, "options": episode["options"], "actions": self._actions}
        self._start(episode["options"], seed)
        for action in episode["actions"]:
            self.step(action)
        if state.get("rng_now") is not None:
            self.np_random.bit_generator.state = state["rng_now"]
