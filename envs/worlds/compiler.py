"""Compile a world spec into a :class:`~nexgym.envs.domains.kit.base.Domain`.

:func:`compile_world` makes a ``Domain`` subclass whose world is an in-memory SQLite
database (:class:`~nexgym.envs.worlds.store.WorldState`), whose tools are the spec's
operations, and whose tasks are composed from them (:mod:`nexgym.envs.worlds.goals`).
The verifier checks every goal and diffs the whole end state against the state the
first oracle plan leaves, so a wrong action elsewhere in the world costs credit too.

A compiled class lives in :mod:`nexgym.envs.worlds.served` under a name that module
can resolve in any process (the MCP server, a pickle's reader), so every compiled
world works with ``backend="mcp"`` as the hand-written domains do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from nexgym.envs.domains.kit.base import Domain, Goal, Task, compose_task
from nexgym.envs.domains.kit.taskgen import bounded_calls
from nexgym.envs.worlds.checks import NUMERIC
from nexgym.envs.worlds.goals import GoalMaker, NoGoal, goal_makers
from nexgym.envs.worlds.operations import build_tool, id_parameter
from nexgym.envs.worlds.spec import WorldSpec
from nexgym.envs.worlds.store import WorldState, build_world, schema_script

from nexgym.error import ConfigError
from nexgym.tools import Tool, ToolCall

__all__ = ["WorldDomain", "compile_world", "spec_digest"]

#: How many acting goals a task draws before questions are considered.
_ATTEMPTS = 12


def spec_digest(spec: WorldSpec) -> str:
    """A short stable hash of a spec's content (names a compiled class across processes)."""
    return hashlib.sha256(spec.to_yaml().encode()).hexdigest()[:12]


class WorldDomain(Domain):
    """A domain compiled from a :class:`WorldSpec` (see :func:`compile_world`)."""

    world_spec: ClassVar[WorldSpec]
    schema: ClassVar[str]
    acting: ClassVar[tuple[GoalMaker, ...]]
    asking: ClassVar[tuple[GoalMaker, ...]]
    #: ``module:Class`` an MCP server process compiles this world from.
    server_reference: ClassVar[str]

    def new_world(self, rng: np.random.Generator, difficulty: int) -> WorldState:
        """A populated world sized by difficulty."""
        return build_world(self.world_spec, self.schema, rng, difficulty)

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """A task of ``difficulty`` goals (acting goals first, then a question)."""
        self.check_difficulty(difficulty)
        rng = self.rng(seed)
        world = self.new_world(rng, difficulty)
        goals = self._draw_goals(rng, world, difficulty)
        preamble = f"You work in this world: {self.world_spec.description.strip()}"
        task = compose_task(self.name, seed, difficulty, world, goals, preamble=preamble)
        expected = self.copy_world(world)
        for call in task.plans[0]:
            tool = self.tool(call.name)
            tool(expected, **tool.validate(call.arguments))
        end_state = expected.snapshot()
        # state diff: the goals' checks plus "nothing else changed"
        task.goals.append(
            Goal(
                "leave every other record as it was",
                lambda w, answer: w.snapshot() == end_state,
                ((),),
            )
        )
        return task

    def _draw_goals(self, rng: np.random.Generator, world: WorldState, count: int) -> list[Goal]:
        touched: set[str] = set()
        goals: list[Goal] = []
        projected = world
        applied = 0  # goals whose first plan the projected world has seen
        acting = [self.acting[int(i)] for i in rng.permutation(len(self.acting))]
        asking = [self.asking[int(i)] for i in rng.permutation(len(self.asking))]
        # acting goals first (one per level above the first), then a question, whose
        # answer must hold at the end
        stages = [
            (acting, max(1, count - 1) if asking else count),
            (asking, count),
            (acting, count),
        ]
        for makers, upto in stages:
            for maker in makers:
                if len(goals) >= upto or (goals and goals[-1].answer is not None):
                    break
                if applied < len(goals):
                    if projected is world:
                        projected = self.copy_world(world)
                    for call in goals[-1].plans[0]:
                        tool = self.tool(call.name)
                        tool(projected, **tool.validate(call.arguments))
                    applied = len(goals)
                try:
                    goals.append(maker(rng, projected, touched))
                except NoGoal:
                    continue
        if not goals:
            raise ConfigError(
                f"world {self.name!r}: no goal could be drawn; give its entities more records "
                "or add tools that act on them"
            )
        return goals

    def check_invariants(self, world: Any) -> list[str]:
        """Constraint violations and dangling references, one line each."""
        problems = []
        spec = self.world_spec
        for entity in spec.entities:
            ids_of = {}
            for row in world.records(entity.name):
                for f in entity.fields:
                    if f.type in NUMERIC:
                        low, high = spec.bounds(entity.name, f.name)
                        if (low is not None and row[f.name] < low) or (
                            high is not None and row[f.name] > high
                        ):
                            problems.append(
                                f"{row['id']}.{f.name} = {row[f.name]} breaks its bounds"
                            )
                    elif f.type == "ref":
                        target = str(f.entity)
                        if target not in ids_of:
                            ids_of[target] = {r["id"] for r in world.records(target)}
                        if row[f.name] is not None and row[f.name] not in ids_of[target]:
                            problems.append(f"{row['id']}.{f.name} refers to missing {row[f.name]}")
        return problems

    def candidate_calls(self, world: WorldState) -> list[ToolCall]:
        """Calls of every tool on the world's records (distractors for discrete policies)."""
        calls = []
        for t in self.world_spec.tools:
            rows = world.records(t.entity)[:6]
            key = id_parameter(t.entity)
            for row in rows:
                if t.op == "lookup":
                    calls.append(ToolCall(t.name, {"key": row["id"]}))
                elif t.op == "transition":
                    calls.append(ToolCall(t.name, {key: row["id"]}))
            if t.op == "list":
                calls.append(ToolCall(t.name, {}))
        return calls

    def admissible_calls(self, task: Task, world: Any, tool_names: Sequence[str]) -> list[ToolCall]:
        """The plan steps, then calls on the world's records; at most 64."""
        return bounded_calls(task.plans, self.candidate_calls(world), tool_names)


def compile_world(spec: WorldSpec, *, qualname: str | None = None) -> type[WorldDomain]:
    """A new :class:`WorldDomain` subclass for ``spec``.

    Args:
        spec: a validated world spec.
        qualname: the name :mod:`nexgym.envs.worlds.served` resolves the class by
            (default: the spec's name and content digest).
    """
    tools: tuple[Tool, ...] = tuple(build_tool(spec, t) for t in spec.tools)
    acting, asking = goal_makers(spec)
    class_name = qualname or f"{spec.name}__{spec_digest(spec)}"
    namespace = {
        "name": spec.name,
        "description": spec.description.strip(),
        "tools": tools,
        "world_spec": spec,
        "schema": schema_script(spec),
        "acting": acting,
        "asking": asking,
        "server_reference": f"nexgym.envs.worlds.served:{class_name}",
        "__module__": "nexgym.envs.worlds.served",
        "__qualname__": class_name,
        "__doc__": f"{spec.title or spec.name}: {spec.description.strip()}",
    }
    return type(class_name, (WorldDomain,), namespace)
