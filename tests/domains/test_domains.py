"""Registry-driven checks every in-process domain must pass: determinism, solvable plans, spaces.

Domains served by a third-party tool server (those defining ``tool_server()``, see
:mod:`nexgym.envs.domains.kit.tool_server`) keep their worlds outside the process and are tested
with their servers in ``tests/mcp``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from nexgym.envs.domains import DOMAINS, domain_class, get_domain
from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.envs.worlds.library import hand_written

from nexgym.error import ToolError
from nexgym.tools import ToolCall

# the hand-written domains and worlds; the 200+ worlds induced for the catalog are
# compiled from one code path and checked by `nexgym synth --catalog --worlds`
NAMES = [
    n
    for n in sorted(DOMAINS)
    if hand_written(n, DOMAINS[n]) and getattr(domain_class(n), "tool_server", None) is None
]
SEEDS = range(20)
DIFFICULTIES = (1, 2, 3)


@cache
def domain(name: str) -> Domain:
    return get_domain(name)


@cache
def task(name: str, seed: int, difficulty: int) -> Task:
    return domain(name).generate_task(seed, difficulty)


def cases(name: str):
    for seed in SEEDS:
        for difficulty in DIFFICULTIES:
            yield seed, difficulty, task(name, seed, difficulty)


def run_plan(dom: Domain, world, plan) -> None:
    for step, call in enumerate(plan):
        tool = dom.tool(call.name)
        try:
            tool(world, **tool.validate(call.arguments))
        except ToolError as e:
            pytest.fail(f"step {step} {call.describe()} failed: {e}")


@pytest.mark.parametrize("name", NAMES)
def test_tools_are_typed_and_documented(name: str) -> None:
    dom = domain(name)
    parts = len(getattr(dom, "parts", ())) or 1  # a composite has the tools of its parts
    assert 5 <= len(dom.tools) <= 15 * parts
    assert len(set(dom.tool_names)) == len(dom.tools)
    for tool in dom.tools:
        assert tool.description and tool.name != "finish"
        for arg, spec in tool.parameters["properties"].items():
            assert spec.get("description"), f"{tool.name}.{arg} has no description"


@pytest.mark.parametrize("name", NAMES)
def test_generation_is_deterministic(name: str) -> None:
    dom = domain(name)
    for seed, difficulty, first in cases(name):
        again = dom.generate_task(seed, difficulty)
        assert again.instruction == first.instruction
        assert again.plans == first.plans
        assert again.answer == first.answer
        assert first.instruction.isascii() and first.instruction.strip()


@pytest.mark.parametrize("name", NAMES)
def test_every_plan_solves_the_task(name: str) -> None:
    dom = domain(name)
    for seed, difficulty, t in cases(name):
        assert dom.check_invariants(t.world) == [], (seed, difficulty)
        assert 1 <= len(t.plans) <= 2
        for k, plan in enumerate(t.plans):
            assert plan, f"seed {seed} difficulty {difficulty}: plan {k} is empty"
            assert all(dom.has_tool(call.name) for call in plan)
            world = copy.deepcopy(t.world)
            run_plan(dom, world, plan)
            verdict = t.verify(world, t.answer)
            assert verdict.solved, (seed, difficulty, k, verdict.checks)
            assert dom.check_invariants(world) == [], (seed, difficulty, k)


@pytest.mark.parametrize("name", NAMES)
def test_doing_nothing_does_not_solve(name: str) -> None:
    for seed, difficulty, t in cases(name):
        assert t.verify(copy.deepcopy(t.world), None).score < 1, (seed, difficulty)


@pytest.mark.parametrize("name", NAMES)
def test_plan_alternatives_are_tool_disjoint(name: str) -> None:
    for seed, difficulty, t in cases(name):
        for goal in t.goals:
            if len(goal.plans) == 2:
                a, b = ({c.name for c in plan} for plan in goal.plans)
                assert not a & b, (seed, difficulty, goal.text, a & b)
        if all(len(goal.plans) == 2 for goal in t.goals):
            a, b = ({c.name for c in plan} for plan in t.plans)
            assert not a & b, (seed, difficulty, a & b)


@pytest.mark.parametrize("name", NAMES)
def test_admissible_calls_are_bounded_and_well_formed(name: str) -> None:
    dom = domain(name)
    for seed, difficulty, t in cases(name):
        calls = dom.admissible_calls(t, t.world, dom.tool_names)
        assert 0 < len(calls) <= 64
        assert calls == dom.admissible_calls(t, t.world, dom.tool_names)
        assert len({c.key() for c in calls}) == len(calls)
        for call in calls:
            assert isinstance(call, ToolCall)
            dom.tool(call.name).validate(call.arguments)
        subset = dom.tool_names[:2]
        assert all(c.name in subset for c in dom.admissible_calls(t, t.world, subset))
        if sum(len(p) for p in t.plans) <= 64:
            keys = {c.key() for c in calls}
            assert all(c.key() in keys for plan in t.plans for c in plan), (seed, difficulty)


@pytest.mark.parametrize("name", NAMES)
def test_worlds_copy_and_pickle(name: str) -> None:
    dom = domain(name)
    for seed in range(3):
        t = task(name, seed, 3)
        for world in (copy.deepcopy(t.world), pickle.loads(pickle.dumps(t.world))):
            run_plan(dom, world, t.plans[-1])
            assert t.verify(world, t.answer).solved
        assert t.verify(t.world, None).score < 1  # the original was not touched


@pytest.mark.parametrize("name", NAMES)
def test_bad_difficulty_is_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="difficulty"):
        domain(name).generate_task(0, 7)


def fingerprint(names: list[str]) -> str:
    """A digest of the instructions and plans of a few tasks of each domain."""
    digest = hashlib.sha256()
    for name in names:
        for seed in range(2):
            task = get_domain(name).generate_task(seed, 3)
            digest.update(task.instruction.encode())
            digest.update(json.dumps([[c.key() for c in plan] for plan in task.plans]).encode())
    return digest.hexdigest()


def test_tasks_are_the_same_in_another_process() -> None:
    """An MCP server process regenerates a task from its seed: string hashing must not matter."""
    script = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "from test_domains import fingerprint; print(fingerprint(sys.argv[1:]))"
    )
    there = subprocess.run(
        [sys.executable, "-c", script, *NAMES],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert there == fingerprint(NAMES)
