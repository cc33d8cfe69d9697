"""Spans of an episode (agent, sub-agent, tool) on the runtime's virtual clock."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Span", "SpanKind", "Trace"]

SpanKind = Literal["agent", "subagent", "tool"]


@dataclass(slots=True)
class Span:
    """One timed piece of an episode.

    Attributes:
        id: index of the span in its trace.
        parent: id of the enclosing span (None for the root agent's span).
        kind: "agent" (the root's invocation), "subagent" or "tool".
        name: agent or tool name.
        role: the agent that acted (for a tool span, the caller).
        start: virtual time at which it began, in seconds.
        end: virtual time at which it ended (None while open).
        attributes: arguments, outcome, turns and so on.
    """

    id: int
    parent: int | None
    kind: SpanKind
    name: str
    role: str
    start: float
    end: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


class Trace:
    """The spans of one episode, in the order they began."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def open(
        self,
        kind: SpanKind,
        name: str,
        role: str,
        start: float,
        parent: int | None,
        attributes: dict[str, Any] | None = None,
    ) -> Span:
        """Begin a span; it keeps ``attributes`` (the dict itself) as its attributes."""
        spans = self.spans
        span = Span(len(spans), parent, kind, name, role, start, None, attributes or {})
        spans.append(span)
        return span

    def to_dicts(self) -> list[dict[str, Any]]:
        """Plain data for JSON export."""
        return [asdict(s) for s in self.spans]

    def __len__(self) -> int:
        return len(self.spans)

    def __iter__(self):
        return iter(self.spans)
