"""The PettingZoo AEC view: every role of a hierarchy is an agent; turns follow the call stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv

from nexgym.error import ConfigError
from nexgym.pz.episode import TeamEpisode, action_text
from nexgym.runtime.frames import EpisodeOver
from nexgym.runtime.view import RuntimeView
from nexgym.spec import HierarchySpec

__all__ = ["NexAECEnv"]

RENDER_MODES = ("ansi", "human")
TURN_ORDERS = ("stack", "cycle")


class NexAECEnv(AECEnv[str, dict[str, str], Any]):
    """An agent hierarchy as a PettingZoo AEC environment: one agent per role.

    ## Description
    The roles of a hierarchy (the root, its sub-agents; or the aggregator and peers,
    orchestrator and workers of a coordination topology) act on one shared task.
    ``agent_selection`` is always the role the runtime waits for: the top of the call
    stack (a caller waits while its sub-agent works, and agents nobody has called are
    never selected). In ``independent`` and ``decentralized`` teams the root calls the
    peers the same way, each peer working on its own copy of the world.

    With ``turn_order="cycle"`` every live agent is selected once per cycle instead,
    in ``possible_agents`` order (PettingZoo's usual round-robin); an agent that cannot
    act when selected observes the waiting note and its action is ignored.

    ## Action Space
    ``Dict({"text": Text})`` per agent: one tool call as text, e.g.
    ``{"text": '<tool_call>{"name": "read_file", "arguments": {"path": "/a"}}</tool_call>'}``
    (a plain string is accepted too). Anything that is not a call is an invalid action:
    the agent observes what was wrong and pays ``invalid_penalty``.

    ## Observation Space
    ``Dict({"text": Text})`` per agent (a dict, because PettingZoo's API test inspects
    plain-string observations as arrays): for the selected agent, the text since its
    last action (system prompt, tools and task on its first turn); for the others,
    ``"(waiting: no action needed this cycle)"``; at the end, the final score.
    ``infos[agent]`` holds ``role``, ``acting``, ``tools`` (its tool schemas),
    ``turn``, ``cycle`` and, at the end, ``score``, ``success`` and ``stop_reason``.

    ## Rewards
    Per agent, the sum of: the team's task score (the verifier's score in [0, 1]),
    given to every agent when the episode ends, truncated or not; minus
    ``invalid_penalty`` for each invalid action of its own; plus ``subtask_credit``
    each time its caller *accepts* a sub-task it finished, that is, when the caller's
    next action after receiving the result is anything but calling the same agent
    again (a re-assignment). Credit and penalties are paid at the step they occur.

    ## Episode End
    All agents are terminated when the task ends (the root answers, or the
    invalid-action budget is spent), and truncated after ``max_cycles`` cycles or when
    the root runs out of turns. A cycle is one action with the default turn order, and
    one selection of every live agent with ``turn_order="cycle"``. As PettingZoo
    specifies, each agent is then selected once more and must step ``None``, which
    removes it.

    ## Bad Input
    The action always belongs to ``agent_selection``. A non-``None`` action for a
    terminated agent raises ``ValueError`` (PettingZoo's rule); stepping when no agent
    is left raises :class:`~nexgym.runtime.frames.EpisodeOver`. No action text can raise or
    corrupt the episode.

    ## Arguments
    * ``env_id``: a catalog id (``"nex/FileOps-v0"`` or ``"FileOps"``) or a spec.
    * ``max_cycles``: cycles before every agent is truncated (default 200).
    * ``turn_order``: ``"stack"`` (default: follow the call stack) or ``"cycle"``.
    * ``topology``, ``topology_params``: re-shape the hierarchy (:mod:`nexgym.topology`).
    * ``difficulty``, ``backend``, ``max_turns``, ``invalid_penalty``, ``task_seeds``:
      as for :class:`~nexgym.env.NexEnv`; ``subtask_credit`` (default 0.1).
    * ``render_mode``: ``"ansi"`` or ``"human"``.

    ## Example
    >>> import nexgym
    >>> env = nexgym.pz.env("nex/FileOps-v0", topology="decentralized")
    >>> env.reset(seed=0)
    >>> oracle = nexgym.policies.OraclePolicy(env)
    >>> for agent in env.agent_iter():
    ...     obs, reward, terminated, truncated, info = env.last()
    ...     env.step(None if terminated or truncated else oracle(obs, info))
    >>> env.runtime.verdict.solved
    True

    ## Version History
    * v0: initial release.
    """

    metadata = {  # noqa: RUF012
        "name": "nexgym_aec_v0",
        "render_modes": list(RENDER_MODES),
        "is_parallelizable": False,
    }

    def __init__(
        self,
        env_id: str | HierarchySpec | dict[str, Any] | Path,
        *,
        max_cycles: int = 200,
        turn_order: str = "stack",
        render_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if turn_order not in TURN_ORDERS:
            raise ConfigError(f"expected turn_order in {list(TURN_ORDERS)}, got {turn_order!r}")
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ConfigError(f"expected render_mode in {list(RENDER_MODES)}, got {render_mode!r}")
        if max_cycles < 1:
            raise ConfigError(f"expected max_cycles >= 1, got {max_cycles!r}")
        self.episode = TeamEpisode(env_id, **kwargs)
        self.runtime = self.episode.runtime
        self.max_cycles = max_cycles
        self.turn_order = turn_order
        self.render_mode = render_mode
        self.possible_agents = list(self.episode.possible_agents)
        self._queue: list[str] = []  # agents still to select this cycle (turn_order="cycle")
        self._cycles = 0
        self.agents: list[str] = []
        self.rewards: dict[str, float] = {}
        self._cumulative_rewards: dict[str, float] = {}
        self.terminations: dict[str, bool] = {}
        self.truncations: dict[str, bool] = {}
        self.infos: dict[str, dict[str, Any]] = {}
        self.agent_selection = self.possible_agents[0]
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

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start an episode on task ``seed`` (``options={"task_seed": k}`` picks one instead).

        Without either, the task seed is drawn from ``np_random``; with ``task_seeds``,
        ``seed`` picks the split's ``seed % len(task_seeds)``-th.
        """
        if seed is not None or self.np_random is None:
            self.np_random, self.np_random_seed = seeding.np_random(seed)
        self.episode.start(self.np_random, options, seed)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: self.episode.info(a) for a in self.agents}
        self._skip_agent_selection = None
        self._cycles = 0
        if self.turn_order == "cycle":
            self._queue = list(self.agents)
            self.agent_selection = self._queue.pop(0)
        else:
            self.agent_selection = self.runtime.active_role or self.possible_agents[0]

    def observe(self, agent: str) -> dict[str, str]:
        """The agent's current text (see Observation Space)."""
        return self.episode.observation(agent)

    def step(self, action: Any) -> None:
        """Play ``agent_selection``'s action, then select the next agent."""
        if not self.agents:
            raise EpisodeOver("no agent is left: the episode is over; call reset()")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        runtime = self.runtime
        self._cumulative_rewards[agent] = 0.0
        if agent in runtime.ready_roles:
            runtime.act(agent, action_text(action))
        if not runtime.done and self._cycle_ended() >= self.max_cycles:
            runtime.stop("max_cycles")
        self.rewards = self.episode.settle()
        self.infos = {a: self.episode.info(a) for a in self.agents}
        if runtime.done:
            ended = dict.fromkeys(self.agents, True)
            self.truncations = ended if runtime.truncated else dict.fromkeys(self.agents, False)
            self.terminations = dict.fromkeys(self.agents, not runtime.truncated)
            self._accumulate_rewards()
            self._deads_step_first()
        else:
            self._accumulate_rewards()
            self.agent_selection = self._next_agent(agent)
        if self.render_mode == "human":
            self.render()

    def _cycle_ended(self) -> int:
        """Cycles completed so far, counting the one this step may have closed."""
        if self.turn_order == "stack":
            return self.runtime.cycles
        if not self._queue:
            self._cycles += 1
            self._queue = list(self.agents)
        return self._cycles

    def _next_agent(self, current: str) -> str:
        if self.turn_order == "cycle":
            return self._queue.pop(0)
        return self.runtime.active_role or current

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
