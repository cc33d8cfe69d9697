"""The domain contract: a world, its tools, a seeded task generator and a verifier.

A domain is the bottom layer of nexgym: it knows nothing of agents, hierarchies or
Gymnasium. Tools act on a world object owned by one episode; tasks are generated from
an integer seed (so an MCP server process can regenerate the very same task), and each
task carries one or more oracle plans (tool-call sequences that solve it), disjoint
where the domain allows so that a blocked tool can leave the task solvable.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from nexgym.error import ConfigError, UnknownNameError
from nexgym.tools import Tool, ToolCall

__all__ = [
    "Domain",
    "Goal",
    "Plan",
    "Task",
    "Verdict",
    "answer_has",
    "answer_limit",
    "compose_task",
]

Plan = tuple[ToolCall, ...]


@dataclass(frozen=True)
class Verdict:
    """The verifier's judgement of an episode's end state and answer.

    Attributes:
        score: partial credit in [0, 1]: the fraction of the task's checks that pass.
        solved: True when every check passes.
        checks: ``(description, passed)`` for each check, for logs and debugging.
    """

    score: float
    solved: bool
    checks: tuple[tuple[str, bool], ...] = ()

    @classmethod
    def from_checks(cls, checks: Sequence[tuple[str, bool]]) -> Verdict:
        """Score a list of named checks (an empty list counts as solved)."""
        if not checks:
            return cls(1.0, True, ())
        passed = sum(1 for _, ok in checks if ok)
        return cls(passed / len(checks), passed == len(checks), tuple(checks))


@dataclass
class Goal:
    """One sub-goal of a task.

    Attributes:
        text: the instruction for this sub-goal.
        check: ``check(world, answer) -> bool`` on the end state and final answer.
        plans: one or more tool-call sequences that achieve it (alternatives).
        answer: the expected answer text if the sub-goal is a question.
    """

    text: str
    check: Callable[[Any, str | None], bool]
    plans: tuple[Plan, ...]
    answer: str | None = None


@dataclass
class Task:
    """A verifiable task on a freshly generated world.

    Attributes:
        domain: the domain's name.
        seed: the integer seed the task was generated from.
        difficulty: 1 (easy) to 3 (hard).
        instruction: the text the root agent receives.
        world: the initial world state (mutated in place by tools during an episode).
        goals: the sub-goals; the verifier gives partial credit per goal.
        plans: oracle plans over the domain's tools (``finish`` not included).
        answer: the expected final answer, or None when only the end state matters.
    """

    domain: str
    seed: int
    difficulty: int
    instruction: str
    world: Any
    goals: list[Goal]
    plans: tuple[Plan, ...]
    answer: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def verify(self, world: Any, answer: str | None) -> Verdict:
        """Check every goal against the end state and the final answer.

        An answer longer than :func:`answer_limit` allows is a dump (every report that
        came back, relayed), not an answer: the question goals see no answer then, so
        that relaying whatever came back cannot match an expected value by chance.
        """
        if answer is not None and self.answer is not None and len(answer) > answer_limit(self):
            answer = None
        checks = []
        for goal in self.goals:
            try:
                ok = bool(goal.check(world, answer))
            except Exception:  # a verifier must never crash an episode
                ok = False
            checks.append((goal.text, ok))
        return Verdict.from_checks(checks)

    def tools_used(self) -> set[str]:
        """Names of every tool some oracle plan uses."""
        return {call.name for plan in self.plans for call in plan}


#: Characters a final answer may have beyond twice the expected answer's length.
ANSWER_SLACK = 300


def answer_limit(task: Task) -> int:
    """The longest final answer ``task``'s verifier reads (see :meth:`Task.verify`)."""
    return ANSWER_SLACK + 2 * len(task.answer or "")


def compose_task(
    domain: str,
    seed: int,
    difficulty: int,
    world: Any,
    goals: Sequence[Goal],
    *,
    preamble: str = "",
) -> Task:
    """Assemble a task from sub-goals.

    Plan *k* runs every goal's *k*-th alternative (or its last one, if it has fewer),
    so when every goal has two disjoint alternatives the task has two disjoint plans.
    """
    goals = list(goals)
    if not goals:
        raise ConfigError("expected at least one goal to compose a task, got none")
    n_plans = max(len(g.plans) for g in goals)
    plans = tuple(
        tuple(call for g in goals for call in g.plans[min(k, len(g.plans) - 1)])
        for k in range(n_plans)
    )
    if len(goals) == 1:
        body = goals[0].text
    else:
        body = "Do all of the following:\n" + "\n".join(
            f"{i}. {g.text}" for i, g in enumerate(goals, 1)
        )
    answers = [g.answer for g in goals if g.answer is not None]
    instruction = f"{preamble.strip()}\n{body}".strip() if preamble else body
    if answers:
        instruction += "\nWhen you are done, call finish with the answer."
    return Task(
        domain=domain,
        seed=seed,
        difficulty=difficulty,
        instruction=instruction,
        world=world,
        goals=goals,
        plans=plans,
        answer="; ".join(answers) if answers else None,
    )


# A standalone number: digits inside times (09:00), dates (2026-03-01), paths or words
# (step_3) are not answers to a "how many" question.
_NUMBER = re.compile(r"(?<![\w:/.-])-?\d+(?:,\d{3})*(?:\.\d+)?(?![\w:/-]|\.\d)")


def answer_has(answer: str | None, expected: str | float | int) -> bool:
    """Whether a free-text answer contains the expected value.

    Numbers match numerically (``1,204.50`` matches ``1204.5``); text matches
    case-insensitively as a whole word or phrase.
    """
    if answer is None:
        return False
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        for token in _NUMBER.findall(answer):
            try:
                if abs(float(token.replace(",", "")) - float(expected)) <= 1e-6 + 1e-9 * abs(
                    float(expected)
                ):
                    return True
            except ValueError:
                continue
        return False
    pattern = r"(?<![\w/.-])" + re.escape(str(expected).lower()) + r"(?![\w/-])"
    return re.search(pattern, answer.lower()) is not None


class Domain:
    """Base class of a domain.

    Subclasses set ``name``, ``description`` and ``tools`` and implement
    :meth:`generate_task`. One instance serves one env (it may hold loopback
    services, ended by :meth:`close`).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    tools: ClassVar[tuple[Tool, ...]]
    #: True when real clocks or third-party processes make trajectories vary.
    nondeterministic: ClassVar[bool] = False
    difficulties: ClassVar[tuple[int, ...]] = (1, 2, 3)

    def __init__(self) -> None:
        self._tools = {t.name: t for t in self.tools}

    @property
    def tool_names(self) -> tuple[str, ...]:
        """Names of the domain's tools, in declaration order."""
        return tuple(self._tools)

    def tool(self, name: str) -> Tool:
        """The tool called ``name`` (raises with suggestions if there is none)."""
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownNameError(f"tool of domain {self.name!r}", name, self._tools) from None

    def has_tool(self, name: str) -> bool:
        """Whether the domain has a tool called ``name``."""
        return name in self._tools

    def check_difficulty(self, difficulty: int) -> int:
        """Validate a difficulty level."""
        if difficulty not in self.difficulties:
            raise ConfigError(
                f"expected difficulty in {self.difficulties} for domain {self.name!r}, "
                f"got {difficulty!r}"
            )
        return difficulty

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """Generate a task and its initial world from an integer seed."""
        raise NotImplementedError

    @staticmethod
    def rng(seed: int) -> np.random.Generator:
        """The generator a task with this seed is drawn from."""
        return np.random.default_rng(seed)

    def copy_world(self, world: Any) -> Any:
        """An independent copy of a world (used to fork worlds for parallel agents)."""
        return copy.deepcopy(world)

    def check_invariants(self, world: Any) -> list[str]:
        """Structural invariants of a world; returns one line per violation."""
        return []

    def admissible_calls(self, task: Task, world: Any, tool_names: Sequence[str]) -> list[ToolCall]:
        """Well-formed candidate calls of the given tools in this state.

        The default offers every call of an oracle plan plus argument variants drawn
        from the plans; domains override it to enumerate their state.
        """
        allowed = set(tool_names)
        seen: dict[str, ToolCall] = {}
        for plan in task.plans:
            for call in plan:
                if call.name in allowed:
                    seen.setdefault(call.key(), call)
        return list(seen.values())

    def close(self) -> None:
        """Release resources (loopback servers, processes); idempotent."""
