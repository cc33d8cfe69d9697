"""A character-level grammar of the hierarchy DSL, for constrained decoding.

:class:`DSLGrammar` accepts exactly the YAML texts of this shape, written top-down::

    name: TravelDesk
    domain: travel
    topology: centralized
    root: planner
    agents:
      - name: planner
        role: You plan trips.
        tools: [budget_status]
        sub_agents: [flights]
      - name: flights
        role: You book flights.
        tools: [search_flights, book_flight]

where the domain is one of the allowed domains, tools are that domain's tools (each
once per list), ``sub_agents`` only name new agents, and each named sub-agent is
declared next, so every accepted text is a valid :class:`~nexgym.spec.HierarchySpec`
(a tree, every agent reachable, no unknown tool, one agent for ``single``). States
are immutable; :meth:`DSLGrammar.feed` returns the state after a piece of text, or
None if the text leaves the grammar. It is pure Python: the logits processor of
:mod:`nexgym.synth.llm` asks it which tokens may come next.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from nexgym.synth.lexicon import word_set
from nexgym.topology import list_topologies

__all__ = ["CharAutomaton", "CharGrammar", "DSLGrammar", "GrammarState"]

_UPPER = frozenset(string.ascii_uppercase)
_CAMEL = frozenset(string.ascii_letters + string.digits)
_SNAKE_FIRST = frozenset(string.ascii_lowercase)
_SNAKE = frozenset(string.ascii_lowercase + string.digits + "_")
_ROLE = frozenset(string.ascii_letters + string.digits + " .,;()'-")
#: Plain YAML words that would load as booleans or null instead of names.
_RESERVED = word_set(
    """
    yes no on off true false null y n finish Yes No On Off True False Null YES NO ON OFF
    TRUE FALSE NULL
    """
)

# phases
_LITERAL, _ENV_NAME, _DOMAIN, _TOPOLOGY, _ROOT = "literal", "env", "domain", "topology", "root"
_AGENT_NAME, _ROLE_TEXT, _AFTER, _TOOL, _SUB, _DONE = (
    "agent",
    "role",
    "after",
    "tool",
    "sub",
    "done",
)
_TOOLS_LINE, _SUBS_LINE, _NEXT_AGENT = "    tools: [", "    sub_agents: [", "  - name: "


class CharGrammar(Protocol):
    """What constrained decoding asks of a grammar over characters (immutable states)."""

    def start(self) -> Any:
        """The state before any text."""

    def feed(self, state: Any, text: str) -> Any | None:
        """The state after ``text``, or None if the text leaves the grammar."""

    def next_chars(self, state: Any) -> frozenset[str]:
        """Characters that may come next."""

    def is_complete(self, state: Any) -> bool:
        """Whether the text may end here."""

    def max_chars(self) -> int:
        """An upper bound on the length of any accepted text."""


class CharAutomaton:
    """A grammar that advances one character at a time (``step``); ``feed`` takes text."""

    def step(self, state: Any, char: str) -> Any | None:
        """The state after one character, or None if it is not allowed here."""
        raise NotImplementedError

    def feed(self, state: Any, text: str) -> Any | None:
        """The state after ``text``, or None if the text leaves the grammar."""
        for char in text:
            next_state = self.step(state, char)
            if next_state is None:
                return None
            state = next_state
        return state


@dataclass(frozen=True, slots=True)
class GrammarState:
    """Where a partial text stands in the grammar (immutable).

    Attributes:
        phase: what is being written.
        buf: characters of the current item so far.
        literal: characters that must come next (then ``then`` starts).
        then: the phase after the literal.
        domain: the chosen domain.
        topology: the chosen topology.
        declared: agents written so far.
        pending: agents named as sub-agents and not yet written.
        current: the agent being written.
        listed: items of the current list.
        lines: optional lines already written for the current agent.
    """

    phase: str = _LITERAL
    buf: str = ""
    literal: str = "name: "
    then: str = _ENV_NAME
    domain: str = ""
    topology: str = ""
    declared: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    current: str = ""
    listed: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()


class DSLGrammar(CharAutomaton):
    """The DSL as a character automaton over given domains.

    Args:
        domains: ``{domain: tool names}`` the text may use.
        max_agents: most agents a text may declare.
        max_role_chars: longest role prompt (after its leading "You ").
        max_name_chars: longest agent name.
    """

    def __init__(
        self,
        domains: Mapping[str, Sequence[str]],
        *,
        max_agents: int = 6,
        max_role_chars: int = 160,
        max_name_chars: int = 24,
    ) -> None:
        if not domains:
            raise ValueError("expected at least one domain for the grammar, got none")
        self.domains = {d: tuple(tools) for d, tools in domains.items()}
        self.max_agents = max_agents
        self.max_role_chars = max_role_chars
        self.max_name_chars = max_name_chars

    def start(self) -> GrammarState:
        """The state before any text."""
        return GrammarState()

    # -- queries ----------------------------------------------------------------------

    def is_complete(self, state: GrammarState) -> bool:
        """Whether the text may end here (the end-of-sequence token is allowed)."""
        if state.phase == _DONE:
            return True
        return (
            state.phase == _AFTER
            and not state.buf
            and not state.pending
            and not self._must_have_children(state)
        )

    def next_chars(self, state: GrammarState) -> frozenset[str]:
        """Characters that may come next (empty when the text must end)."""
        phase = state.phase
        if phase == _LITERAL:
            return frozenset(state.literal[0])
        if phase in (_DOMAIN, _TOPOLOGY, _AGENT_NAME, _AFTER, _TOOL):
            n = len(state.buf)
            return frozenset(
                o[n] for o in self._options(state) if len(o) > n and o.startswith(state.buf)
            )
        if phase == _ENV_NAME:
            if not state.buf:
                return _UPPER
            more = _CAMEL if len(state.buf) < 40 else frozenset()
            return more | ({"\n"} if state.buf not in _RESERVED else set())
        if phase in (_ROOT, _SUB):
            return self._name_chars(state)
        if phase == _ROLE_TEXT:
            more = _ROLE if len(state.buf) < self.max_role_chars else frozenset()
            return more | ({"\n"} if state.buf.strip() else set())
        return frozenset()

    # -- transitions ------------------------------------------------------------------

    def step(self, state: GrammarState, char: str) -> GrammarState | None:
        """The state after one character, or None if it is not allowed here."""
        if char not in self.next_chars(state):
            return None
        phase = state.phase
        if phase == _LITERAL:
            rest = state.literal[1:]
            if rest:
                return replace(state, literal=rest)
            return replace(state, phase=state.then, literal="", buf="")
        if phase == _ENV_NAME:
            if char == "\n":
                return self._literal(state, "domain: ", _DOMAIN)
            return replace(state, buf=state.buf + char)
        if phase == _ROLE_TEXT:
            if char == "\n":
                return replace(state, phase=_AFTER, buf="")
            return replace(state, buf=state.buf + char)
        if phase in (_ROOT, _SUB):
            return self._name_step(state, char)
        buf = state.buf + char
        if buf not in self._options(state):
            return replace(state, buf=buf)
        return self._choose(replace(state, buf=""), buf)

    # -- helpers ----------------------------------------------------------------------

    def _literal(self, state: GrammarState, text: str, then: str) -> GrammarState:
        return replace(state, phase=_LITERAL, literal=text, then=then, buf="")

    def _must_have_children(self, state: GrammarState) -> bool:
        return (
            state.topology != "single"
            and state.current == (state.declared[0] if state.declared else "")
            and _SUBS_LINE not in state.lines
            and self._room(state)
        )

    def _room(self, state: GrammarState, extra: int = 1) -> bool:
        return len(state.declared) + len(state.pending) + extra <= self.max_agents

    def _options(self, state: GrammarState) -> list[str]:
        phase = state.phase
        if phase == _DOMAIN:
            return [f"{d}\n" for d in self.domains]
        if phase == _TOPOLOGY:
            return [f"{t}\n" for t in list_topologies()]
        if phase == _AGENT_NAME:
            return [f"{p}\n" for p in state.pending[:1]]  # declare them in order
        if phase == _TOOL:
            left = [t for t in self.domains[state.domain] if t not in state.listed]
            out = [f"{t}]\n" for t in left]
            if len(left) > 1:
                out += [f"{t}, " for t in left]
            return out
        if phase == _AFTER:
            out = []
            wrote_subs = _SUBS_LINE in state.lines
            if _TOOLS_LINE not in state.lines and not wrote_subs and self.domains[state.domain]:
                out.append(_TOOLS_LINE)
            if not wrote_subs and state.topology != "single" and self._room(state):
                out.append(_SUBS_LINE)
            if state.pending and not self._must_have_children(state):
                out.append(_NEXT_AGENT)
            return out
        return []

    def _choose(self, state: GrammarState, option: str) -> GrammarState:
        phase = state.phase
        if phase == _DOMAIN:
            return self._literal(replace(state, domain=option[:-1]), "topology: ", _TOPOLOGY)
        if phase == _TOPOLOGY:
            return self._literal(replace(state, topology=option[:-1]), "root: ", _ROOT)
        if phase == _AGENT_NAME:
            name = option[:-1]
            state = replace(
                state,
                current=name,
                declared=(*state.declared, name),
                pending=state.pending[1:],
                lines=(),
            )
            return self._literal(state, "    role: You ", _ROLE_TEXT)
        if phase == _TOOL:
            tool = option.rstrip(", ]\n")
            state = replace(state, listed=(*state.listed, tool))
            if option.endswith("]\n"):
                return replace(state, phase=_AFTER, listed=(), lines=(*state.lines, _TOOLS_LINE))
            return state
        # _AFTER
        if option == _TOOLS_LINE:
            return replace(state, phase=_TOOL, listed=())
        if option == _SUBS_LINE:
            return replace(state, phase=_SUB, listed=(), buf="")
        return replace(state, phase=_AGENT_NAME)

    def _taken(self, state: GrammarState) -> set[str]:
        return {*state.declared, *state.pending}

    def _name_chars(self, state: GrammarState) -> frozenset[str]:
        if not state.buf:
            return _SNAKE_FIRST
        out = set(_SNAKE) if len(state.buf) < self.max_name_chars else set()
        fresh = state.buf not in _RESERVED and state.buf not in self._taken(state)
        if fresh:
            if state.phase == _ROOT:
                out.add("\n")
            else:
                out.add("]")
                if self._room(state, extra=2):  # room for this one and another
                    out.add(",")
        return frozenset(out)

    def _name_step(self, state: GrammarState, char: str) -> GrammarState:
        if char in _SNAKE:
            return replace(state, buf=state.buf + char)
        name = state.buf
        if state.phase == _ROOT:
            state = replace(state, buf="", pending=(name,))
            return self._literal(state, "agents:\n" + _NEXT_AGENT, _AGENT_NAME)
        state = replace(state, buf="", pending=(*state.pending, name))
        if char == ",":
            return self._literal(state, " ", _SUB)
        return self._literal(replace(state, lines=(*state.lines, _SUBS_LINE)), "\n", _AFTER)

    def max_chars(self) -> int:
        """An upper bound on the length of any accepted text (for token budgets)."""
        longest_domain = max(len(d) for d in self.domains)
        longest_tools = max(sum(len(t) + 2 for t in tools) for tools in self.domains.values())
        header = 6 + 40 + 9 + longest_domain + 11 + 14 + 7 + self.max_name_chars + 9
        per_agent = (
            len(_NEXT_AGENT)
            + self.max_name_chars
            + 15
            + self.max_role_chars
            + len(_TOOLS_LINE)
            + longest_tools
            + len(_SUBS_LINE)
            + self.max_agents * (self.max_name_chars + 2)
            + 4
        )
        return header + self.max_agents * per_agent
