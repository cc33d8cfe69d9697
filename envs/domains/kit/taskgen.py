"""Shared machinery of the generated domains: goal mixing, candidate calls, seeded draws.

:class:`GeneratedDomain` implements :meth:`~Domain.generate_task` once for every
domain built the same way: ``new_world(rng, difficulty)`` makes a world and the facts
goals draw on, and each function in ``makers`` makes one :class:`Goal`.
A task at difficulty *d* mixes *d* makers (questions last). Each maker sees the
world *as the earlier goals' first plan leaves it*, so plans and expected answers
stay right when goals follow each other; makers record the entities they use in
``facts["touched"]`` so later goals pick others and the goals never interfere.
The seeded draws the domains use are in :mod:`nexgym.envs.domains.kit.draws`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
from nexgym.envs.domains.kit.base import Domain, Goal, Plan, Task, compose_task

from nexgym.tools import ToolCall

__all__ = ["MAX_CANDIDATES", "GeneratedDomain", "bounded_calls", "call"]

#: A goal maker: ``maker(rng, world, facts) -> Goal``.
Maker = Callable[[np.random.Generator, Any, dict[str, Any]], Goal]

#: The most candidate calls :meth:`Domain.admissible_calls` offers.
MAX_CANDIDATES = 64


def call(name: str, /, **arguments: Any) -> ToolCall:
    """A plan step: ``call("get_order", order_id="ORD-1")``."""
    return ToolCall(name, arguments)


def bounded_calls(
    plans: Iterable[Plan],
    candidates: Iterable[ToolCall],
    tool_names: Sequence[str],
    limit: int = MAX_CANDIDATES,
) -> list[ToolCall]:
    """Plan steps, then candidates, up to ``limit`` distinct calls of ``tool_names``.

    The calls come back sorted by name and arguments, so that a call's position in the
    list says nothing about whether it belongs to a plan.
    """
    allowed = set(tool_names)
    seen: dict[str, ToolCall] = {}
    steps = [call for plan in plans for call in plan]
    for call in [*steps, *candidates]:
        if call.name in allowed and call.key() not in seen:
            seen[call.key()] = call
            if len(seen) >= limit:
                break
    return [seen[key] for key in sorted(seen)]


class GeneratedDomain(Domain):
    """A domain whose tasks mix goal makers on a freshly generated world.

    Subclasses implement :meth:`new_world`, list their goal makers in
    ``makers`` (state-changing goals first, questions last) and may override
    :meth:`preamble` and :meth:`candidate_calls`.
    """

    #: Goal makers ``(rng, world, facts) -> Goal``, state changes first, questions last.
    makers: ClassVar[tuple[Maker, ...]] = ()

    def new_world(self, rng: np.random.Generator, difficulty: int) -> tuple[Any, dict[str, Any]]:
        """A populated world sized by difficulty, and the facts goals draw on."""
        raise NotImplementedError

    def preamble(self, facts: dict[str, Any]) -> str:
        """Context put before the goals in the instruction (empty by default)."""
        return ""

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """A task of ``difficulty`` sub-goals on a world sized by difficulty."""
        self.check_difficulty(difficulty)
        rng = self.rng(seed)
        world, facts = self.new_world(rng, difficulty)
        goals = self.draw_goals(rng, world, facts, difficulty)
        return compose_task(
            self.name, seed, difficulty, world, goals, preamble=self.preamble(facts)
        )

    def draw_goals(
        self, rng: np.random.Generator, world: Any, facts: dict[str, Any], count: int
    ) -> list[Goal]:
        """Make ``count`` goals from distinct makers, in declaration order.

        Each maker sees the world as the first plans of the goals made before it leave
        it: a projected copy, made when the first of those plans runs. ``world`` is left
        untouched (makers only read the world they are given), and the last goal's plan
        is not run, as no maker sees its effects.
        """
        facts.setdefault("touched", set())
        chosen = sorted(int(i) for i in rng.permutation(len(self.makers))[:count])
        projected = world
        goals: list[Goal] = []
        for index in chosen:
            if goals:  # the next maker sees the effects of the goal before it
                if projected is world:
                    projected = self.copy_world(world)
                self.run_plan(projected, goals[-1].plans[0])
            goals.append(self.makers[index](rng, projected, facts))
        return goals

    def run_plan(self, world: Any, plan: Plan) -> list[Any]:
        """Execute a plan's calls on ``world`` (validating arguments); returns the results."""
        results = []
        for call in plan:
            tool = self.tool(call.name)
            results.append(tool(world, **tool.validate(call.arguments)))
        return results

    def candidate_calls(self, world: Any) -> list[ToolCall]:
        """Plausible calls on the world's real entities (distractors for a discrete policy)."""
        return []

    def admissible_calls(self, task: Task, world: Any, tool_names: Sequence[str]) -> list[ToolCall]:
        """The plan steps, then calls on the world's entities; at most 64, in a fixed order."""
        return bounded_calls(task.plans, self.candidate_calls(world), tool_names)
