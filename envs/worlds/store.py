"""The state of a compiled world: one SQLite table per entity, and its seeded generator.

Every entity becomes a table whose ``id`` is ``<PREFIX>-<nnn>`` (``PET-003``), with one
column per field; notes attached by ``note`` tools go to a ``notes`` table. The
generator fills the tables referenced entities first, sized by difficulty; at higher
difficulty names come from smaller pools, so near-namesakes (``Alice Moreno``,
``Alice Nakamura``) act as distractors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from nexgym.envs.domains.kit.names import CITIES, COMPANIES, FIRST_NAMES, LAST_NAMES
from nexgym.envs.domains.kit.sqlworld import SqlWorld, quote_identifier
from nexgym.envs.worlds.checks import NUMERIC
from nexgym.envs.worlds.spec import EntitySpec, FieldSpec, WorldSpec

__all__ = [
    "WorldState",
    "generate_rows",
    "id_prefix",
    "record_id",
    "schema_script",
    "sorted_entities",
]

PETS = (
    "Biscuit", "Luna", "Milo", "Pepper", "Rex", "Shadow", "Tofu", "Waffles", "Ziggy", "Nala",
    "Oscar", "Pixel", "Mochi", "Bruno", "Clover", "Daisy", "Ember", "Hazel", "Juno", "Kiwi",
)  # fmt: skip
ADJECTIVES = (
    "Amber", "Blue", "Crimson", "Silver", "Quiet", "Rapid", "Golden", "Hidden", "Northern",
    "Bright", "Iron", "Velvet", "Wild", "Frozen", "Lucky", "Ancient",
)  # fmt: skip
NOUNS = (
    "Harbor", "Lantern", "Meadow", "Engine", "Falcon", "River", "Garden", "Summit", "Compass",
    "Orchard", "Signal", "Bridge", "Canyon", "Forest", "Beacon", "Island",
)  # fmt: skip
ITEMS = (
    "bolt", "cable", "filter", "gauge", "hinge", "lens", "valve", "sensor", "bracket", "pump",
    "gasket", "switch", "spring", "nozzle", "panel", "relay",
)  # fmt: skip
PHRASES = (
    "needs a follow-up", "waiting on paperwork", "priority case", "checked last week",
    "handle with care", "requested by phone", "second visit", "flagged for review",
)  # fmt: skip
#: The first day dates are drawn from (a fixed world calendar keeps tasks reproducible).
EPOCH = dt.date(2026, 3, 2)

_SQL_TYPES = {"money": "REAL", "quantity": "INTEGER"}


def id_prefix(entity: str) -> str:
    """The id prefix of an entity's records: ``pet`` -> ``PET``, ``stock_item`` -> ``STI``."""
    parts = entity.split("_")
    if len(parts) == 1:
        return entity[:3].upper()
    return (parts[0][:2] + parts[-1][:1]).upper()


def record_id(entity: str, index: int) -> str:
    """The id of an entity's ``index``-th record (1-based)."""
    return f"{id_prefix(entity)}-{index:03d}"


def sorted_entities(spec: WorldSpec) -> list[EntitySpec]:
    """The entities, each after every entity it refers to (the spec has no cycles)."""
    done: list[EntitySpec] = []
    placed: set[str] = set()
    pending = list(spec.entities)
    while pending:
        for entity in pending:
            refs = {f.entity for f in entity.fields if f.type == "ref"}
            if refs <= placed | {entity.name}:
                done.append(entity)
                placed.add(entity.name)
                pending.remove(entity)
                break
        else:  # unreachable for a checked spec; keep the declared order rather than loop
            done.extend(pending)
            break
    return done


def schema_script(spec: WorldSpec) -> str:
    """The SQL that creates the world's tables."""
    statements = []
    for entity in spec.entities:
        columns = ["id TEXT PRIMARY KEY"]
        for f in entity.fields:
            columns.append(f"{quote_identifier(f.name)} {_SQL_TYPES.get(f.type, 'TEXT')}")
        statements.append(f"CREATE TABLE {quote_identifier(entity.name)} ({', '.join(columns)});")
    statements.append(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, entity TEXT NOT NULL, "
        "record TEXT NOT NULL, text TEXT NOT NULL);"
    )
    return "\n".join(statements)


class WorldState(SqlWorld):
    """A compiled world's database (copies and pickles as :class:`SqlWorld` does)."""

    def records(self, entity: str) -> list[dict[str, Any]]:
        """Every record of an entity, in id order."""
        return self.rows(f"SELECT * FROM {quote_identifier(entity)} ORDER BY id")

    def record(self, entity: str, record: str) -> dict[str, Any] | None:
        """One record by id, or None."""
        return self.one(f"SELECT * FROM {quote_identifier(entity)} WHERE id = ?", (record,))

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's rows as tuples (notes as entity, record pairs), for state diffs."""
        out = {}
        for table in self.tables():
            if table == "notes":
                rows = self.conn.execute("SELECT entity, record FROM notes ORDER BY id").fetchall()
            else:
                rows = self.conn.execute(f"SELECT * FROM {quote_identifier(table)} ORDER BY id")
                rows = rows.fetchall()
            out[table] = [tuple(r) for r in rows]
        return out


def _names(field: FieldSpec, n: int, rng: np.random.Generator, difficulty: int) -> list[str]:
    """``n`` distinct names from the field's pool (near-namesakes at higher difficulty)."""
    pool = field.pool or "title"
    if pool == "person":
        firsts = list(FIRST_NAMES[: max(3, len(FIRST_NAMES) // (2 * difficulty - 1))])
        combos = [f"{a} {b}" for a in firsts for b in LAST_NAMES]
    elif pool == "pet":
        combos = [*PETS, *(f"{p} {a}" for a in ADJECTIVES for p in PETS)]
    elif pool == "company":
        combos = [*COMPANIES, *(f"{a} {b} Ltd" for a in ADJECTIVES for b in NOUNS)]
    elif pool == "place":
        combos = [*(c for c, _ in CITIES), *(f"{a} {b}" for a in NOUNS for b in ("North", "South"))]
    elif pool == "item":
        combos = [f"{a.lower()} {b}" for a in ADJECTIVES for b in ITEMS]
    elif pool == "code":
        combos = [f"{a[:2].upper()}{b}" for a in NOUNS for b in range(100, 160)]
    elif pool == "phrase":
        combos = [f"{p} ({a.lower()})" for a in ADJECTIVES for p in PHRASES]
    else:
        combos = [f"{a} {b}" for a in ADJECTIVES for b in NOUNS]
    order = rng.permutation(len(combos))
    picked = [combos[int(i)] for i in order[:n]]
    if difficulty > 1 and pool == "person":
        picked.sort()  # namesakes sit next to each other in listings
    return picked


def _value(field: FieldSpec, rng: np.random.Generator, spec: WorldSpec, entity: str) -> Any:
    if field.type in NUMERIC:
        low = 0.0 if field.min is None else field.min
        high = low + 100 if field.max is None else field.max
        c_low, c_high = spec.bounds(entity, field.name)
        low = max(low, c_low) if c_low is not None else low
        high = min(high, c_high) if c_high is not None else high
        if field.type == "quantity":
            return int(rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1))
        return round(float(rng.uniform(low, high)), 2)
    if field.type == "date":
        return (EPOCH + dt.timedelta(days=int(rng.integers(0, 60)))).isoformat()
    if field.type == "time":
        minutes = 8 * 60 + 15 * int(rng.integers(0, 40))
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if field.type in ("enum", "status"):
        return field.values[int(rng.integers(0, len(field.values)))]
    pool = field.pool or "phrase"
    return _names(FieldSpec(name=field.name, type="text", pool=pool), 1, rng, 1)[0]


def generate_rows(
    spec: WorldSpec, rng: np.random.Generator, difficulty: int
) -> dict[str, list[dict[str, Any]]]:
    """Every entity's records for a fresh world at ``difficulty`` (1 to 3)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for entity in sorted_entities(spec):
        n = entity.counts[difficulty - 1]
        columns: dict[str, list[Any]] = {}
        for f in entity.fields:
            if f.type == "name":
                columns[f.name] = _names(f, n, rng, difficulty)
            elif f.type == "ref":
                targets = [r["id"] for r in tables[str(f.entity)]]
                columns[f.name] = [targets[int(rng.integers(0, len(targets)))] for _ in range(n)]
            elif f.type == "status":
                # every status occurs at least once when there is room: transitions need them
                cycle = [f.values[i % len(f.values)] for i in range(n)]
                columns[f.name] = [cycle[int(i)] for i in rng.permutation(n)]
            else:
                columns[f.name] = [_value(f, rng, spec, entity.name) for _ in range(n)]
        tables[entity.name] = [
            {"id": record_id(entity.name, i + 1), **{k: v[i] for k, v in columns.items()}}
            for i in range(n)
        ]
    return tables


def build_world(
    spec: WorldSpec, schema: str, rng: np.random.Generator, difficulty: int
) -> WorldState:
    """A populated world for ``difficulty``."""
    world = WorldState(schema)
    for name, rows in generate_rows(spec, rng, difficulty).items():
        world.insert(name, rows)
    return world
