"""A character-level grammar of the world DSL, for constrained decoding.

:class:`WorldGrammar` accepts exactly the YAML texts of this shape::

    name: vet_desk
    description: A clinic desk with pets.
    entities:
    - name: pet
      fields:
      - {name: pet_name, type: name, pool: pet}
      - {name: weight, type: quantity}
      - {name: stage, type: status, values: [waiting, admitted, home]}
    tools:
    - {entity: pet, name: find_pet, op: lookup, description: Look a pet up.}
    - {entity: pet, name: admit_pet, op: transition, from: [waiting], to: admitted,
       description: Admit a pet.}

Each entity starts with a name field (its label) and may add money, quantity and one
status field; the tools come entity by entity, each entity's first one a lookup, and
the others pick an operation the entity's fields allow (an update of a numeric field,
a transition between two of its statuses, ...). Names are fresh identifiers that no
table, argument or YAML keyword uses. So every accepted text is a
:class:`~nexgym.envs.worlds.spec.WorldSpec` that validates, compiles, and whose every
tool can succeed. States are immutable; :meth:`WorldGrammar.feed` returns the state
after a piece of text, or None if the text leaves the grammar, as
:class:`~nexgym.synth.grammar.DSLGrammar` does, so the same logits processor drives it.
"""

from __future__ import annotations

import keyword
import string
from collections.abc import Collection
from dataclasses import dataclass, replace

from nexgym.envs.worlds.checks import POOLS, RESERVED_ENTITIES, RESERVED_FIELDS
from nexgym.envs.worlds.store import id_prefix
from nexgym.synth.grammar import CharAutomaton

__all__ = ["WorldGrammar", "WorldGrammarState"]

_IDENT_FIRST = frozenset(string.ascii_lowercase)
_IDENT = frozenset(string.ascii_lowercase + string.digits + "_")
_TEXT_FIRST = frozenset(string.ascii_letters)
# no ',', ':', '#', brackets or quotes: the text is a plain scalar inside a flow mapping
_TEXT = frozenset(string.ascii_letters + string.digits + " .;()-")
#: Words YAML reads as booleans or null, and names the runtime keeps for itself.
_RESERVED_WORDS = frozenset({"yes", "no", "on", "off", "true", "false", "null", "y", "n", "finish"})
#: Field names a tool's arguments or the tool function already use.
_RESERVED_ARGUMENTS = frozenset({"world", "from_id", "to_id", "name"})
_ENTITY, _FIELD, _TYPE, _AFTER_FIELD, _TOOL_NAME, _AFTER_TOOL = (
    "entity",
    "field",
    "type",
    "after_field",
    "tool",
    "after_tool",
)
_LITERAL, _WORLD, _DESCRIPTION, _POOL, _VALUE, _OP, _TOOL_TEXT = (
    "literal",
    "world",
    "description",
    "pool",
    "value",
    "op",
    "tool_text",
)
_NEW_FIELD, _NEW_ENTITY, _TOOLS = "  - {name: ", "- name: ", "tools:\n"
_STATUS_TYPE = "status, values: ["
_READS = ("lookup", "list", "search")
# slots whose value ends at a given character, and the phases they are identifiers of
_IDENT_SLOTS = {_WORLD: "\n", _ENTITY: "\n", _FIELD: ",", _TOOL_NAME: ","}


@dataclass(frozen=True, slots=True)
class WorldGrammarState:
    """Where a partial text stands in the world grammar (immutable).

    Attributes:
        phase: what is being written.
        buf: characters of the current item so far.
        literal: characters that must come next (then ``then`` starts).
        then: the phase after the literal.
        entities: ``(name, fields)`` per entity written, each field ``(name, type, values)``.
        tools: tool names written so far.
        ops: operations (as written) of the current entity's tools.
        tool_entity: index of the entity whose tools are being written (-1: none yet).
        acted: whether some tool written so far changes the world (a task needs one).
    """

    phase: str = _LITERAL
    buf: str = ""
    literal: str = "name: "
    then: str = _WORLD
    entities: tuple[tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = ()
    tools: tuple[str, ...] = ()
    ops: tuple[str, ...] = ()
    tool_entity: int = -1
    acted: bool = False


class WorldGrammar(CharAutomaton):
    """The world DSL as a character automaton.

    Args:
        taken: names the world may not take (domains already registered).
        max_entities: most entities a world may declare.
        max_fields: most fields per entity (its name field included).
        max_tools: most tools per entity (at least 2: a lookup and one that acts).
        max_values: most statuses of a status field.
        max_name_chars: longest identifier.
        max_text_chars: longest description.
    """

    def __init__(
        self,
        *,
        taken: Collection[str] = (),
        max_entities: int = 3,
        max_fields: int = 4,
        max_tools: int = 5,
        max_values: int = 4,
        max_name_chars: int = 24,
        max_text_chars: int = 80,
    ) -> None:
        if max_entities < 1 or max_fields < 1 or max_tools < 2 or max_values < 2:
            raise ValueError(
                "expected max_entities, max_fields >= 1, max_tools, max_values >= 2, got "
                f"{max_entities}, {max_fields}, {max_tools}, {max_values}"
            )
        self.taken = frozenset(taken)
        self.max_entities = max_entities
        self.max_fields = max_fields
        self.max_tools = max_tools
        self.max_values = max_values
        self.max_name_chars = max_name_chars
        self.max_text_chars = max_text_chars

    def start(self) -> WorldGrammarState:
        """The state before any text."""
        return WorldGrammarState()

    # -- queries ----------------------------------------------------------------------

    def is_complete(self, state: WorldGrammarState) -> bool:
        """Whether the text may end here (after a tool line of the last entity)."""
        return (
            state.phase == _AFTER_TOOL
            and not state.buf
            and state.acted
            and state.tool_entity == len(state.entities) - 1
        )

    def next_chars(self, state: WorldGrammarState) -> frozenset[str]:
        """Characters that may come next (empty when the text must end)."""
        phase = state.phase
        if phase == _LITERAL:
            return frozenset(state.literal[0])
        if phase in _IDENT_SLOTS or phase == _VALUE:
            return self._ident_chars(state)
        if phase in (_DESCRIPTION, _TOOL_TEXT):
            if not state.buf:
                return _TEXT_FIRST
            more = _TEXT if len(state.buf) < self.max_text_chars else frozenset()
            end = "\n" if phase == _DESCRIPTION else "}"
            text = state.buf.strip()
            done = len(text) >= 3 and text.lower() not in _RESERVED_WORDS
            return more | ({end} if done else set())
        n = len(state.buf)
        return frozenset(
            o[n] for o in self._options(state) if len(o) > n and o.startswith(state.buf)
        )

    # -- transitions ------------------------------------------------------------------

    def step(self, state: WorldGrammarState, char: str) -> WorldGrammarState | None:
        """The state after one character, or None if it is not allowed here."""
        if char not in self.next_chars(state):
            return None
        phase = state.phase
        if phase == _LITERAL:
            rest = state.literal[1:]
            if rest:
                return replace(state, literal=rest)
            return replace(state, phase=state.then, literal="", buf="")
        if phase in _IDENT_SLOTS or phase in (_DESCRIPTION, _TOOL_TEXT, _VALUE):
            if char in _IDENT | _TEXT:
                return replace(state, buf=state.buf + char)
            return self._close(state, char)
        buf = state.buf + char
        if buf not in self._options(state):
            return replace(state, buf=buf)
        return self._choose(replace(state, buf=""), buf)

    # -- slots --------------------------------------------------------------------------

    def _ident_chars(self, state: WorldGrammarState) -> frozenset[str]:
        if not state.buf:
            return _IDENT_FIRST
        out: set[str] = set()
        if len(state.buf) < self.max_name_chars - 1:
            out = set(_IDENT)
        elif len(state.buf) == self.max_name_chars - 1:  # the last character: end fresh
            out = {c for c in _IDENT if self._fresh(state, state.buf + c)}
        if self._fresh(state, state.buf):
            if state.phase == _VALUE:
                values = self._values(state)
                if len(values) + 1 < self.max_values:
                    out.add(",")
                if values:  # a status field has at least two values
                    out.add("]")
            else:
                out.add(_IDENT_SLOTS[state.phase])
        return frozenset(out)

    def _fresh(self, state: WorldGrammarState, name: str) -> bool:
        """Whether ``name`` may close the identifier slot being written."""
        if name in _RESERVED_WORDS or name.endswith("_") or keyword.iskeyword(name):
            return False
        phase = state.phase
        if phase == _WORLD:
            return name not in self.taken and len(name) >= 3
        if phase == _ENTITY:
            names = [e for e, _ in state.entities]
            prefixes = {id_prefix(e) for e in names}
            return (
                name not in names
                and name not in RESERVED_ENTITIES
                and id_prefix(name) not in prefixes
            )
        if phase == _FIELD:
            fields = state.entities[-1][1]
            return (
                name not in {f for f, _, _ in fields}
                and name not in RESERVED_FIELDS | _RESERVED_ARGUMENTS
                and not name.endswith("_id")
            )
        if phase == _TOOL_NAME:
            return name not in state.tools
        return name not in self._values(state)  # a status value

    def _values(self, state: WorldGrammarState) -> tuple[str, ...]:
        return state.entities[-1][1][-1][2]

    def _close(self, state: WorldGrammarState, char: str) -> WorldGrammarState:
        """End the slot being written with ``char``; move to what follows it."""
        phase, value = state.phase, state.buf
        state = replace(state, buf="")
        if phase == _WORLD:
            return self._literal(state, "description: ", _DESCRIPTION)
        if phase == _DESCRIPTION:
            return self._literal(state, "entities:\n" + _NEW_ENTITY, _ENTITY)
        if phase == _ENTITY:
            state = replace(state, entities=(*state.entities, (value, ())))
            return self._literal(state, "  fields:\n" + _NEW_FIELD, _FIELD)
        if phase == _FIELD:
            fields = state.entities[-1][1]
            state = self._set_fields(state, (*fields, (value, "", ())))
            if len(fields) == 0:  # the label: a name field
                return self._literal(state, " type: name, pool: ", _POOL)
            return self._literal(state, " type: ", _TYPE)
        if phase == _VALUE:
            fields = state.entities[-1][1]
            name, kind, values = fields[-1]
            state = self._set_fields(state, (*fields[:-1], (name, kind, (*values, value))))
            if char == ",":
                return self._literal(state, " ", _VALUE)
            return self._literal(state, "}\n", _AFTER_FIELD)
        if phase == _TOOL_NAME:
            state = replace(state, tools=(*state.tools, value))
            return self._literal(state, " op: ", _OP)
        return self._literal(state, "\n", _AFTER_TOOL)  # a tool's description

    def _set_fields(
        self, state: WorldGrammarState, fields: tuple[tuple[str, str, tuple[str, ...]], ...]
    ) -> WorldGrammarState:
        entity = state.entities[-1][0]
        return replace(state, entities=(*state.entities[:-1], (entity, fields)))

    def _literal(self, state: WorldGrammarState, text: str, then: str) -> WorldGrammarState:
        return replace(state, phase=_LITERAL, literal=text, then=then, buf="")

    # -- choices ------------------------------------------------------------------------

    def _options(self, state: WorldGrammarState) -> list[str]:
        phase = state.phase
        if phase == _POOL:
            return [f"{p}}}\n" for p in POOLS]
        if phase == _TYPE:
            fields = state.entities[-1][1]
            out = ["quantity}\n", "money}\n"]
            if not any(kind == "status" for _, kind, _ in fields):
                out.append(_STATUS_TYPE)
            return out
        if phase == _AFTER_FIELD:
            out = []
            if len(state.entities[-1][1]) < self.max_fields:
                out.append(_NEW_FIELD)
            if len(state.entities) < self.max_entities:
                out.append(_NEW_ENTITY)
            return [*out, _TOOLS]
        if phase == _AFTER_TOOL:
            out = []
            if len(state.ops) < self.max_tools and self._operations(state):
                out.append(self._tool_start(state.entities[state.tool_entity][0]))
            if state.tool_entity + 1 < len(state.entities):
                out.append(self._tool_start(state.entities[state.tool_entity + 1][0]))
            return out
        if phase == _OP:
            return [f"{op}, description: " for op in self._operations(state)]
        return []

    def _tool_start(self, entity: str) -> str:
        return f"- {{entity: {entity}, name: "

    def _operations(self, state: WorldGrammarState) -> list[str]:
        """The operations the current entity's next tool may have (each once)."""
        if not state.ops:
            return ["lookup"]  # every entity can be found first
        fields = state.entities[state.tool_entity][1]
        label = fields[0][0]
        numeric = [name for name, kind, _ in fields if kind in ("money", "quantity")]
        statuses = next((values for _, kind, values in fields if kind == "status"), ())
        ops = ["lookup", "list", "search", "note", f"create, fields: [{label}]"]
        ops += [f"update, fields: [{name}]" for name in numeric]
        ops += [f"transfer, field: {name}" for name in numeric]
        ops += [f"transition, from: [{a}], to: {b}" for a in statuses for b in statuses if a != b]
        left = [op for op in ops if op not in state.ops]
        last_chance = (
            not state.acted
            and state.tool_entity == len(state.entities) - 1
            and len(state.ops) == self.max_tools - 1
        )
        # a world whose tools only read makes no task: the last tool may not read then
        return [op for op in left if op.split(",")[0] not in _READS] if last_chance else left

    def _choose(self, state: WorldGrammarState, option: str) -> WorldGrammarState:
        phase = state.phase
        if phase == _POOL:
            return replace(state, phase=_AFTER_FIELD)
        if phase == _TYPE:
            fields = state.entities[-1][1]
            name = fields[-1][0]
            if option == _STATUS_TYPE:
                state = self._set_fields(state, (*fields[:-1], (name, "status", ())))
                return replace(state, phase=_VALUE)
            kind = option.removesuffix("}\n")
            state = self._set_fields(state, (*fields[:-1], (name, kind, ())))
            return replace(state, phase=_AFTER_FIELD)
        if phase == _AFTER_FIELD:
            if option == _NEW_FIELD:
                return replace(state, phase=_FIELD)
            if option == _NEW_ENTITY:
                return replace(state, phase=_ENTITY)
            state = replace(state, tool_entity=0, ops=())
            return self._literal(state, self._tool_start(state.entities[0][0]), _TOOL_NAME)
        if phase == _AFTER_TOOL:
            current = self._tool_start(state.entities[state.tool_entity][0])
            if option != current:
                state = replace(state, tool_entity=state.tool_entity + 1, ops=())
            return replace(state, phase=_TOOL_NAME)
        # _OP
        op = option.removesuffix(", description: ")
        acted = state.acted or op.split(",")[0] not in _READS
        return replace(state, ops=(*state.ops, op), phase=_TOOL_TEXT, acted=acted)

    def max_chars(self) -> int:
        """An upper bound on the length of any accepted text (for token budgets)."""
        name, text = self.max_name_chars, self.max_text_chars
        field = len(_NEW_FIELD) + name + 30 + self.max_values * (name + 2)
        op = 40 + 2 * name
        tool = 30 + 2 * name + op + text
        entity = len(_NEW_ENTITY) + name + 12 + self.max_fields * field + self.max_tools * tool
        return 40 + name + text + self.max_entities * entity
