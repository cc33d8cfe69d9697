"""Semantic checks of a world spec: what pydantic's field types cannot see.

Each problem is one line that starts with the path of the bad part and says the fix.
A spec that passes these checks compiles, generates worlds at every difficulty, and
has no tool that can never succeed, so it never fails at ``reset``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nexgym.envs.worlds.spec import EntitySpec, FieldSpec, ToolSpec, WorldSpec

__all__ = ["NUMERIC", "POOLS", "world_problems"]

#: Names a field may not take: the id column and SQL words the tables rely on.
RESERVED_FIELDS = frozenset({"id", "rowid", "oid", "key", "query", "limit", "amount", "text"})
#: Names of the tables the compiler adds itself.
RESERVED_ENTITIES = frozenset({"notes", "sqlite_master"})

#: Name pools a text field may draw its values from.
POOLS = ("person", "pet", "company", "item", "place", "title", "code", "phrase")
#: Field types that hold amounts (money, stock): constraints and transfers apply.
NUMERIC = ("money", "quantity")


def _suggest(name: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=2, cutoff=0.5)
    if close:
        return f"; did you mean {' or '.join(repr(c) for c in close)}?"
    return f"; expected one of: {', '.join(known)}" if known else ""


def _duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    return [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]


def world_problems(spec: WorldSpec) -> Iterator[str]:
    """Every semantic problem of ``spec``, one line each."""
    names = [e.name for e in spec.entities]
    for name in _duplicates(names):
        yield f"entities: two entities are named {name!r}; rename one"
    for i, entity in enumerate(spec.entities):
        yield from _entity_problems(f"entities[{i}]", entity, names)
    cycle = _reference_cycle(spec)
    if cycle:
        yield (
            f"entities: references form a cycle {' -> '.join(cycle)}; a world is generated "
            "referenced entities first, so drop one of these ref fields"
        )
    for i, constraint in enumerate(spec.constraints):
        yield from _constraint_problems(
            f"constraints[{i}]",
            spec,
            constraint.entity,
            constraint.field,
            constraint.min,
            constraint.max,
        )
    for name in _duplicates([t.name for t in spec.tools]):
        yield f"tools: two tools are named {name!r}; rename one"
    for i, tool in enumerate(spec.tools):
        if tool.entity not in names:
            yield f"tools[{i}].entity: unknown entity {tool.entity!r}{_suggest(tool.entity, names)}"
            continue
        yield from _tool_problems(f"tools[{i}]", spec, tool, spec.entity(tool.entity))
    if not any(t.op in ("lookup", "list", "search") for t in spec.tools):
        yield (
            "tools: no tool reads the world (lookup, list or search); add one, or no "
            "agent can find a record or answer a question"
        )


def _entity_problems(path: str, entity: EntitySpec, entities: list[str]) -> Iterator[str]:
    if entity.name in RESERVED_ENTITIES:
        yield f"{path}.name: {entity.name!r} is reserved; choose another name"
    fields = [f.name for f in entity.fields]
    for name in _duplicates(fields):
        yield f"{path}.fields: two fields are named {name!r}; rename one"
    if sum(1 for f in entity.fields if f.type == "status") > 1:
        yield f"{path}.fields: expected at most one status field; make the others enums"
    if entity.label is not None and entity.label not in fields:
        yield f"{path}.label: unknown field {entity.label!r}{_suggest(entity.label, fields)}"
    elif entity.label is not None and entity.field(entity.label).type != "name":
        yield f"{path}.label: expected a field of type name, got {entity.label!r}"
    if not all(1 <= n <= 120 for n in entity.counts) or list(entity.counts) != sorted(
        entity.counts
    ):
        yield f"{path}.counts: expected 3 growing record counts in 1..120, got {entity.counts}"
    for j, field in enumerate(entity.fields):
        yield from _field_problems(f"{path}.fields[{j}]", field, entities)


def _field_problems(path: str, field: FieldSpec, entities: list[str]) -> Iterator[str]:

    if field.name in RESERVED_FIELDS:
        yield f"{path}.name: {field.name!r} is reserved; choose another name"
    if field.type in ("name", "text"):
        if field.pool is not None and field.pool not in POOLS:
            yield f"{path}.pool: unknown pool {field.pool!r}{_suggest(field.pool, POOLS)}"
    elif field.pool is not None:
        yield f"{path}.pool: only name and text fields draw from a pool; remove it"
    if field.type in ("enum", "status"):
        least = 2 if field.type == "status" else 1
        if len(field.values) < least or len(set(field.values)) != len(field.values):
            yield f"{path}.values: expected at least {least} distinct values, got {field.values}"
    elif field.values:
        yield f"{path}.values: only enum and status fields have values; remove them"
    if field.type == "ref":
        if field.entity is None:
            yield f"{path}.entity: a ref field must name the entity it refers to"
        elif field.entity not in entities:
            hint = _suggest(field.entity, entities)
            yield f"{path}.entity: unknown entity {field.entity!r}{hint}"
    elif field.entity is not None:
        yield f"{path}.entity: only ref fields refer to an entity; remove it"
    if field.type in NUMERIC:
        low = 0.0 if field.min is None else field.min
        high = low + 100 if field.max is None else field.max
        if low > high:
            yield f"{path}: min {low:g} is above max {high:g}; swap them"
    elif field.min is not None or field.max is not None:
        yield f"{path}: only money and quantity fields have min/max; remove them"


def _reference_cycle(spec: WorldSpec) -> list[str] | None:
    known = {e.name for e in spec.entities}
    graph = {
        e.name: [f.entity for f in e.fields if f.type == "ref" and f.entity in known]
        for e in spec.entities
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            assert nxt is not None  # filtered above
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if not state.get(nxt):
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if not state.get(node):
            found = visit(node)
            if found:
                return found
    return None


def _constraint_problems(
    path: str,
    spec: WorldSpec,
    entity_name: str,
    field_name: str,
    low: float | None,
    high: float | None,
) -> Iterator[str]:

    names = [e.name for e in spec.entities]
    if entity_name not in names:
        yield f"{path}.entity: unknown entity {entity_name!r}{_suggest(entity_name, names)}"
        return
    entity = spec.entity(entity_name)
    numeric = [f.name for f in entity.fields if f.type in NUMERIC]
    if field_name not in numeric:
        yield (
            f"{path}.field: expected a money or quantity field of {entity_name!r}, "
            f"got {field_name!r}{_suggest(field_name, numeric)}"
        )
        return
    if low is None and high is None:
        yield f"{path}: give min, max or both"
        return
    if low is not None and high is not None and low > high:
        yield f"{path}: unsatisfiable: min {low:g} is above max {high:g}"
        return
    field = entity.field(field_name)
    gen_low = 0.0 if field.min is None else field.min
    gen_high = gen_low + 100 if field.max is None else field.max
    if (high is not None and gen_low > high) or (low is not None and gen_high < low):
        yield (
            f"{path}: unsatisfiable: {entity_name}.{field_name} is generated in "
            f"[{gen_low}, {gen_high}], outside the constraint's [{low}, {high}]; "
            "widen the constraint or the field's min/max"
        )


def _tool_problems(path: str, spec: WorldSpec, tool: ToolSpec, entity: EntitySpec) -> Iterator[str]:

    fields = [f.name for f in entity.fields]
    listed = {"create": tool.fields, "update": tool.fields, "list": tool.filters}
    for key, values in (("fields", tool.fields), ("filters", tool.filters)):
        if values and tool.op not in [op for op, v in listed.items() if v is values]:
            yield f"{path}.{key}: a {tool.op} tool takes no {key}; remove them"
        for name in values:
            if name not in fields:
                yield f"{path}.{key}: {entity.name!r} has no field {name!r}{_suggest(name, fields)}"
    if tool.op in ("create", "update") and not tool.fields:
        yield f"{path}.fields: a {tool.op} tool must name the fields it sets"
    if tool.op == "update" and entity.label_field in tool.fields:
        yield f"{path}.fields: {entity.label_field!r} names records; an update may not change it"
    if tool.op == "create" and entity.label_field != "id" and entity.label_field not in tool.fields:
        yield f"{path}.fields: a create tool must set {entity.label_field!r}, the record's name"
    if tool.op == "transition":
        yield from _transition_problems(path, tool, entity)
    elif tool.from_states or tool.to is not None:
        yield f"{path}: only transition tools take from/to; remove them"
    if tool.op == "transfer":
        numeric = [f.name for f in entity.fields if f.type in NUMERIC]
        if tool.field not in numeric:
            yield (
                f"{path}.field: a transfer moves a money or quantity field of "
                f"{entity.name!r}, got {tool.field!r}{_suggest(str(tool.field), numeric)}"
            )
        elif entity.counts[0] < 2:
            yield f"{path}: a transfer needs two records of {entity.name!r}; raise its counts"
        else:
            f = entity.field(tool.field)
            low, high = spec.bounds(entity.name, f.name)
            top = f.max if f.max is not None else (f.min or 0) + 100
            if low is not None and top <= low:
                yield (
                    f"{path}: can never succeed: {entity.name}.{f.name} never exceeds its "
                    f"minimum {low}, so nothing can be moved; raise the field's max"
                )
            if high is not None and (f.min or 0) >= high:
                yield (
                    f"{path}: can never succeed: {entity.name}.{f.name} starts at its maximum "
                    f"{high}, so nothing can be received; lower the field's min"
                )
    elif tool.field is not None and tool.op != "transition":
        yield f"{path}.field: only transition and transfer tools take a field; remove it"


def _transition_problems(path: str, tool: ToolSpec, entity: EntitySpec) -> Iterator[str]:
    status = entity.status_field()
    if tool.field is not None:
        try:
            status = entity.field(tool.field)
        except KeyError:
            yield f"{path}.field: {entity.name!r} has no field {tool.field!r}"
            return
    if status is None or status.type != "status":
        yield (
            f"{path}: a transition changes a status field, and {entity.name!r} has none; "
            "add a field of type status"
        )
        return
    values = status.values
    if tool.to is None or tool.to not in values:
        yield f"{path}.to: expected one of {list(values)}, got {tool.to!r}"
    if not tool.from_states:
        yield f"{path}.from: list the statuses a record must have before {tool.name}"
    for state in tool.from_states:
        if state not in values:
            hint = _suggest(state, values)
            yield f"{path}.from: {state!r} is not a status of {entity.name!r}{hint}"
    if tool.to is not None and list(tool.from_states) == [tool.to]:
        yield f"{path}: can never change anything: it goes from {tool.to!r} to {tool.to!r}"
