"""Typed tools compiled from a world spec's declarative operations.

Each :class:`~nexgym.envs.worlds.spec.ToolSpec` becomes a :class:`~nexgym.tools.Tool`
whose signature (and so JSON schema) follows from the operation and the entity's
field types: enums and statuses become ``enum`` schemas, money a number, quantities
an integer, references the id of the record referred to. A violated precondition or
constraint is a :class:`~nexgym.error.ToolError` that says what was expected, what
was found and what to do instead.
"""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
from collections.abc import Callable
from typing import Any, Literal

from nexgym.envs.domains.kit.sqlworld import quote_identifier
from nexgym.envs.worlds.checks import NUMERIC
from nexgym.envs.worlds.spec import EntitySpec, FieldSpec, ToolSpec, WorldSpec
from nexgym.envs.worlds.store import EPOCH, WorldState, record_id

from nexgym.error import ToolError
from nexgym.tools import Tool

__all__ = ["MAX_LISTED", "build_tool", "id_parameter"]

#: Most records a list or search returns.
MAX_LISTED = 30
_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD


def id_parameter(entity: str) -> str:
    """The argument name of a record id: ``pet`` -> ``pet_id``."""
    return f"{entity}_id"


def _field_type(field: FieldSpec) -> Any:
    if field.type in ("enum", "status"):
        return Literal[field.values]  # a JSON-schema enum of the allowed values
    if field.type == "money":
        return float
    if field.type == "quantity":
        return int
    return str


def _field_doc(field: FieldSpec, spec: WorldSpec) -> str:
    what = field.description or field.name.replace("_", " ")
    if field.type == "ref":
        target = str(field.entity)
        return f"{what}: the id of the {target} (e.g. {record_id(target, 1)})"
    if field.type == "date":
        return f"{what}, as YYYY-MM-DD"
    if field.type == "time":
        return f"{what}, as HH:MM"
    return what


class _Builder:
    """Builds the tool of one operation over one entity."""

    def __init__(self, spec: WorldSpec, tool: ToolSpec) -> None:
        self.spec = spec
        self.tool = tool
        self.entity: EntitySpec = spec.entity(tool.entity)
        self.table = quote_identifier(self.entity.name)
        self.id_arg = id_parameter(self.entity.name)

    # -- shared helpers -----------------------------------------------------------------

    def require(self, world: WorldState, record: str, entity: EntitySpec | None = None) -> dict:
        entity = entity or self.entity
        row = world.record(entity.name, record)
        if row is None:
            ids = [r["id"] for r in world.records(entity.name)]
            close = difflib.get_close_matches(str(record), ids, n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ToolError(
                f"no {entity.name} with id {record!r}{hint} Look ids up with a lookup, "
                f"list or search tool of {entity.plural_name}."
            )
        return row

    def check_value(self, world: WorldState, field: FieldSpec, value: Any) -> Any:
        name = f"{self.entity.name}.{field.name}"
        if field.type == "ref":
            target = self.spec.entity(str(field.entity))
            self.require(world, str(value), target)
        elif field.type == "date":
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise ToolError(f"{name}: expected a date as YYYY-MM-DD, got {value!r}") from None
        elif field.type == "time":
            hours, _, minutes = str(value).partition(":")
            if not (
                hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60
            ):
                raise ToolError(f"{name}: expected a time as HH:MM, got {value!r}")
        elif field.type in NUMERIC:
            self.check_bounds(field, value)
        return value

    def check_bounds(self, field: FieldSpec, value: float) -> None:
        low, high = self.spec.bounds(self.entity.name, field.name)
        low = 0 if low is None else low  # money and quantities never go negative
        if value < low or (high is not None and value > high):
            rule = f"{low} <= {field.name}" + (f" <= {high}" if high is not None else "")
            raise ToolError(
                f"{self.entity.name}.{field.name} would become {value}, breaking the "
                f"constraint {rule}; choose a value that keeps it"
            )

    def make(self, params: list[tuple[str, Any, Any, str]], body: Callable[..., Any]) -> Tool:
        """A Tool over ``body(world, **arguments)`` with the given typed parameters."""
        signature = [inspect.Parameter("world", _KEYWORD)]
        annotations: dict[str, Any] = {"world": WorldState}
        docs = []
        for name, kind, default, doc in params:
            signature.append(inspect.Parameter(name, _KEYWORD, default=default, annotation=kind))
            annotations[name] = kind
            docs.append(f"    {name}: {doc}")

        def run(world: WorldState, **arguments: Any) -> Any:
            return body(world, **arguments)

        run.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
        run.__annotations__ = annotations
        run.__name__ = self.tool.name
        run.__doc__ = self.tool.description + ("\n\nArgs:\n" + "\n".join(docs) if docs else "")
        return Tool(
            run, name=self.tool.name, description=self.tool.description, mutates=self.tool.mutates
        )

    def id_param(self) -> tuple[str, Any, Any, str]:
        return (
            self.id_arg,
            str,
            inspect.Parameter.empty,
            f"the id of the {self.entity.name}, e.g. {record_id(self.entity.name, 1)}",
        )

    # -- the operations -----------------------------------------------------------------

    def lookup(self) -> Tool:
        label = self.entity.label_field

        def body(world: WorldState, key: str) -> dict[str, Any]:
            row = world.record(self.entity.name, key.strip())
            if row is None and label != "id":
                row = world.one(
                    f"SELECT * FROM {self.table} WHERE lower({quote_identifier(label)}) = ?",
                    (key.strip().lower(),),
                )
            if row is None:
                names = [str(r[label]) for r in world.records(self.entity.name)]
                close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
                hint = f"; close names: {', '.join(close)}" if close else ""
                raise ToolError(f"no {self.entity.name} has the id or {label} {key!r}{hint}")
            notes = world.rows(
                "SELECT text FROM notes WHERE entity = ? AND record = ? ORDER BY id",
                (self.entity.name, row["id"]),
            )
            return {**row, "notes": [n["text"] for n in notes]} if notes else row

        what = f"the id (e.g. {record_id(self.entity.name, 1)})"
        if label != "id":
            what += f" or the exact {label}"
        return self.make(
            [("key", str, inspect.Parameter.empty, f"{what} of the {self.entity.name}")], body
        )

    def list(self) -> Tool:
        filters = [self.entity.field(name) for name in self.tool.filters]

        def body(world: WorldState, **given: Any) -> dict[str, Any]:
            where, params = [], []
            for f in filters:
                value = given.get(f.name)
                if value is not None:
                    where.append(f"{quote_identifier(f.name)} = ?")
                    params.append(value)
            sql = f"SELECT * FROM {self.table}"
            if where:
                sql += " WHERE " + " AND ".join(where)
            rows = world.rows(sql + " ORDER BY id", params)
            return {"count": len(rows), "records": rows[:MAX_LISTED]}

        params = [
            (
                f.name,
                _field_type(f) | None,
                None,
                f"only {self.entity.plural_name} with this {_field_doc(f, self.spec)}",
            )
            for f in filters
        ]
        return self.make(params, body)

    def search(self) -> Tool:
        text_fields = [f.name for f in self.entity.fields if f.type in ("name", "text")]

        def body(world: WorldState, query: str) -> dict[str, Any]:
            needle = query.strip().lower()
            if not needle:
                raise ToolError("expected a non-empty query, got ''")
            rows = [
                r
                for r in world.records(self.entity.name)
                if needle in r["id"].lower()
                or any(needle in str(r[f] or "").lower() for f in text_fields)
            ]
            return {"count": len(rows), "records": rows[:MAX_LISTED]}

        return self.make(
            [
                (
                    "query",
                    str,
                    inspect.Parameter.empty,
                    f"text to find in the id or {', '.join(text_fields) or 'id'} (any case)",
                )
            ],
            body,
        )

    def create(self) -> Tool:
        fields = [self.entity.field(name) for name in self.tool.fields]
        label = self.entity.label_field

        def body(world: WorldState, **given: Any) -> dict[str, Any]:
            for f in fields:
                self.check_value(world, f, given[f.name])
            if label != "id":
                clash = world.one(
                    f"SELECT id FROM {self.table} WHERE lower({quote_identifier(label)}) = ?",
                    (str(given[label]).lower(),),
                )
                if clash:
                    raise ToolError(
                        f"a {self.entity.name} with {label} {given[label]!r} exists already "
                        f"({clash['id']}); names are unique, so choose another"
                    )
            count = int(world.scalar(f"SELECT COUNT(*) FROM {self.table}"))
            row = {"id": record_id(self.entity.name, count + 1)}
            for f in self.entity.fields:
                row[f.name] = given[f.name] if f.name in given else self.default(f)
            world.insert(self.entity.name, [row])
            return {"created": row["id"], "record": row}

        params = [
            (f.name, _field_type(f), inspect.Parameter.empty, _field_doc(f, self.spec))
            for f in fields
        ]
        return self.make(params, body)

    def default(self, field: FieldSpec) -> Any:
        """A new record's value for a field its create tool does not set."""
        if field.type in ("enum", "status"):
            return field.values[0]
        if field.type in NUMERIC:
            low, _ = self.spec.bounds(self.entity.name, field.name)
            value = max(low or 0, 0)
            return int(value) if field.type == "quantity" else float(value)
        if field.type == "date":
            return EPOCH.isoformat()
        if field.type == "time":
            return "09:00"
        if field.type == "ref":
            return None  # not set yet (a new book has no borrower)
        return ""

    def update(self) -> Tool:
        fields = [self.entity.field(name) for name in self.tool.fields]

        def body(world: WorldState, **given: Any) -> dict[str, Any]:
            record = given.pop(self.id_arg)
            self.require(world, record)
            changes = {k: v for k, v in given.items() if v is not None}
            if not changes:
                raise ToolError(
                    f"expected at least one of {', '.join(f.name for f in fields)} to set, got none"
                )
            for f in fields:
                if f.name in changes:
                    self.check_value(world, f, changes[f.name])
            sets = ", ".join(f"{quote_identifier(k)} = ?" for k in changes)
            world.execute(
                f"UPDATE {self.table} SET {sets} WHERE id = ?", [*changes.values(), record]
            )
            return {"updated": record, "record": world.record(self.entity.name, record)}

        params = [self.id_param()] + [
            (f.name, _field_type(f) | None, None, f"new {_field_doc(f, self.spec)} (omit to keep)")
            for f in fields
        ]
        return self.make(params, body)

    def transition(self) -> Tool:
        status = (
            self.entity.field(self.tool.field) if self.tool.field else self.entity.status_field()
        )
        assert status is not None  # the spec checks guarantee a status field
        allowed, target = self.tool.from_states, str(self.tool.to)

        def body(world: WorldState, **given: Any) -> dict[str, Any]:
            record = given[self.id_arg]
            row = self.require(world, record)
            current = row[status.name]
            if current not in allowed:
                raise ToolError(
                    f"cannot {self.tool.name.replace('_', ' ')} {self.entity.name} {record}: its "
                    f"{status.name} is {current!r}, and {self.tool.name} needs "
                    f"{' or '.join(repr(s) for s in allowed)}"
                )
            world.execute(
                f"UPDATE {self.table} SET {quote_identifier(status.name)} = ? WHERE id = ?",
                (target, record),
            )
            return {"id": record, status.name: target, "was": current}

        return self.make([self.id_param()], body)

    def transfer(self) -> Tool:
        field = self.entity.field(str(self.tool.field))
        kind = _field_type(field)
        column = quote_identifier(field.name)
        source_arg, target_arg = f"from_{self.id_arg}", f"to_{self.id_arg}"

        def body(world: WorldState, **given: Any) -> dict[str, Any]:
            source, target, amount = given[source_arg], given[target_arg], given["amount"]
            if source == target:
                raise ToolError(
                    f"expected two different {self.entity.plural_name}, got {source} twice"
                )
            if amount <= 0:
                raise ToolError(f"expected a positive amount, got {amount}")
            a, b = self.require(world, source), self.require(world, target)
            self.check_bounds(field, a[field.name] - amount)
            self.check_bounds(field, b[field.name] + amount)
            new_a, new_b = a[field.name] - amount, b[field.name] + amount
            if field.type == "money":
                new_a, new_b = round(new_a, 2), round(new_b, 2)
            world.execute(f"UPDATE {self.table} SET {column} = ? WHERE id = ?", (new_a, source))
            world.execute(f"UPDATE {self.table} SET {column} = ? WHERE id = ?", (new_b, target))
            return {source: {field.name: new_a}, target: {field.name: new_b}}

        example = record_id(self.entity.name, 1)
        params = [
            (
                source_arg,
                str,
                inspect.Parameter.empty,
                f"the {self.entity.name} giving, e.g. {example}",
            ),
            (target_arg, str, inspect.Parameter.empty, f"the {self.entity.name} receiving"),
            ("amount", kind, inspect.Parameter.empty, f"how much {field.name} to move (positive)"),
        ]
        return self.make(params, body)

    def note(self) -> Tool:
        def body(world: WorldState, **given: Any) -> dict[str, Any]:
            record, text = given[self.id_arg], given["text"].strip()
            self.require(world, record)
            if not text:
                raise ToolError("expected the note's text, got an empty string")
            world.execute(
                "INSERT INTO notes (entity, record, text) VALUES (?, ?, ?)",
                (self.entity.name, record, text),
            )
            return {"noted": record, "text": text}

        return self.make(
            [self.id_param(), ("text", str, inspect.Parameter.empty, "the note")], body
        )


def build_tool(spec: WorldSpec, tool: ToolSpec) -> Tool:
    """The typed tool of one declared operation."""
    builder = _Builder(spec, tool)
    make: Callable[[], Tool] = getattr(builder, tool.op)
    return make()
