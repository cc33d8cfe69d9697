"""ToolBudget: per-tool call budgets, shown in every observation; overspending ends the episode."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
from nexgym.wrappers.noise.middleware import ToolCallWrapper, ToolHandler

from nexgym.error import ConfigError
from nexgym.spaces import to_charset
from nexgym.tools import ToolCall, ToolResult

__all__ = ["ToolBudget"]


class ToolBudget(ToolCallWrapper, gym.utils.RecordConstructorArgs):
    """Each tool may be called a limited number of times per episode.

    The rule: every domain tool call that reaches this wrapper, by any role, spends one
    unit of its tool's budget (calls that an outer :class:`ToolFaults` fails before
    they reach it are free; with ToolFaults inside, faulted calls count). A tool whose
    budget is spent may not be called again: such a call does not run and ends the
    episode with stop reason ``tool_budget``, ``terminated``, scored as the world stands.
    So with a budget of ``n``, ``n`` calls run and an ``(n+1)``-th ends the episode.

    Every observation ends with a tracker line,
    ``[tool budget] read_file 2/3 left, write_file 0/1 left``, naming tools as shown
    (after any :class:`SchemaDrift`), and ``info["tool_budget"]`` maps those names to
    the calls left.

    Args:
        env: a nexgym env.
        budgets: tool name -> calls allowed per episode.
        default: calls allowed for every other tool the hierarchy holds (None: unlimited).

    Example:
        >>> env = ToolBudget(gym.make("nex/FileOps-v0"), {"read_file": 2}, default=10)
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        budgets: dict[str, int] | None = None,
        *,
        default: int | None = None,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, budgets=budgets, default=default)
        budgets = dict(budgets or {})
        for name, value in budgets.items():
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"expected budgets[{name!r}] to be an int >= 0, got {value!r}")
        if default is not None and (not isinstance(default, int) or default < 0):
            raise ConfigError(f"expected default to be an int >= 0 or None, got {default!r}")
        if not budgets and default is None:
            raise ConfigError(
                "expected budgets (tool name -> calls) or a default budget, got neither; "
                "e.g. ToolBudget(env, {'read_file': 3}) or ToolBudget(env, default=5)"
            )
        ToolCallWrapper.__init__(self, env)
        held = self.runtime.spec.all_tools()
        unknown = sorted(set(budgets) - held)
        if unknown:
            from nexgym.error import UnknownNameError

            raise UnknownNameError("tool in budgets", unknown[0], held)
        self.limits: dict[str, int] = {
            name: budgets.get(name, default)  # type: ignore[misc]
            for name in sorted(held)
            if name in budgets or default is not None
        }
        self.used: dict[str, int] = dict.fromkeys(self.limits, 0)

    def on_reset(self) -> None:
        """Refill every budget."""
        self.used = dict.fromkeys(self.limits, 0)

    def on_tool_call(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """Spend one unit, or end the episode if the tool's budget is spent."""
        limit = self.limits.get(call.name)
        if limit is None:
            result: ToolResult = call_next(call)
            return result
        if self.used[call.name] >= limit:
            shown = self.runtime.renames.get(call.name, call.name)
            self.runtime.stop("tool_budget")
            return ToolResult.failure(
                f"the call budget of {shown} ({limit} calls) is spent; the episode ends",
                fault="budget",
            )
        self.used[call.name] += 1
        result = call_next(call)
        return result

    def remaining(self) -> dict[str, int]:
        """Calls left per tool, by shown name."""
        renames = self.runtime.renames
        return {
            renames.get(name, name): limit - self.used[name] for name, limit in self.limits.items()
        }

    def tracker_line(self) -> str:
        """The line appended to each observation."""
        renames = self.runtime.renames
        parts = [
            f"{renames.get(name, name)} {limit - self.used[name]}/{limit} left"
            for name, limit in self.limits.items()
        ]
        return "[tool budget] " + ", ".join(parts)

    def _track(self, obs: str, info: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        info["tool_budget"] = self.remaining()
        return to_charset(f"{obs}\n{self.tracker_line()}"), info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Reset with full budgets."""
        obs, info = super().reset(seed=seed, options=options)
        return self._track(obs, info)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step and report the budgets left."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        obs, info = self._track(obs, info)
        return obs, reward, terminated, truncated, info
