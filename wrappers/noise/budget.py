"""ToolBudget: per-tool call budgets, shown in every observation; overspending ends the episode."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from nexgym.wrappers.noise.middleware import (
    NoiseSource,
    ToolCallWrapper,
    ToolHandler,
    source_attribute,
)

from nexgym.error import ConfigError, UnknownNameError
from nexgym.runtime.view import RuntimeControl
from nexgym.spaces import to_charset
from nexgym.tools import ToolCall, ToolResult

__all__ = ["ToolBudget", "ToolBudgetSource"]


class ToolBudgetSource(NoiseSource):
    """Each tool may be called a limited number of times per episode.

    The rule: every domain tool call that reaches this source, by any role, spends one
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
        budgets: tool name -> calls allowed per episode.
        default: calls allowed for every other tool the hierarchy holds (None: unlimited).
    """

    def __init__(self, budgets: dict[str, int] | None = None, *, default: int | None = None):
        super().__init__()
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
        self.budgets = budgets
        self.default = default
        #: tool name -> calls allowed per episode (set when attached to a hierarchy)
        self.limits: dict[str, int] = {}
        self.used: dict[str, int] = {}

    def attach(self, runtime: RuntimeControl) -> None:
        """Install the middleware and set the limits of the tools the hierarchy holds.

        Raises:
            UnknownNameError: a budget names a tool the hierarchy does not hold.
        """
        held = runtime.spec.all_tools()
        unknown = sorted(set(self.budgets) - held)
        if unknown:
            raise UnknownNameError("tool in budgets", unknown[0], held)
        if not self.limits:
            for name in sorted(held):
                limit = self.budgets.get(name, self.default)
                if limit is not None:
                    self.limits[name] = limit
            self.used = dict.fromkeys(self.limits, 0)
        super().attach(runtime)

    def on_reset(self) -> None:
        """Refill every budget."""
        self.used = dict.fromkeys(self.limits, 0)

    def on_tool_call(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """Spend one unit, or end the episode if the tool's budget is spent."""
        limit = self.limits.get(call.name)
        if limit is None:
            return call_next(call)
        if self.used[call.name] >= limit:
            runtime = self.control
            shown = runtime.renames.get(call.name, call.name)
            runtime.stop("tool_budget")
            return ToolResult.failure(
                f"the call budget of {shown} ({limit} calls) is spent; the episode ends",
                fault="budget",
            )
        self.used[call.name] += 1
        return call_next(call)

    def remaining(self) -> dict[str, int]:
        """Calls left per tool, by shown name."""
        renames = self.control.renames
        return {
            renames.get(name, name): limit - self.used[name] for name, limit in self.limits.items()
        }

    def tracker_line(self) -> str:
        """The line appended to each observation."""
        renames = self.control.renames
        parts = [
            f"{renames.get(name, name)} {limit - self.used[name]}/{limit} left"
            for name, limit in self.limits.items()
        ]
        return "[tool budget] " + ", ".join(parts)

    def step_info(self, info: dict[str, Any]) -> None:
        """The calls left per tool: ``info["tool_budget"]``."""
        info["tool_budget"] = self.remaining()

    def observation(self, text: str) -> str:
        """The observation with the tracker line."""
        return to_charset(f"{text}\n{self.tracker_line()}")


class ToolBudget(ToolCallWrapper[ToolBudgetSource], gym.utils.RecordConstructorArgs):
    """Each tool may be called a limited number of times per episode.

    The Gymnasium adapter of :class:`ToolBudgetSource` (see it for the rule, the
    tracker line and ``info["tool_budget"]``); :mod:`nexgym.wrappers.noise.pz` applies
    the same source to the PettingZoo views.

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
        ToolCallWrapper.__init__(self, env, ToolBudgetSource(budgets, default=default))

    #: tool name -> calls allowed per episode
    limits = source_attribute("limits")
    #: tool name -> calls made this episode
    used = source_attribute("used")

    def remaining(self) -> dict[str, int]:
        """Calls left per tool, by shown name."""
        return self.source.remaining()

    def tracker_line(self) -> str:
        """The line appended to each observation."""
        return self.source.tracker_line()
