"""ToolFaults: transient errors, timeouts and tool outages that leave the task solvable."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from nexgym.envs.domains.kit.base import Plan, Task
from nexgym.wrappers.noise.latency import ProfileLike, load_profile
from nexgym.wrappers.noise.middleware import (
    NoiseSource,
    ToolCallWrapper,
    ToolHandler,
    source_attribute,
)

from nexgym.error import ConfigError
from nexgym.grounding.profile import NoiseProfile
from nexgym.tools import ToolCall, ToolResult

__all__ = ["ToolFaults", "ToolFaultsSource", "goal_alternatives", "task_routes"]

DEFAULT_TIMEOUT_SECONDS = 10.0
TRANSIENT_ERROR = "the tool server is temporarily unavailable (503); try again"


def goal_alternatives(task: Task) -> list[tuple[Plan, ...]] | None:
    """Each sub-goal's alternative routes, for a task composed of sub-goals.

    None for a task that is not (its first plan is not its goals' first alternatives).
    """
    goals = list(getattr(task, "goals", None) or [])
    if not goals or not all(g.plans for g in goals) or not task.plans:
        return None
    if tuple(c for g in goals for c in g.plans[0]) != tuple(task.plans[0]):
        return None
    return [tuple(g.plans) for g in goals]


def task_routes(task: Task) -> list[Plan]:
    """The routes through a task: its sub-goals' alternatives, else its whole plans."""
    per_goal = goal_alternatives(task)
    if per_goal is None:
        return list(task.plans)
    return [alt for alternatives in per_goal for alt in alternatives]


def _found_before_changes(tool: str, routes: list[Plan], mutates: dict[str, bool]) -> bool:
    """Whether every route using ``tool`` calls it before any world-changing step."""
    for route in routes:
        names = [step.name for step in route]
        if tool in names and any(mutates.get(n, True) for n in names[: names.index(tool)]):
            return False
    return True


class ToolFaultsSource(NoiseSource):
    """Tool calls fail transiently, time out, or hit a tool that is down for the episode.

    Three kinds of fault, each marked in the result's ``meta["fault"]`` (and so in the
    tool span and :attr:`~nexgym.runtime.Runtime.tool_log`):

    * ``"transient"``: the call fails with an error text (the profile's real error
      texts where it has them) and changes nothing; with ``retry_clears`` (the
      default) the very next identical call by the same role goes through.
    * ``"timeout"``: like a transient error, but the call also costs
      ``timeout_seconds`` on the virtual clock.
    * ``"unavailable"``: with probability ``outage_rate`` per episode, ``outage_tools``
      tools are down for the whole episode and every call of them fails. They are
      drawn so that one oracle plan the hierarchy can execute, picked at random, keeps
      every tool it needs (the task stays solvable, as in "Hell or High Water"), and
      preferably among the tools the other plans use, so the outage blocks a route.
      A tool is only taken down if every route (a sub-goal's alternative, or a whole
      plan for tasks without sub-goals) that uses it reaches it before any step that
      changes the world: an agent learns of the outage before the blocked route has
      changed anything, so falling back is always possible.

    Args:
        profile: per-tool error and timeout rates and error texts (a
            :class:`NoiseProfile`, shipped name, YAML path or dict), or None.
        error_rate: transient-error probability per call for every tool (overrides
            the profile's rates when given).
        timeout_rate: timeout probability per call for every tool (likewise).
        timeout_seconds: virtual seconds a timeout costs (default: the profile's, or 10).
        outage_rate: probability per episode of a tool outage.
        outage_tools: how many tools an outage takes down (at most the tools that no
            kept plan needs).
        retry_clears: whether the retry of a call that just failed transiently always
            goes through.
    """

    def __init__(
        self,
        profile: ProfileLike | None = None,
        *,
        error_rate: float | None = None,
        timeout_rate: float | None = None,
        timeout_seconds: float | None = None,
        outage_rate: float = 0.0,
        outage_tools: int = 1,
        retry_clears: bool = True,
    ) -> None:
        super().__init__()
        for name, value in (
            ("error_rate", error_rate),
            ("timeout_rate", timeout_rate),
            ("outage_rate", outage_rate),
        ):
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigError(f"expected {name} in [0, 1], got {value!r}")
        if (error_rate or 0.0) + (timeout_rate or 0.0) > 1.0:
            raise ConfigError(
                f"expected error_rate + timeout_rate <= 1, got {error_rate} + {timeout_rate}"
            )
        if outage_tools < 1:
            raise ConfigError(f"expected outage_tools >= 1, got {outage_tools!r}")
        if timeout_seconds is not None and not timeout_seconds > 0:
            raise ConfigError(f"expected timeout_seconds > 0, got {timeout_seconds!r}")
        self.profile: NoiseProfile | None = None if profile is None else load_profile(profile)
        self.error_rate = error_rate
        self.timeout_rate = timeout_rate
        self.timeout_seconds = float(
            timeout_seconds
            if timeout_seconds is not None
            else (self.profile.timeout_seconds if self.profile else DEFAULT_TIMEOUT_SECONDS)
        )
        self.outage_rate = outage_rate
        self.outage_tools = outage_tools
        self.retry_clears = retry_clears
        #: tools that are down for the current episode
        self.unavailable: frozenset[str] = frozenset()
        self._just_failed: set[tuple[str, str]] = set()

    # -- per episode ------------------------------------------------------------------

    def on_reset(self) -> None:
        """Draw this episode's outage, keeping one executable oracle plan whole."""
        self._just_failed = set()
        self.unavailable = frozenset()
        runtime = self.control
        task = runtime.task
        if task is None or self.outage_rate <= 0 or self.rng.random() >= self.outage_rate:
            return
        held = runtime.spec.all_tools()
        executable = [p for p in task.plans if all(step.name in held for step in p)]
        if not executable:
            return
        kept = executable[int(self.rng.integers(len(executable)))]
        needed = {step.name for step in kept}
        routes = task_routes(task)
        mutates = {name: runtime.domain.tool(name).mutates for name in held}
        eligible = {t for t in held - needed if _found_before_changes(t, routes, mutates)}
        on_routes = sorted(eligible & {s.name for route in routes for s in route})
        candidates = on_routes or sorted(eligible)
        if not candidates:
            return
        count = min(self.outage_tools, len(candidates))
        picks = self.rng.choice(len(candidates), size=count, replace=False)
        self.unavailable = frozenset(candidates[int(i)] for i in picks)

    def reset_info(self, info: dict[str, Any]) -> None:
        """The episode's outage: ``info["unavailable_tools"]``."""
        info["unavailable_tools"] = sorted(self.unavailable)

    # -- per call -----------------------------------------------------------------------

    def _rates(self, tool: str) -> tuple[float, float]:
        noise = self.profile.noise(tool) if self.profile else None
        error = (
            self.error_rate if self.error_rate is not None else (noise.error_rate if noise else 0.0)
        )
        timeout = (
            self.timeout_rate
            if self.timeout_rate is not None
            else (noise.timeout_rate if noise else 0.0)
        )
        return error, timeout

    def _error_text(self, tool: str) -> str:
        messages = self.profile.noise(tool).error_messages if self.profile else []
        if not messages:
            return TRANSIENT_ERROR
        return messages[int(self.rng.integers(len(messages)))]

    def on_tool_call(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """Fail the call as drawn, or run it."""
        shown = self.control.renames.get(call.name, call.name)
        if call.name in self.unavailable:
            return ToolResult.failure(
                f"{shown} is unavailable: its service is down (503 Service Unavailable); "
                "retrying will not help, use another tool",
                fault="unavailable",
            )
        key = (role, call.key())
        if self.retry_clears and key in self._just_failed:
            self._just_failed.discard(key)
            result: ToolResult = call_next(call)
            return result
        error_rate, timeout_rate = self._rates(call.name)
        u = float(self.rng.random())
        if u < timeout_rate:
            self._just_failed.add(key)
            result = ToolResult.failure(
                f"{shown} timed out: no answer within {self.timeout_seconds:g} s", fault="timeout"
            )
            result.latency = self.timeout_seconds
            return result
        if u < timeout_rate + error_rate:
            self._just_failed.add(key)
            return ToolResult.failure(self._error_text(call.name), fault="transient")
        result = call_next(call)
        return result


class ToolFaults(ToolCallWrapper[ToolFaultsSource], gym.utils.RecordConstructorArgs):
    """Tool calls fail transiently, time out, or hit a tool that is down for the episode.

    The Gymnasium adapter of :class:`ToolFaultsSource` (see it for the three kinds of
    fault); :mod:`nexgym.wrappers.noise.pz` applies the same source to the PettingZoo
    views. ``info["unavailable_tools"]`` lists the episode's outage after each reset.

    Args:
        env: a nexgym env.
        profile: per-tool error and timeout rates and error texts (a
            :class:`NoiseProfile`, shipped name, YAML path or dict), or None.
        error_rate: transient-error probability per call for every tool (overrides
            the profile's rates when given).
        timeout_rate: timeout probability per call for every tool (likewise).
        timeout_seconds: virtual seconds a timeout costs (default: the profile's, or 10).
        outage_rate: probability per episode of a tool outage.
        outage_tools: how many tools an outage takes down.
        retry_clears: whether the retry of a call that just failed transiently always
            goes through.
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        profile: ProfileLike | None = None,
        *,
        error_rate: float | None = None,
        timeout_rate: float | None = None,
        timeout_seconds: float | None = None,
        outage_rate: float = 0.0,
        outage_tools: int = 1,
        retry_clears: bool = True,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            profile=profile,
            error_rate=error_rate,
            timeout_rate=timeout_rate,
            timeout_seconds=timeout_seconds,
            outage_rate=outage_rate,
            outage_tools=outage_tools,
            retry_clears=retry_clears,
        )
        source = ToolFaultsSource(
            profile,
            error_rate=error_rate,
            timeout_rate=timeout_rate,
            timeout_seconds=timeout_seconds,
            outage_rate=outage_rate,
            outage_tools=outage_tools,
            retry_clears=retry_clears,
        )
        ToolCallWrapper.__init__(self, env, source)

    profile = source_attribute("profile")
    error_rate = source_attribute("error_rate")
    timeout_rate = source_attribute("timeout_rate")
    timeout_seconds = source_attribute("timeout_seconds")
    outage_rate = source_attribute("outage_rate")
    outage_tools = source_attribute("outage_tools")
    retry_clears = source_attribute("retry_clears")
    #: tools that are down for the current episode
    unavailable = source_attribute("unavailable")
