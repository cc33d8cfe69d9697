"""Goals composed from a world's operations: find, then act, then confirm; or ask.

A goal maker exists for each acting tool (transition, update, transfer, create, note)
and for each kind of question the reading tools can answer (a field of a record, a
count over a filter). A maker picks a record no earlier goal touched and returns a
:class:`~nexgym.envs.domains.kit.base.Goal` whose plans are concrete tool calls: the
first finds the record by lookup, the second by search or list where the world has
them, and acts through another tool of the same effect where one exists, so the two
plans are disjoint whenever the operations allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from nexgym.envs.domains.kit.base import Goal, Plan, answer_has
from nexgym.envs.worlds.checks import NUMERIC
from nexgym.envs.worlds.operations import id_parameter
from nexgym.envs.worlds.spec import EntitySpec, ToolSpec, WorldSpec
from nexgym.envs.worlds.store import WorldState, _names, record_id

from nexgym.tools import ToolCall

__all__ = ["GoalMaker", "NoGoal", "goal_makers"]

#: ``maker(rng, world, touched) -> Goal``; raises :class:`NoGoal` when the world offers none.
GoalMaker = Callable[[np.random.Generator, WorldState, set[str]], Goal]


class NoGoal(Exception):
    """The maker finds nothing to ask or do in this world (another maker is tried)."""


@dataclass
class _Finders:
    """How a record of one entity is found: by lookup, and by search or list."""

    spec: WorldSpec
    entity: EntitySpec

    def tools(self, op: str) -> list[ToolSpec]:
        return [t for t in self.spec.tools if t.entity == self.entity.name and t.op == op]

    def ways(self, row: dict[str, Any]) -> list[Plan]:
        """Alternative plans that show the record's id given its name (may be empty)."""
        label = self.entity.label_field
        ways: list[Plan] = []
        for t in self.tools("lookup")[:1]:
            ways.append((ToolCall(t.name, {"key": str(row[label])}),))
        for t in self.tools("search")[:1]:
            ways.append((ToolCall(t.name, {"query": str(row[label])}),))
        for t in self.tools("list")[:1]:
            ways.append((ToolCall(t.name, {}),))
        return ways

    def confirm(self, record: str) -> Plan:
        lookups = self.tools("lookup")
        return (ToolCall(lookups[0].name, {"key": record}),) if lookups else ()

    def describe(self, row: dict[str, Any]) -> str:
        """How the instruction names the record: by name when it can be found by name."""
        label = self.entity.label_field
        if label != "id" and (self.tools("lookup") or self.tools("search") or self.tools("list")):
            return f"the {self.entity.name.replace('_', ' ')} {row[label]!r}"
        return f"{self.entity.name.replace('_', ' ')} {row['id']}"


def _pick(rng: np.random.Generator, rows: list[dict[str, Any]], touched: set[str]) -> dict:
    free = [r for r in rows if r["id"] not in touched]
    if not free:
        raise NoGoal
    row = free[int(rng.integers(0, len(free)))]
    touched.add(row["id"])
    return row


def _plans(finders: _Finders, rows: list[dict[str, Any]], acts: list[Plan]) -> tuple[Plan, ...]:
    """The first way to find the records, act and confirm; and a tool-disjoint second plan.

    The second plan finds the records another way and acts through another tool of the
    same effect; it is offered only when the world has both, so that blocking any one
    tool of the first plan leaves the goal solvable.
    """
    ways = [finders.ways(row) or [()] for row in rows]
    first = (
        *(call for w in ways for call in w[0]),
        *acts[0],
        *(call for row in rows for call in finders.confirm(row["id"])),
    )
    if len(acts) < 2 or any(len(w) < 2 for w in ways):
        return (first,)
    second = (*(call for w in ways for call in w[1]), *acts[1])
    if {c.name for c in first} & {c.name for c in second}:
        return (first,)
    return (first, second)


def _alternatives(spec: WorldSpec, tool: ToolSpec, field: str | None = None) -> list[ToolSpec]:
    """Other tools with the same effect as ``tool`` (on ``field``, for an update)."""
    out = []
    for t in spec.tools:
        if t is tool or t.entity != tool.entity:
            continue
        same_update = tool.op == "update" and t.op == "update" and field in t.fields
        same_move = tool.op in ("transfer", "note") and t.op == tool.op and t.field == tool.field
        if same_update or same_move:
            out.append(t)
    return out


def _record_check(entity: str, record: str, field: str, value: Any) -> Callable[..., bool]:
    def check(world: WorldState, answer: str | None) -> bool:
        row = world.record(entity, record)
        if row is None:
            return False
        if isinstance(value, float):
            return abs(float(row[field]) - value) < 0.005
        return bool(row[field] == value)

    return check


def _transition(spec: WorldSpec, tool: ToolSpec) -> GoalMaker:
    entity = spec.entity(tool.entity)
    status = entity.field(tool.field) if tool.field else entity.status_field()
    assert status is not None  # checked by the spec
    finders = _Finders(spec, entity)
    # other tools of the same effect: the same transition, or an update of the status
    same = [
        t
        for t in spec.tools
        if t.entity == entity.name
        and t is not tool
        and (
            (
                t.op == "transition"
                and t.to == tool.to
                and set(tool.from_states) <= set(t.from_states)
            )
            or (t.op == "update" and status.name in t.fields)
        )
    ]

    def make(rng: np.random.Generator, world: WorldState, touched: set[str]) -> Goal:
        rows = [r for r in world.records(entity.name) if r[status.name] in tool.from_states]
        row = _pick(rng, rows, touched)
        key = id_parameter(entity.name)
        acts: list[Plan] = [(ToolCall(tool.name, {key: row["id"]}),)]
        for other in same[:1]:
            args = (
                {key: row["id"]}
                if other.op == "transition"
                else {key: row["id"], status.name: tool.to}
            )
            acts.append((ToolCall(other.name, args),))
        why = tool.description.rstrip(".")
        text = f"Set the {status.name} of {finders.describe(row)} to {tool.to!r} ({why})."
        return Goal(
            text,
            _record_check(entity.name, row["id"], status.name, tool.to),
            _plans(finders, [row], acts),
        )

    return make


def _update(spec: WorldSpec, tool: ToolSpec) -> GoalMaker:
    entity = spec.entity(tool.entity)
    finders = _Finders(spec, entity)

    def make(rng: np.random.Generator, world: WorldState, touched: set[str]) -> Goal:
        field = entity.field(tool.fields[int(rng.integers(0, len(tool.fields)))])
        rows = world.records(entity.name)
        row = _pick(rng, rows, touched)
        value = _new_value(rng, spec, entity, field.name, row, world)
        key = id_parameter(entity.name)
        acts: list[Plan] = [
            (ToolCall(t.name, {key: row["id"], field.name: value}),)
            for t in [tool, *_alternatives(spec, tool, field.name)[:1]]
        ]
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        text = f"Change the {field.name.replace('_', ' ')} of {finders.describe(row)} to {shown}."
        return Goal(
            text,
            _record_check(entity.name, row["id"], field.name, value),
            _plans(finders, [row], acts),
        )

    return make


def _new_value(
    rng: np.random.Generator,
    spec: WorldSpec,
    entity: EntitySpec,
    name: str,
    row: dict[str, Any],
    world: WorldState,
) -> Any:
    """A valid value different from the record's current one."""
    from nexgym.envs.worlds.store import _value

    field = entity.field(name)
    if field.type == "ref":
        targets = [r["id"] for r in world.records(str(field.entity)) if r["id"] != row[name]]
        if not targets:
            raise NoGoal
        return targets[int(rng.integers(0, len(targets)))]
    if field.type in ("enum", "status"):
        options = [v for v in field.values if v != row[name]]
        if not options:
            raise NoGoal
        return options[int(rng.integers(0, len(options)))]
    for _ in range(8):
        value = _value(field, rng, spec, entity.name)
        if value != row[name]:
            return value
    raise NoGoal


def _transfer(spec: WorldSpec, tool: ToolSpec) -> GoalMaker:
    entity = spec.entity(tool.entity)
    field = entity.field(str(tool.field))
    finders = _Finders(spec, entity)
    low, high = spec.bounds(entity.name, field.name)
    low = 0 if low is None else low

    def make(rng: np.random.Generator, world: WorldState, touched: set[str]) -> Goal:
        rows = world.records(entity.name)
        source = _pick(rng, [r for r in rows if r[field.name] - low >= 1], touched)
        room = [r for r in rows if high is None or high - r[field.name] >= 1]
        target = _pick(rng, [r for r in room if r["id"] != source["id"]], touched)
        most = min(
            source[field.name] - low, (high - target[field.name]) if high is not None else 1e9
        )
        amount: Any = int(rng.integers(1, max(2, int(most) + 1)))
        amount = min(amount, int(most))
        if amount < 1:
            raise NoGoal
        if field.type == "money":
            amount = float(amount)
        key = id_parameter(entity.name)
        moved = {f"from_{key}": source["id"], f"to_{key}": target["id"], "amount": amount}
        acts: list[Plan] = [
            (ToolCall(t.name, moved),) for t in [tool, *_alternatives(spec, tool)[:1]]
        ]
        plans = _plans(finders, [source, target], acts)
        text = (
            f"Move {amount:g} {field.name.replace('_', ' ')} from {finders.describe(source)} "
            f"to {finders.describe(target)}."
        )
        after_a = source[field.name] - amount
        after_b = target[field.name] + amount

        def check(w: WorldState, answer: str | None) -> bool:
            return _record_check(entity.name, source["id"], field.name, after_a)(
                w, answer
            ) and _record_check(entity.name, target["id"], field.name, after_b)(w, answer)

        return Goal(text, check, plans)

    return make


def _create(spec: WorldSpec, tool: ToolSpec) -> GoalMaker:
    entity = spec.entity(tool.entity)
    label = entity.label_field

    def make(rng: np.random.Generator, world: WorldState, touched: set[str]) -> Goal:
        existing = {str(r[label]).lower() for r in world.records(entity.name)}
        args: dict[str, Any] = {}
        finds: list[Plan] = []
        parts = []
        for name in tool.fields:
            field = entity.field(name)
            if name == label:
                fresh = [n for n in _names(field, 40, rng, 1) if n.lower() not in existing]
                if not fresh:
                    raise NoGoal
                args[name] = fresh[0]
                continue
            if field.type == "ref":
                target_entity = spec.entity(str(field.entity))
                target = _pick(rng, world.records(target_entity.name), touched)
                args[name] = target["id"]
                target_finders = _Finders(spec, target_entity)
                finds.append((target_finders.ways(target) or [()])[0])
                parts.append(f"{name.replace('_', ' ')} {target_finders.describe(target)}")
                continue
            value = _new_value(rng, spec, entity, name, {name: None}, world)
            args[name] = value
            parts.append(f"{name.replace('_', ' ')} {value}")
        new_id = record_id(entity.name, len(world.records(entity.name)) + 1)
        plan = (*(call for find in finds for call in find), ToolCall(tool.name, args))
        label_text = f" {args[label]!r}" if label in args else ""
        text = f"Add a new {entity.name.replace('_', ' ')}{label_text}" + (
            f" with {', '.join(parts)}." if parts else "."
        )

        def check(w: WorldState, answer: str | None) -> bool:
            row = w.record(entity.name, new_id)
            return row is not None and all(
                abs(row[k] - v) < 0.005 if isinstance(v, float) else row[k] == v
                for k, v in args.items()
            )

        return Goal(text, check, (plan,))

    return make


def _note(spec: WorldSpec, tool: ToolSpec) -> GoalMaker:
    entity = spec.entity(tool.entity)
    finders = _Finders(spec, entity)

    def make(rng: np.random.Generator, world: WorldState, touched: set[str]) -> Goal:
        row = _pick(rng, world.records(entity.name), touched)
        from nexgym.envs.worlds.store import PHRASES

        text_value = PHRASES[int(rng.integers(0, len(PHRASES)))]
        noted = {id_parameter(entity.name): row["id"], "text": text_value}
        acts: list[Plan] = [
            (ToolCall(t.name, noted),) for t in [tool, *_alternatives(spec, tool)[:1]]
        ]

        def check(w: WorldState, answer: str | None) -> bool:
            notes = w.rows(
                "SELECT text FROM notes WHERE entity = ? AND record = ?", (entity.name, row["id"])
            )
            return any(text_value.lower() in n["text"].lower() for n in notes)

        text = f"Add the note {text_value!r} to {finders.describe(row)}."
        return Goal(text, check, _plans(finders, [row], acts))

    return make


def _ask_field(spec: WorldSpec, entity: EntitySpec) -> GoalMaker:
    finders = _Finders(spec, entity)
    askable = [f for f in entity.fields if f.type in (*NUMERIC, "enum", "status", "date", "time")]

    def make(rng: np.random.Generator, world: WorldState, touched: set[str]) -> Goal:
        if not askable:
            raise NoGoal
        field = askable[int(rng.integers(0, len(askable)))]
        row = _pick(rng, world.records(entity.name), touched)
        value = row[field.name]
        expected: Any = value if field.type in NUMERIC else str(value)
        plans = tuple(finders.ways(row)[:2]) or ((),)
        text = f"What is the {field.name.replace('_', ' ')} of {finders.describe(row)}?"
        return Goal(text, lambda w, answer: answer_has(answer, expected), plans, answer=str(value))

    return make


def _ask_count(spec: WorldSpec, tool: ToolSpec) -> GoalMaker:
    entity = spec.entity(tool.entity)
    options = [entity.field(n) for n in tool.filters if entity.field(n).type in ("enum", "status")]

    def make(rng: np.random.Generator, world: WorldState, touched: set[str]) -> Goal:
        if not options:
            raise NoGoal
        field = options[int(rng.integers(0, len(options)))]
        value = field.values[int(rng.integers(0, len(field.values)))]
        count = sum(1 for r in world.records(entity.name) if r[field.name] == value)
        text = f"How many {entity.plural_name.replace('_', ' ')} have {field.name} {value!r}?"
        plan: Plan = (ToolCall(tool.name, {field.name: value}),)
        return Goal(text, lambda w, answer: answer_has(answer, count), (plan,), answer=str(count))

    return make


_ACTING: dict[str, Callable[[WorldSpec, ToolSpec], GoalMaker]] = {
    "transition": _transition,
    "update": _update,
    "transfer": _transfer,
    "create": _create,
    "note": _note,
}


def goal_makers(spec: WorldSpec) -> tuple[tuple[GoalMaker, ...], tuple[GoalMaker, ...]]:
    """The world's goal makers: (acting ones, questions)."""
    acting = tuple(_ACTING[t.op](spec, t) for t in spec.tools if t.op in _ACTING)
    asking: list[GoalMaker] = []
    for entity in spec.entities:
        if any(
            t.entity == entity.name and t.op in ("lookup", "search", "list") for t in spec.tools
        ):
            asking.append(_ask_field(spec, entity))
    asking.extend(_ask_count(spec, t) for t in spec.tools if t.op == "list")
    return acting, tuple(asking)
