"""The robust oracle: the oracle plan, with retries and a fallback route around tool outages.

The plain :class:`~nexgym.policies.oracle.OraclePolicy` already retries a failed step
(it reads progress from the calls that succeeded) and calls tools by their shown names,
but it always follows one plan: when a tool of that plan is down for the episode
(:class:`~nexgym.wrappers.ToolFaults` outages) it retries until it runs out of turns.
The robust oracle reads the outages from the runtime's tool log
(``meta["fault"] == "unavailable"``) and routes around them: for each sub-goal of the
task it takes the first alternative whose tools are all held and up, so completed
sub-goals are kept and only the blocked one switches route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nexgym.envs.domains.kit.base import Plan, Task
from nexgym.policies.oracle import OraclePolicy
from nexgym.runtime.view import RuntimeView, current_task
from nexgym.tools import ToolCall

if TYPE_CHECKING:
    from nexgym.runtime.view import HierarchyEnv

__all__ = ["RobustOraclePolicy", "unavailable_tools"]


def unavailable_tools(runtime: RuntimeView) -> set[str]:
    """Tools the episode's calls found down (``meta["fault"] == "unavailable"``)."""
    return {r.call.name for r in runtime.tool_log if r.meta.get("fault") == "unavailable"}


class RobustOraclePolicy(OraclePolicy):
    """Follows the task's oracle plans, retrying faults and falling back around outages.

    Args:
        env: the env it plays.
        plan: index of the preferred oracle plan (default: the first one usable).
        teammates: also play the env's :class:`OraclePolicy` teammates (the roles the
            policy does not control, where a user gave an oracle), so that they route
            around outages too. The default teammates need nothing: they do what the
            root asks, and the root asks for the route around. Teammates with an error
            rate, and other teammates given by the user, are left alone.
    """

    def __init__(
        self, env: HierarchyEnv, *, plan: int | None = None, teammates: bool = True
    ) -> None:
        super().__init__(env, error_rate=0.0, plan=plan)
        if teammates:
            # the Gymnasium view's teammates (the PettingZoo views have none: every role plays)
            team = getattr(env.unwrapped, "teammates", {})
            for role, mate in team.items():
                if type(mate) is OraclePolicy and mate.error_rate == 0.0:
                    team[role] = self

    def choose_plan(self, runtime: RuntimeView) -> Plan:
        """The plan to follow, avoiding every tool found down so far."""
        task = current_task(runtime)
        held = runtime.spec.all_tools()
        down = unavailable_tools(runtime)

        def usable(plan: Plan) -> bool:
            return all(step.name in held and step.name not in down for step in plan)

        plans = list(task.plans)
        if self.plan_index is not None:
            first = self.plan_index % len(plans)
            plans = [plans[first], *plans[:first], *plans[first + 1 :]]
        mixed = self._per_goal_plan(task, usable)
        if mixed is not None:
            return mixed
        for plan in plans:
            if usable(plan):
                return plan
        return super().choose_plan(runtime)

    def _per_goal_plan(self, task: Task, usable: Callable[[Plan], bool]) -> Plan | None:
        """Each sub-goal's first usable alternative, in goal order (None if not composed)."""
        from nexgym.wrappers.noise.faults import goal_alternatives

        per_goal = goal_alternatives(task)
        if per_goal is None:
            return None
        steps: list[ToolCall] = []
        for alternatives in per_goal:
            options = list(alternatives)
            if self.plan_index is not None:
                first = min(self.plan_index, len(options) - 1)
                options = [options[first], *options[:first], *options[first + 1 :]]
            choice = next((alt for alt in options if usable(alt)), None)
            if choice is None:
                return None
            steps.extend(choice)
        return tuple(steps)
