"""How a domain declares that its tools live in an external (third-party) MCP server.

Most domains hold their world in memory and nexgym serves their tools itself
(:mod:`nexgym.mcp.server`). Some domains act on the host instead (a real git
repository in a temporary folder, a loopback web site, the real clock) and their
tools are served by a third-party MCP server run as it is, e.g. ``mcp-server-git``.
Such a domain defines ``tool_server()`` returning a :class:`ToolServer`;
``MCPBackend`` then keeps the world on the client side (reset, verify and forks go
through the domain) and sends every tool call to that server, translating each call
with :meth:`ToolServer.to_server` and each result text with
:meth:`ToolServer.from_server` (e.g. to add the repository path the server needs
and to hide the temporary folder's name from the agent).

It belongs to the domain layer and imports nothing from the ``mcp`` SDK or the MCP bridge.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nexgym.tools import ToolCall

__all__ = ["ToolServer", "complete_plans", "python_module_command", "tool_server_of"]


def _same_call(call: ToolCall, world: Any) -> ToolCall:
    return call


def _same_text(text: str, world: Any) -> str:
    return text


@dataclass(frozen=True)
class ToolServer:
    """An external MCP server that serves a domain's tools over stdio.

    Attributes:
        name: a short name for logs (``"mcp-server-git"``).
        command: the program to run.
        args: its arguments.
        env: extra environment variables for the server process.
        to_server: ``(call, world) -> call`` as the server expects it (e.g. with the
            repository path added); it may raise :class:`~nexgym.error.ToolError` to
            refuse the call, which the agent then sees as the tool's error.
        from_server: ``(text, world) -> text`` as the agent should see it.
        max_children: for a server whose child processes pile up (``mcp-server-git``'s
            ``git cat-file`` processes), the most processes it may have running under it
            (its watchdog included); at a reset past that, the backend starts a fresh
            server (it holds no state). None: no limit.
    """

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    to_server: Callable[[ToolCall, Any], ToolCall] = _same_call
    from_server: Callable[[str, Any], str] = _same_text
    max_children: int | None = None


def python_module_command(module: str, *args: str) -> tuple[str, tuple[str, ...]]:
    """``(command, args)`` that run ``python -m module args`` with this interpreter.

    Running a server's module with the current interpreter finds it in the same
    environment as nexgym, whether or not its console script is on ``PATH``.
    """
    return sys.executable, ("-m", module, *args)


def complete_plans(domain: Any, goal: Any) -> Any:
    """The goal with every plan step's arguments filled in with the tools' defaults.

    The runtime records calls with validated arguments (defaults included), and the
    oracle compares plan steps with those records, so plans that mirror a
    third-party tool's optional arguments must spell them out.
    """
    goal.plans = tuple(
        tuple(ToolCall(c.name, domain.tool(c.name).validate(c.arguments)) for c in plan)
        for plan in goal.plans
    )
    return goal


def tool_server_of(domain: Any) -> ToolServer | None:
    """The domain's external tool server, or None when nexgym serves its tools itself."""
    method = getattr(domain, "tool_server", None)
    return method() if callable(method) else None
