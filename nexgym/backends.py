"""Where tool calls run: in-process (the default) or, in :mod:`nexgym.mcp`, over MCP.

A backend owns the episode's world(s). The runtime generates the task locally (it
needs the instruction and the oracle plans) and tells the backend to load the same
task by seed; every domain tool call then goes through :meth:`ToolBackend.call`, and
verification reads the world through :meth:`ToolBackend.verify`.

Worlds are indexed so that parallel topologies can give each agent its own sandbox
(:meth:`fork`) and keep the winner's (:meth:`select`).
"""

from __future__ import annotations

from typing import Any

from nexgym.envs.domains.base import Domain, Task, Verdict
from nexgym.error import ToolError
from nexgym.tools import ToolCall, ToolResult

__all__ = ["InProcessBackend", "ToolBackend"]


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

    def fork(self, n: int) -> None:
        """Replace the worlds by ``n`` copies of world 0."""
        raise NotImplementedError

    def select(self, index: int) -> None:
        """Keep only world ``index`` (it becomes world 0)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release processes and resources; idempotent."""


class InProcessBackend(ToolBackend):
    """Calls the domain's tool functions directly on worlds held in memory."""

    name = "inproc"

    def __init__(self, domain: Domain) -> None:
        super().__init__(domain)
        self.worlds: list[Any] = []

    def reset(self, task: Task) -> None:
        """Take the task's world as world 0 (tasks are generated fresh for each episode)."""
        self.worlds = [task.world]

    def call(self, call: ToolCall, world: int = 0) -> ToolResult:
        """Run the tool; a :class:`ToolError` becomes an error result."""
        tool = self.domain.tool(call.name)
        try:
            return ToolResult(ok=True, content=tool.fn(self.worlds[world], **call.arguments))
        except ToolError as e:
            return ToolResult.failure(str(e))
        except Exception as e:  # a tool bug must not escape step(); report it plainly
            return ToolResult.failure(f"internal error in {call.name}: {type(e).__name__}: {e}")

    def verify(self, task: Task, answer: str | None, world: int = 0) -> Verdict:
        """Run the task's checks on the world."""
        return task.verify(self.worlds[world], answer)

    def check_invariants(self, world: int = 0) -> list[str]:
        """The domain's invariants on the world."""
        return self.domain.check_invariants(self.worlds[world])

    def fork(self, n: int) -> None:
        """Give each of ``n`` parallel agents its own copy of world 0."""
        base = self.worlds[0]
        self.worlds = [base] + [self.domain.copy_world(base) for _ in range(n - 1)]

    def select(self, index: int) -> None:
        """Keep world ``index``."""
        self.worlds = [self.worlds[index]]
