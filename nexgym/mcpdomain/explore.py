"""Tasks for a server nobody wrote a task generator for: explore it, then propose.

After CuES (curiosity-driven, environment-grounded task synthesis), on a small scale:

1. **Probe the reads.** Each read tool is called with arguments made from what the
   server has shown so far: enum values, defaults and quoted examples in its schemas,
   then values harvested from earlier answers (JSON leaves, words, ``HH:MM`` times).
   New answers add new values (the curiosity loop), within a call budget.
2. **Try the writes.** On a fresh server each write tool is called once with made-up
   arguments; the reads (including reads with the write's own values) that answer
   differently than on another fresh server record what the write changed.
3. **Propose tasks whose success the server itself can check:**
   *lookup* tasks (find what a read reports; checked by re-running the read at the
   end and looking for its answer in the agent's answer) and *reach* tasks (bring
   the server to a state; checked by re-running the read that showed the state).

Reads whose answers change on their own (a clock) are probed at the start and at the
end of the exploration and dropped when they differ, or when they state the current
time (:func:`shows_the_time`: a short exploration may begin and end within one tick of
a clock that shows seconds). Writes are tried only on servers
the env starts itself (stdio): a server reached by URL keeps its state across tasks.
Limits: arguments are made up from what the server shows, so tools that need values
it never shows (a path on the host) are not explored; instructions are templates, not
prose; a task needs one write at most.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nexgym.error import ToolError
from nexgym.mcpdomain.servers import ServerPool
from nexgym.mcpdomain.tools import ServerTool
from nexgym.tools import ToolCall

__all__ = ["Proposal", "explore", "shows_the_time"]

_QUOTED = re.compile(r"'([^'\s]{1,60})'|\"([^\"\s]{1,60})\"")
_CLOCK = re.compile(r"(?<!\d)\d{2}:\d{2}(?!\d)")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_/.\-]{1,40}")
MAX_TEXT = 400  # longest answer a task may check


@dataclass(frozen=True)
class Proposal:
    """A task found by exploration: do ``plan``; ``probe`` answering ``expected`` checks it."""

    kind: str  # "lookup" or "reach"
    instruction: str
    plan: tuple[ToolCall, ...]
    probe: ToolCall
    expected: str


def explore(
    pool: ServerPool, tools: dict[str, ServerTool], *, budget: int = 60
) -> tuple[list[Proposal], list[str]]:
    """Explore the servers behind ``pool``; returns the proposals and notes on what was skipped.

    ``pool`` is used and left with fresh servers. Deterministic for a deterministic server.
    """
    notes: list[str] = []
    reads = {n: t for n, t in tools.items() if not t.mutates}
    writes = {n: t for n, t in tools.items() if t.mutates}
    for name, tool in list(writes.items()):
        if pool.servers[tool.server].url is not None:
            del writes[name]  # a server we reach by URL cannot be reset: its writes would stay
            notes.append(
                f"{name}: on a server reached by URL, whose state cannot be reset; "
                "not explored (lookup tasks only)"
            )
    values = _Vocabulary()
    for tool in tools.values():
        values.add_schema(tool.parameters)
    pool.fresh()
    first: dict[str, tuple[ToolCall, str]] = {}  # call key -> (call, first answer)
    tried: set[str] = set()
    calls = 0
    for _ in range(3):  # rounds: answers of one round feed the arguments of the next
        for name, tool in reads.items():
            for call in _calls(name, tool, values, limit=4):
                if call.key() in tried or calls >= budget:
                    continue
                tried.add(call.key())
                calls += 1
                text = _try(pool, tool, call)
                if text is not None:
                    first[call.key()] = (call, text)
                    values.add_text(text)
    # the writes to try, and the reads that may show their effect (with their values)
    trials: list[tuple[ToolCall, list[ToolCall]]] = []
    for name, tool in writes.items():
        for write in _calls(name, tool, values, limit=2):
            local = _Vocabulary()
            for value in write.arguments.values():
                local.add(value)
            local.merge(values)
            probes = [c for n, t in reads.items() for c in _calls(n, t, local, limit=6)]
            trials.append((write, probes))
    # reads do not change the state: the server is still as it started
    baseline = {p.key(): _try(pool, tools[p.name], p) for _, ps in trials for p in ps}
    proposals: list[Proposal] = []
    for write, probes in trials[: max(0, budget - calls)]:
        proposals.extend(_reach(pool, tools, write, probes, baseline))
    pool.fresh()
    stable: dict[str, tuple[ToolCall, str]] = {}
    for key, (call, text) in first.items():
        if _try(pool, tools[call.name], call) == text and not shows_the_time(text):
            stable[key] = (call, text)
        else:
            notes.append(f"{call.describe()}: answers change on their own; not used to check")
    unstable = set(first) - set(stable)
    proposals = [p for p in proposals if p.probe.key() not in unstable]
    for call, text in stable.values():
        if text.strip() and len(text) <= MAX_TEXT:
            proposals.append(
                Proposal(
                    "lookup",
                    f"Find out what {call.describe()} reports, and answer with exactly that.",
                    (call,),
                    call,
                    text,
                )
            )
    if not writes:
        notes.append("no write tools: only lookup tasks")
    return proposals, notes


def _reach(
    pool: ServerPool,
    tools: dict[str, ServerTool],
    write: ToolCall,
    probes: list[ToolCall],
    baseline: dict[str, str | None],
) -> list[Proposal]:
    """A reach proposal for one write: the first read it changes, on a fresh server."""
    pool.fresh()
    if _try(pool, tools[write.name], write) is None:
        return []
    for probe in probes:
        text = _try(pool, tools[probe.name], probe)
        if text is None or text == baseline.get(probe.key()) or len(text) > MAX_TEXT:
            continue
        instruction = f"Change the state so that {probe.describe()} reports: {text.strip()}"
        return [Proposal("reach", instruction, (write,), probe, text)]
    return []


def _try(pool: ServerPool, tool: ServerTool, call: ToolCall) -> str | None:
    try:
        return str(tool(pool, **call.arguments))
    except ToolError:
        return None


def _calls(name: str, tool: ServerTool, values: _Vocabulary, limit: int) -> Iterator[ToolCall]:
    """Up to ``limit`` well-formed calls of ``tool`` with arguments from ``values``."""
    props: dict[str, Any] = tool.parameters.get("properties", {})
    required = [p for p in tool.parameters.get("required", []) if p in props]
    if not required:
        yield ToolCall(name, {})
        return
    choices = [values.of(p, props[p]) for p in required]
    if any(not c for c in choices):
        return
    made = 0
    for i in range(max(len(c) for c in choices)):
        arguments = {p: c[i % len(c)] for p, c in zip(required, choices, strict=True)}
        try:
            tool.validate(arguments)
        except Exception:
            continue
        yield ToolCall(name, arguments)
        made += 1
        if made >= limit:
            return


class _Vocabulary:
    """Values seen so far: all of them in order, and by the name of the field they filled."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.numbers: list[int] = []
        self.by_name: dict[str, list[Any]] = {}

    def add(self, value: Any, name: str | None = None) -> None:
        if isinstance(value, bool) or not isinstance(value, int | str):
            return
        if isinstance(value, str) and not (0 < len(value) <= 60):
            return
        pool = self.numbers if isinstance(value, int) else self.strings
        if value not in pool:
            pool.append(value)  # type: ignore[arg-type]
        if name is not None:
            named = self.by_name.setdefault(name, [])
            if value not in named:
                named.append(value)

    def merge(self, other: _Vocabulary) -> None:
        for value in [*other.strings, *other.numbers]:
            self.add(value)
        for name, named in other.by_name.items():
            for value in named:
                self.add(value, name)

    def add_schema(self, schema: Any, name: str | None = None) -> None:
        if not isinstance(schema, dict):
            return
        for value in schema.get("enum", []):
            self.add(value, name)
        for key in ("default", "examples"):
            found = schema.get(key)
            for value in found if isinstance(found, list) else [found]:
                self.add(value, name)
        for match in _QUOTED.finditer(str(schema.get("description", ""))):
            self.add(match.group(1) or match.group(2), name)
        for child_name, child in schema.get("properties", {}).items():
            self.add_schema(child, child_name)

    def add_text(self, text: str) -> None:
        try:
            self._leaves(json.loads(text))
        except (json.JSONDecodeError, ValueError):
            for word in _WORD.findall(text)[:20]:
                self.add(word)
        for clock in _CLOCK.findall(text)[:2]:
            self.add(clock, "__clock__")

    def _leaves(self, value: Any, depth: int = 0, name: str | None = None) -> None:
        if depth > 4:
            return
        if isinstance(value, dict):
            for key, item in list(value.items())[:20]:
                self._leaves(item, depth + 1, str(key))
        elif isinstance(value, list):
            for item in value[:20]:
                self._leaves(item, depth + 1, name)
        else:
            self.add(value, name)

    def of(self, name: str, schema: dict[str, Any]) -> list[Any]:
        """Candidate values for property ``name``: its own, related fields', then any."""
        if "enum" in schema:
            return list(schema["enum"])
        kind = schema.get("type", "string")
        if kind == "boolean":
            return [True, False]
        if kind not in ("string", "integer"):
            return []
        words = set(name.lower().split("_"))
        ranked: list[Any] = list(self.by_name.get(name, []))
        for other, named in self.by_name.items():
            if other != name and words & set(other.lower().split("_")):
                ranked.extend(named)
        if "HH:MM" in str(schema.get("description", "")):
            ranked.extend(self.by_name.get("__clock__", []))
        ranked.extend(self.numbers if kind == "integer" else self.strings)
        typed = int if kind == "integer" else str
        out = [v for v in dict.fromkeys(ranked) if isinstance(v, typed)]
        return out or ([1] if kind == "integer" else [])


_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
#: How close to now a stated time must be for the answer to count as a clock's.
CLOCK_SECONDS = 120


def shows_the_time(text: str, now: datetime | None = None) -> bool:
    """Whether ``text`` states a date and time within :data:`CLOCK_SECONDS` of ``now``."""
    now = now or datetime.now(UTC)
    for match in _TIMESTAMP.finditer(text):
        try:
            stated = datetime.fromisoformat(match.group())
        except ValueError:
            continue
        candidates = (
            [stated] if stated.tzinfo else [stated.replace(tzinfo=UTC), stated.astimezone()]
        )
        if any(abs((c - now).total_seconds()) <= CLOCK_SECONDS for c in candidates):
            return True
    return False
