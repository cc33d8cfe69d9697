"""Where tool calls run: in-process (the default) or, in :mod:`nexgym.mcp`, over MCP.

A backend owns the episode's world(s). The runtime generates the task locally (it
needs the instruction and the oracle plans) and tells the backend to load the same
task by seed; every domain tool call then goes through :meth:`ToolBackend.call`, and
verification reads the world through :meth:`ToolBackend.verify`.

Worlds are indexed so that parallel topologies can give each agent its own sandbox
(:meth:`fork`) and keep the winner's (:meth:`select`).
"""

from __future__ import annotations

import importlib
from typing import Any

from nexgym.envs.domains.kit.base import Domain, Task, Verdict
from nexgym.error import ConfigError, ToolError, UnknownNameError
from nexgym.tools import ToolCall, ToolResult

__all__ = [
    "BACKENDS",
    "UNCOPIED",
    "InProcessBackend",
    "ToolBackend",
    "make_backend",
    "register_backend",
]


class ToolBackend:
    """Interface of a tool backend (subclass it)."""

    #: a short name for logs and ``info`` ("inproc", "mcp").
    name = "abstract"

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    def reset(self, task: Task) -> None:
        """Load the task's initial world (world 0)."""
        raise NotImplementedError

    def call(self, call: ToolCall, world: int = 0) -> ToolResult:
        """Run one domain tool call whose arguments are already validated."""
        raise NotImplementedError

    def verify(self, task: Task, answer: str | None, world: int = 0) -> Verdict:
        """Judge a world against the task."""
        raise NotImplementedError

    def check_invariants(self, world: int = 0) -> list[str]:
        """The domain's invariants on a world."""
        raise NotImplementedError

    def live_world(self, index: int) -> Any | None:
        """World ``index`` if it lives in this process, else None (a server holds it)."""
        return None

    def fork(self, n: int) -> None:
        """Replace the worlds by ``n`` copies of world 0."""
        raise NotImplementedError

    def select(self, index: int) -> None:
        """Keep only world ``index`` (it becomes world 0)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release processes and resources; idempotent."""


class _Uncopied:
    """Marks a forked world not copied yet (one instance, kept by copying and pickling)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<world not copied yet>"

    def __reduce__(self) -> str:
        return "UNCOPIED"

    def __copy__(self) -> _Uncopied:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Uncopied:
        return self


#: A forked world that its agent has not used yet (see :meth:`InProcessBackend.fork`).
UNCOPIED = _Uncopied()


class InProcessBackend(ToolBackend):
    """Calls the domain's tool functions directly on worlds held in memory.

    Forked worlds are copied on first use: ``worlds[i]`` is :data:`UNCOPIED` until
    :meth:`world` is asked for it (a tool call, a verdict), so a reset of a peer team
    pays for no copy, and an agent that never acts costs none.
    """

    name = "inproc"

    def __init__(self, domain: Domain) -> None:
        super().__init__(domain)
        self.worlds: list[Any] = []
        self._base: Any = None  # the forked world, untouched until the last copy is made
        self._uncopied = 0

    def reset(self, task: Task) -> None:
        """Take the task's world as world 0 (tasks are generated fresh for each episode)."""
        self.worlds = [task.world]
        self._base, self._uncopied = None, 0

    def world(self, index: int = 0) -> Any:
        """World ``index``; a forked one is copied from the fork's world on first use."""
        found = self.worlds[index]
        if found is not UNCOPIED:
            return found
        self._uncopied -= 1
        if self._uncopied:
            found = self.domain.copy_world(self._base)
        else:  # the last world to be used takes the original itself
            found, self._base = self._base, None
        self.worlds[index] = found
        return found

    def live_world(self, index: int) -> Any | None:
        """World ``index`` (None if there is no such world)."""
        return self.world(index) if 0 <= index < len(self.worlds) else None

    def call(self, call: ToolCall, world: int = 0) -> ToolResult:
        """Run the tool; a :class:`ToolError` becomes an error result."""
        tool = self.domain.tool(call.name)
        try:
            target = self.worlds[world]
            if target is UNCOPIED:
                target = self.world(world)
            return ToolResult(ok=True, content=tool.fn(target, **call.arguments))
        except ToolError as e:
            return ToolResult.failure(str(e))
        except Exception as e:  # a tool bug must not escape step(); report it plainly
            return ToolResult.failure(f"internal error in {call.name}: {type(e).__name__}: {e}")

    def verify(self, task: Task, answer: str | None, world: int = 0) -> Verdict:
        """Run the task's checks on the world."""
        return task.verify(self.world(world), answer)

    def check_invariants(self, world: int = 0) -> list[str]:
        """The domain's invariants on the world."""
        return self.domain.check_invariants(self.world(world))

    def fork(self, n: int) -> None:
        """Give each of ``n`` parallel agents its own copy of world 0 (made on first use)."""
        base = self._keep(0)
        if n == 1:
            self.worlds = [base]
        else:
            self.worlds, self._base, self._uncopied = [UNCOPIED] * n, base, n

    def select(self, index: int) -> None:
        """Keep world ``index``."""
        self.worlds = [self._keep(index)]

    def _keep(self, index: int) -> Any:
        """World ``index``, as the only one left (an unused world is the fork's world)."""
        kept = self.worlds[index]
        if kept is UNCOPIED:  # unused: as the others are dropped, no copy is needed
            kept = self._base
        self._base, self._uncopied = None, 0
        return kept


#: Backend name -> ``"module:Class"``, imported at first use (the MCP bridge sits above
#: the runtime and needs the ``mcp`` extra). Fill it with :func:`register_backend`.
BACKENDS: dict[str, str] = {
    "inproc": "nexgym.runtime.backends:InProcessBackend",
    "mcp": "nexgym.mcp.backend:MCPBackend",
}


def register_backend(name: str, target: str) -> None:
    """Make ``make_backend(name, ...)`` build ``target`` (``"module:Class"``)."""
    if target.count(":") != 1:
        raise ConfigError(f"backend {name!r}: expected 'module:Class', got {target!r}")
    BACKENDS[name] = target


def make_backend(name: str, domain: Any, **options: Any) -> ToolBackend:
    """The tool backend called ``name``: "inproc", "mcp" (needs ``nexgym[mcp]``) or registered.

    ``options`` go to the backend (for "mcp": ``timeout``, ``start_timeout``, ``call_log``,
    ``max_result_bytes``); the in-process backend takes none.
    """
    if name not in BACKENDS:
        raise UnknownNameError("backend", name, sorted(BACKENDS))
    if name == "inproc" and options:
        raise ConfigError(
            f"the in-process backend takes no backend_options, got {sorted(options)}; "
            "use backend='mcp' or drop them"
        )
    module, _, class_name = BACKENDS[name].partition(":")
    cls: type[ToolBackend] = getattr(importlib.import_module(module), class_name)
    try:
        return cls(domain, **options)
    except TypeError as e:
        raise ConfigError(
            f"unknown backend_options for {name!r} ({e}); see the backend's documentation "
            "(mcp: timeout, start_timeout, call_log, max_result_bytes)"
        ) from None
