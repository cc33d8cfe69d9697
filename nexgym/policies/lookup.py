"""How the oracle finds out a value before it states it: a read call that shows it.

The oracle knows its plan's argument values (it reads the task), but its messages may
only carry values it has seen. When a plan step needs a value it has not seen yet, it
first has the value looked up: :class:`LookupFinder` tries read-only calls on a private
replica of the world (the initial world with every succeeded change replayed) and picks
the one whose result shows the most of the missing values. Its own arguments must be
values the oracle has seen, so the look-up itself states nothing new.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.policies.observed import SeenText, unseen_values
from nexgym.runtime.view import RuntimeView, current_task
from nexgym.tools import ToolCall, render_result

__all__ = ["LookupFinder", "schema_defaults"]

#: Candidate look-ups tried per decision (the domain's own enumeration can be long).
MAX_CANDIDATES = 400


def schema_defaults(parameters: dict[str, Any]) -> dict[str, Any]:
    """Argument name -> default value, from a tool's JSON-schema ``parameters``."""
    return {
        key: prop["default"]
        for key, prop in parameters.get("properties", {}).items()
        if "default" in prop
    }


class LookupFinder:
    """Finds read-only calls that reveal values, on a replica of the episode's world."""

    def __init__(self) -> None:
        self._task: Task | None = None
        self._world: Any = None
        self._applied = 0

    def world(self, runtime: RuntimeView) -> Any:
        """A world to try read calls on: the live one in process, else a replica.

        Read-only tools leave a world as it was, so in process they run on the episode's
        own world (no copy); behind a server (``backend="mcp"``) the world is not here,
        and a replica stands in (None when it cannot be built).
        """
        live = runtime.live_world(0)
        if live is not None:
            return live
        try:
            return self.replica(runtime)
        except Exception:  # no replica, no look-ups: the oracle then states the value
            return None

    def replica(self, runtime: RuntimeView) -> Any:
        """World 0 as it is now: the task's initial world with the succeeded changes replayed."""
        task = current_task(runtime)
        log = runtime.tool_log
        if task is not self._task or self._applied > len(log):
            domain = runtime.domain
            if not log:
                self._world = domain.copy_world(task.world)
            else:  # joined mid-episode (a rebuilt env): regenerate the initial world
                self._world = domain.generate_task(task.seed, task.difficulty).world
            self._task, self._applied = task, 0
        for record in log[self._applied :]:
            tool = runtime.domain.tool(record.call.name)
            if record.ok and record.world == 0 and tool.mutates:
                # the real call succeeded; a replica that differs there is moot
                with contextlib.suppress(Exception):
                    tool(self._world, **record.call.arguments)
        self._applied = len(log)
        return self._world

    def find(
        self,
        runtime: RuntimeView,
        step: ToolCall,
        seen: SeenText,
        tools: Iterable[str],
        asked: Callable[[ToolCall], bool],
    ) -> ToolCall | None:
        """A read call of one of ``tools`` that shows values of ``step`` not in ``seen``.

        Args:
            runtime: the episode's runtime.
            step: the plan step (domain tool names) whose values are wanted.
            seen: what the asking role has seen.
            tools: domain tool names the role can have called (itself or through sub-agents).
            asked: whether a look-up was made already (it is not repeated).
        """
        domain = runtime.domain
        wanted = unseen_values(step.arguments, seen, schema_defaults(_params(domain, step.name)))
        if not wanted:
            return None
        # a tool whose service was reported down shows nothing (the caller saw the error)
        down = {r.call.name for r in runtime.tool_log if r.meta.get("fault") == "unavailable"}
        readers = [t for t in dict.fromkeys(tools) if not domain.tool(t).mutates and t not in down]
        if not readers:
            return None
        world = self.world(runtime)
        if world is None:
            return None
        best: tuple[int, ToolCall] | None = None
        for candidate in self._candidates(runtime, world, readers, seen):
            if asked(candidate):
                continue
            params = _params(domain, candidate.name)
            if unseen_values(candidate.arguments, seen, schema_defaults(params)):
                continue
            try:
                arguments = domain.tool(candidate.name).validate(candidate.arguments)
                text = render_result(domain.tool(candidate.name)(world, **arguments))
            except Exception:  # a call that fails shows nothing
                continue
            after = seen.with_text(text)
            gain = len(wanted) - len(
                unseen_values(step.arguments, after, schema_defaults(_params(domain, step.name)))
            )
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, candidate)
                if gain == len(wanted):
                    break
        return None if best is None else best[1]

    @staticmethod
    def _candidates(
        runtime: RuntimeView, world: Any, readers: list[str], seen: SeenText
    ) -> list[ToolCall]:
        """Read calls worth trying.

        The plans' reads, argument-free reads, the domain's own enumeration, and
        one-argument reads with each value the role has seen.
        """
        allowed = set(readers)
        out: dict[str, ToolCall] = {}
        task = current_task(runtime)
        for plan in task.plans:
            for call in plan:
                if call.name in allowed:
                    out.setdefault(call.key(), call)
        for name in readers:
            if not _params(runtime.domain, name).get("required"):
                call = ToolCall(name, {})
                out.setdefault(call.key(), call)
        try:
            extra = runtime.domain.admissible_calls(task, world, readers)
        except Exception:  # an enumeration that fails offers nothing
            extra = []
        for call in extra[:MAX_CANDIDATES]:
            if call.name in allowed:
                out.setdefault(call.key(), call)
        values = _seen_values(seen.raw)
        for name in readers:
            params = _params(runtime.domain, name)
            required = params.get("required", [])
            if len(required) != 1:
                continue
            prop = params.get("properties", {}).get(required[0], {})
            for value in _typed(values, prop):
                call = ToolCall(name, {required[0]: value})
                out.setdefault(call.key(), call)
        return list(out.values())[: MAX_CANDIDATES * 2]


_TOKEN = re.compile(r"'([^'\n]{1,80})'|\"([^\"\n]{1,80})\"|([\w@./:-]*[\w])")


def _seen_values(raw: str) -> list[str]:
    """Distinct candidate values in seen text: quoted strings, then id-like tokens."""
    found: dict[str, None] = {}
    for match in _TOKEN.finditer(raw[-20_000:]):
        token = match.group(1) or match.group(2) or match.group(3)
        if token and len(token) >= 2:
            found.setdefault(token, None)
    # ids, paths and numbers first: they are what look-ups take
    return sorted(found, key=lambda t: not any(c.isdigit() or c in "/@-_." for c in t))


def _typed(values: list[str], prop: dict[str, Any]) -> list[Any]:
    kind = prop.get("type")
    if "enum" in prop:
        return list(prop["enum"])
    if kind == "integer":
        return [int(v) for v in values if v.isdigit()][:MAX_CANDIDATES]
    if kind in ("string", None):
        return values[:MAX_CANDIDATES]
    return []


def _params(domain: Domain, name: str) -> dict[str, Any]:
    return domain.tool(name).parameters
