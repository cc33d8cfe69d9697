"""Shared machinery of the generated domains: seeded draws, goal mixing, candidate calls.

:class:`GeneratedDomain` implements :meth:`~Domain.generate_task` once for every
domain built the same way: ``new_world(rng, difficulty)`` makes a world and the facts
goals draw on, and each function in ``makers`` makes one :class:`Goal`.
A task at difficulty *d* mixes *d* makers (questions last). Each maker sees the
world *as the earlier goals' first plan leaves it*, so plans and expected answers
stay right when goals follow each other; makers record the entities they use in
``facts["touched"]`` so later goals pick others and the goals never interfere.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
from nexgym.envs.domains.base import Domain, Goal, Plan, Task, compose_task

from nexgym.tools import ToolCall

__all__ = [
    "MAX_CANDIDATES",
    "FastRng",
    "GeneratedDomain",
    "bounded_calls",
    "call",
    "fast_rng",
    "integer",
    "integer_rows",
    "pick",
    "sample",
]

T = TypeVar("T")
#: A goal maker: ``maker(rng, world, facts) -> Goal``.
Maker = Callable[[np.random.Generator, Any, dict[str, Any]], Goal]

#: The most candidate calls :meth:`Domain.admissible_calls` offers.
MAX_CANDIDATES = 64


def call(name: str, /, **arguments: Any) -> ToolCall:
    """A plan step: ``call("get_order", order_id="ORD-1")``."""
    return ToolCall(name, arguments)


class FastRng(np.random.Generator):
    """numpy's generator for ``seed`` (bulk draws), plus Python's Mersenne Twister for scalars.

    A scalar ``Generator.integers`` costs microseconds and ``choice(..., replace=False)``
    over ten; :func:`pick`, :func:`sample` and :func:`integer` draw from ``py`` instead,
    several times faster. Both streams are seeded from ``seed`` alone, so a seed gives
    the same task in every process.
    """

    __slots__ = ("py",)

    def __init__(self, seed: int) -> None:
        super().__init__(np.random.PCG64(seed))
        self.py = random.Random(seed)


def fast_rng(seed: int) -> np.random.Generator:
    """A :class:`FastRng` (domains whose generators draw many scalars use it as ``rng``)."""
    return FastRng(seed)


def integer(rng: np.random.Generator, low: int, high: int) -> int:
    """An int in ``[low, high)``, like ``int(rng.integers(low, high))``."""
    if type(rng) is FastRng:
        return low + rng.py._randbelow(high - low)  # type: ignore[attr-defined]
    return int(rng.integers(low, high))


def integer_rows(
    rng: np.random.Generator, low: Sequence[int], high: Sequence[int], rows: int
) -> list[list[int]]:
    """``rows`` rows of ints, column ``j`` in ``[low[j], high[j])``, as plain Python lists.

    Scaled uniform floats: ``Generator.integers`` with per-column bounds is twice as slow.
    """
    lo, span = np.asarray(low), np.asarray(high) - np.asarray(low)
    drawn = (rng.random((rows, len(lo))) * span).astype(np.int64)
    return (np.minimum(drawn, span - 1) + lo).tolist()


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """One item of a sequence, drawn with ``rng`` (a plain Python value, not numpy's)."""
    if type(rng) is FastRng:
        return items[rng.py._randbelow(len(items))]  # type: ignore[attr-defined]
    return items[int(rng.integers(len(items)))]


def sample(rng: np.random.Generator, items: Sequence[T], k: int) -> list[T]:
    """``k`` distinct items of a sequence in draw order (all of them if there are fewer)."""
    n = len(items)
    k = min(k, n)
    if type(rng) is FastRng and k <= 32:
        below = rng.py._randbelow  # type: ignore[attr-defined]
        if 3 * k > n:  # partial Fisher-Yates shuffle
            pool = list(range(n))
            for j in range(k):
                i = j + below(n - j)
                pool[i], pool[j] = pool[j], pool[i]
            return [items[i] for i in pool[:k]]
        seen: set[int] = set()
        out: list[T] = []
        while len(out) < k:
            i = below(n)
            if i not in seen:
                seen.add(i)
                out.append(items[i])
        return out
    return [items[i] for i in rng.choice(n, size=k, replace=False).tolist()]


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

        ``world`` is left untouched: makers see a projected copy that already holds
        the effects of the goals made before them.
        """
        facts.setdefault("touched", set())
        if type(rng) is FastRng:
            chosen = sorted(sample(rng, range(len(self.makers)), count))
        else:
            chosen = sorted(int(i) for i in rng.permutation(len(self.makers))[:count])
        projected = self.copy_world(world)
        goals = []
        for index in chosen:
            goal = self.makers[index](rng, projected, facts)
            self.run_plan(projected, goal.plans[0])
            goals.append(goal)
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
