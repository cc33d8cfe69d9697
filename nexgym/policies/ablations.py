"""Root policies that skip part of the job: the controls of a hierarchy env.

A hierarchy env is worth training on only if what the root says decides the outcome.
Each policy here plays the root and leaves one thing out; every one of them should score
about 0 (``benchmarks/teammate_ablation.py`` measures it over the catalog):

* :class:`FinishAtOnce`: answers ``"Done."`` without doing anything.
* :class:`RelayTask`: forwards the task text, word for word, to each sub-agent in turn
  and answers with whatever came back (reads the task, but leaves the work to others).
* :class:`TaskBlindSweep`: calls every sub-agent twice with an empty message and
  relays their reports (never reads the task).
* :class:`EmptyRouting`: picks the sub-agent the oracle would pick, with an empty
  message, then relays.
* :class:`NonsenseRouting`: the oracle's routing with a message that says nothing useful.
* :class:`RandomRouting`: calls random sub-agents with empty messages, then relays.

:class:`~nexgym.policies.RandomPolicy` is the sixth control. They are built like every
policy (``FinishAtOnce(env)``) and act only as the root (``control="root"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nexgym.policies.oracle import OraclePolicy
from nexgym.runtime.view import RuntimeView, current_task, runtime_view
from nexgym.teammates.random_calls import env_rng
from nexgym.tools import ToolCall

if TYPE_CHECKING:
    from nexgym.runtime.view import HierarchyEnv

__all__ = [
    "ABLATIONS",
    "EmptyRouting",
    "FinishAtOnce",
    "NonsenseRouting",
    "RandomRouting",
    "RelayTask",
    "TaskBlindSweep",
    "has_sub_agents",
    "success_rate",
]

#: Delegations a routing ablation makes before it relays what it has.
MAX_DELEGATIONS = 8
NONSENSE = "Please handle the usual thing as discussed and report back."


def _root_state(
    env: HierarchyEnv, info: dict[str, Any]
) -> tuple[RuntimeView, str, list[dict[str, Any]]]:
    runtime = runtime_view(env)
    role = info.get("role") or runtime.active_role or runtime.lead_role
    return runtime, role, runtime.history(role)


def _delegations(history: list[dict[str, Any]]) -> int:
    return sum(len(m.get("tool_calls") or ()) for m in history if m.get("role") == "assistant")


def _relay(history: list[dict[str, Any]]) -> ToolCall:
    """Finish with every result that came back, as is."""
    results = [str(m.get("content") or "") for m in history if m.get("role") == "tool"]
    return ToolCall("finish", {"answer": "\n".join(results) or "Done."})


class _Ablation:
    """Shared shape: ``policy(observation, info) -> action text``."""

    def __init__(self, env: HierarchyEnv) -> None:
        self.env = env

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        """Return the next action as canonical text."""
        return self.call(observation, info).to_text()

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The next action as a :class:`ToolCall`."""
        raise NotImplementedError


class FinishAtOnce(_Ablation):
    """Answers ``"Done."`` at once: the do-nothing control."""

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """Finish."""
        return ToolCall("finish", {"answer": "Done."})


class RelayTask(_Ablation):
    """Forwards the task text verbatim to each sub-agent once, then relays the reports."""

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The next forward, or the relayed answer."""
        runtime, role, history = _root_state(self.env, info)
        children = runtime.spec.agent(role).sub_agents
        made = _delegations(history)
        if made < len(children):
            return ToolCall(children[made], {"task": current_task(runtime).instruction})
        return _relay(history)


class TaskBlindSweep(_Ablation):
    """Calls each sub-agent twice with an empty message, then relays (never reads the task)."""

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The next empty call, or the relayed answer."""
        runtime, role, history = _root_state(self.env, info)
        children = runtime.spec.agent(role).sub_agents
        made = _delegations(history)
        if made < 2 * len(children):
            return ToolCall(children[made % len(children)], {"task": ""})
        return _relay(history)


class EmptyRouting(_Ablation):
    """Routes as the oracle would (same sub-agent, same turn) but sends empty messages."""

    message = ""

    def __init__(self, env: HierarchyEnv) -> None:
        super().__init__(env)
        self.oracle = OraclePolicy(env)

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The oracle's pick with this policy's message, or the relayed answer."""
        runtime, role, history = _root_state(self.env, info)
        choice = self.oracle.call(observation, info)
        children = runtime.spec.agent(role).sub_agents
        if choice.name in children and _delegations(history) < MAX_DELEGATIONS:
            return ToolCall(choice.name, {"task": self.message})
        return _relay(history)


class NonsenseRouting(EmptyRouting):
    """Routes as the oracle would, with a message that names no call and no value."""

    message = NONSENSE


class RandomRouting(_Ablation):
    """Calls random sub-agents (drawn from the env's ``np_random``) with empty messages."""

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """A random empty delegation, or the relayed answer."""
        runtime, role, history = _root_state(self.env, info)
        children = runtime.spec.agent(role).sub_agents
        if children and _delegations(history) < MAX_DELEGATIONS:
            pick = int(env_rng(self.env).integers(len(children)))
            return ToolCall(children[pick], {"task": ""})
        return _relay(history)


#: name -> ablation class, as ``make_policy`` and the benchmark know them.
ABLATIONS: dict[str, type[_Ablation]] = {
    "finish-at-once": FinishAtOnce,
    "relay-task": RelayTask,
    "task-blind-sweep": TaskBlindSweep,
    "empty-routing": EmptyRouting,
    "nonsense-routing": NonsenseRouting,
    "random-routing": RandomRouting,
}


def has_sub_agents(env_id: str) -> bool:
    """Whether the root of catalog env ``env_id`` (after its topology) calls sub-agents."""
    import gymnasium as gym

    env = gym.make(env_id)
    try:
        view = runtime_view(env)
        return bool(view.spec.agent(view.lead_role).sub_agents)
    finally:
        env.close()


def success_rate(env_id: str, policy: str, seeds: Sequence[int], *, max_steps: int = 80) -> float:
    """Mean success of the root policy called ``policy`` on ``env_id`` over ``seeds``.

    ``policy`` is a :func:`~nexgym.policies.make_policy` name; an episode not over
    after ``max_steps`` counts as failed.
    """
    import gymnasium as gym

    from nexgym.policies import make_policy

    env = gym.make(env_id)
    try:
        player = make_policy(policy, env)
        wins = 0
        for seed in seeds:
            obs, info = env.reset(seed=seed)
            for _ in range(max_steps):
                obs, _, terminated, truncated, info = env.step(player(obs, info))
                if terminated or truncated:
                    wins += bool(info.get("success"))
                    break
        return wins / max(1, len(seeds))
    finally:
        env.close()
