"""The world DSL: a declarative spec of entities, constraints and operations.

A :class:`WorldSpec` names the entities of a world (typed fields, references to other
entities), the constraints its quantities obey, and its tools as declarative
operations over them. It is validated like a :class:`~nexgym.spec.HierarchySpec`:
pydantic with ``extra="forbid"``, then semantic checks (reference cycles,
unsatisfiable constraints, tools that can never succeed), every problem reported
with the path of the bad part and the fix::

    name: vet_clinic
    description: A veterinary clinic's patient records.
    entities:
    - name: pet
      fields:
      - {name: name, type: name, pool: pet}
      - {name: status, type: status, values: [waiting, admitted, discharged]}
    tools:
    - {name: find_pet, op: lookup, entity: pet, description: Look a pet up.}
    - {name: admit_pet, op: transition, entity: pet, from: [waiting], to: admitted,
       description: Admit a waiting pet.}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nexgym.error import SpecError

__all__ = [
    "ConstraintSpec",
    "EntitySpec",
    "FieldSpec",
    "ToolSpec",
    "WorldSpec",
    "WorldSpecError",
    "load_world_spec",
]

FieldType = Literal["name", "text", "enum", "status", "money", "date", "time", "quantity", "ref"]
Operation = Literal[
    "lookup", "list", "search", "create", "update", "transition", "transfer", "note"
]
#: Word pools a ``name`` or ``text`` field draws its values from.
_IDENT = r"^[a-z][a-z0-9_]{0,39}$"
_IDENT_RE = re.compile(_IDENT)


class WorldSpecError(SpecError):
    """A world spec is malformed, inconsistent, or has a tool that can never succeed."""

    def __init__(self, problems: list[str] | str, *, source: str | None = None) -> None:
        super().__init__(problems, source=source)
        where = f" in {source}" if source else ""
        body = "\n".join(f"  - {p}" for p in self.problems)
        self.args = (f"invalid world spec{where}:\n{body}",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldSpec(_Strict):
    """One typed field of an entity (every entity also has an ``id``).

    Attributes:
        name: the column name (lower-case identifier).
        type: name, text, enum, status, money, date, time, quantity or ref.
        pool: for name/text: the word pool values are drawn from.
        values: for enum/status: the allowed values (a status's first is its initial).
        entity: for ref: the entity referred to.
        min: for money/quantity: the smallest generated value.
        max: for money/quantity: the largest generated value.
        description: what the field means (shown in tool schemas).
    """

    name: str = Field(pattern=_IDENT)
    type: FieldType
    pool: str | None = None
    values: tuple[str, ...] = ()
    entity: str | None = None
    min: float | None = None
    max: float | None = None
    description: str = ""


class EntitySpec(_Strict):
    """A kind of record in the world.

    Attributes:
        name: singular lower-case name, also the table's name.
        plural: the plural for instructions (defaults to name + "s").
        description: what one record is.
        label: the field that names a record (looked up by name); defaults to the
            first name field.
        counts: how many records to generate at difficulty 1, 2 and 3.
        fields: the typed fields.
    """

    name: str = Field(pattern=_IDENT)
    plural: str | None = None
    description: str = ""
    label: str | None = None
    counts: tuple[int, int, int] = (5, 9, 14)
    fields: tuple[FieldSpec, ...] = Field(min_length=1)

    @property
    def plural_name(self) -> str:
        """The plural used in instructions."""
        return self.plural or (self.name + "es" if self.name.endswith("s") else self.name + "s")

    @property
    def label_field(self) -> str:
        """The field that names a record."""
        if self.label:
            return self.label
        named = [f.name for f in self.fields if f.type == "name"]
        return named[0] if named else "id"

    def field(self, name: str) -> FieldSpec:
        """The field called ``name`` (KeyError if absent)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def status_field(self) -> FieldSpec | None:
        """The entity's status field, if it has one."""
        return next((f for f in self.fields if f.type == "status"), None)


class ConstraintSpec(_Strict):
    """An invariant on a numeric field that every tool call must keep.

    Attributes:
        entity: the entity.
        field: a money or quantity field of it.
        min: the smallest value the field may hold.
        max: the largest value the field may hold.
        description: why the invariant holds (shown in tool errors).
    """

    entity: str
    field: str
    min: float | None = None
    max: float | None = None
    description: str = ""


class ToolSpec(_Strict):
    """A tool, declared as an operation over one entity.

    Attributes:
        name: the tool's name.
        op: lookup (by id or name), list (with filters), search (text), create,
            update (set fields), transition (change status with a precondition),
            transfer (move an amount of a numeric field between two records),
            note (attach a note to a record).
        entity: the entity it acts on.
        description: what the tool does, shown to agents.
        fields: for create/update: the fields it sets.
        filters: for list: the fields it filters on.
        field: for transition (default: the status field) and transfer: the field.
        from_states: for transition: the statuses a record must have (``from`` in YAML).
        to: for transition: the status it sets.
    """

    name: str = Field(pattern=_IDENT)
    op: Operation
    entity: str
    description: str = Field(min_length=3)
    fields: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    field: str | None = None
    from_states: tuple[str, ...] = Field(default=(), alias="from")
    to: str | None = None

    @property
    def mutates(self) -> bool:
        """Whether the tool changes the world."""
        return self.op not in ("lookup", "list", "search")


class WorldSpec(_Strict):
    """A whole world: entities, constraints and tools.

    Attributes:
        name: the domain name it registers under (lower-case identifier).
        title: a short human title.
        description: what the world is, shown in prompts.
        entities: the kinds of records, referenced entities anywhere in the list.
        constraints: invariants on numeric fields.
        tools: the operations agents may call.
        metadata: free-form provenance (source text, synthesizer, warnings).
    """

    name: str = Field(pattern=_IDENT)
    title: str = ""
    description: str = Field(min_length=3)
    entities: tuple[EntitySpec, ...] = Field(min_length=1)
    constraints: tuple[ConstraintSpec, ...] = ()
    tools: tuple[ToolSpec, ...] = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)

    def model_post_init(self, context: Any) -> None:
        """Run the semantic checks; raise one error listing every problem."""
        from nexgym.envs.worlds.checks import world_problems

        problems = list(world_problems(self))
        if problems:
            raise WorldSpecError(problems)

    def entity(self, name: str) -> EntitySpec:
        """The entity called ``name`` (KeyError if absent)."""
        for e in self.entities:
            if e.name == name:
                return e
        raise KeyError(name)

    def bounds(self, entity: str, field: str) -> tuple[float | None, float | None]:
        """The tightest (min, max) the constraints put on a numeric field."""
        low: float | None = None
        high: float | None = None
        for c in self.constraints:
            if c.entity == entity and c.field == field:
                if c.min is not None:
                    low = c.min if low is None else max(low, c.min)
                if c.max is not None:
                    high = c.max if high is None else min(high, c.max)
        return low, high

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what :meth:`from_dict` reads back)."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)

    def to_yaml(self) -> str:
        """The spec as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, width=100, allow_unicode=True)

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> WorldSpec:
        """Validate plain data (for example parsed YAML)."""
        if not isinstance(data, dict):
            raise WorldSpecError(
                "(top level): expected a mapping with name, description, entities and tools, "
                f"got {type(data).__name__}",
                source=source,
            )
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise WorldSpecError(_describe(e), source=source) from e

    @classmethod
    def from_yaml(cls, text: str, *, source: str | None = None) -> WorldSpec:
        """Parse and validate YAML text."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise WorldSpecError(f"(yaml): not valid YAML: {e}", source=source) from e
        return cls.from_dict(data, source=source)


def load_world_spec(source: str | Path | dict[str, Any] | WorldSpec) -> WorldSpec:
    """A world spec from a YAML path, YAML text, a dict, or a spec passed through."""
    if isinstance(source, WorldSpec):
        return source
    if isinstance(source, dict):
        return WorldSpec.from_dict(source)
    if isinstance(source, Path) or (
        isinstance(source, str) and source.endswith((".yaml", ".yml")) and "\n" not in source
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise WorldSpecError(f"(file): cannot read {path}: {e.strerror}") from e
        return WorldSpec.from_yaml(text, source=str(path))
    return WorldSpec.from_yaml(str(source))


def _describe(e: ValidationError) -> list[str]:
    lines = []
    for err in e.errors():
        path = _path(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        original = err.get("ctx", {}).get("error")
        if isinstance(original, SpecError):  # the semantic checks of model_post_init
            lines.extend(original.problems)
        elif err["type"] == "extra_forbidden":
            lines.append(f"{path}: unknown field; remove it or check its spelling")
        elif err["type"] == "missing":
            lines.append(f"{path}: required field is missing")
        elif err["type"] == "string_pattern_mismatch":
            lines.append(
                f"{path}: expected a lower-case identifier (letters, digits, '_'), "
                f"got {err.get('input')!r}"
            )
        else:
            lines.append(f"{path}: {msg}, got {err.get('input')!r}")
    return lines


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
