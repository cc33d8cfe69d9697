"""The agent runtime (after NexAU): a hierarchy executed as a turn-based process over roles.

It knows nothing of Gymnasium or PettingZoo. Its modules, bottom up:

* :mod:`~nexgym.runtime.trace`: spans (agent, sub-agent, tool) on a virtual clock.
* :mod:`~nexgym.runtime.parsing`: action text to a tool call (four accepted forms).
* :mod:`~nexgym.runtime.prompts`: system prompts and the texts of invalid actions.
* :mod:`~nexgym.runtime.backends`: where domain tools run (the ``ToolBackend`` protocol;
  in-process by default, an MCP server with ``backend="mcp"``).
* :mod:`~nexgym.runtime.execution`: one tool call through the middleware chain.
* :mod:`~nexgym.runtime.frames`, :mod:`~nexgym.runtime.menus`,
  :mod:`~nexgym.runtime.messaging`, :mod:`~nexgym.runtime.callstack`: agent frames,
  what each role may call, messages between workers, the call stack.
* :mod:`~nexgym.runtime.executor`: :class:`Runtime`, which ties them together.
* :mod:`~nexgym.runtime.view`: :class:`RuntimeView`, the typed read-only face of a
  runtime that policies and wrappers read (:func:`runtime_view`), and
  :class:`RuntimeControl`, the noise sources' hooks (:func:`runtime_control`).
"""

from __future__ import annotations

from nexgym.runtime.executor import (
    MAX_RESULT_CHARS,
    TIME_LIMITS,
    ActOutcome,
    EpisodeOver,
    Frame,
    MessageRecord,
    Middleware,
    Runtime,
    ToolRecord,
)
from nexgym.runtime.view import RuntimeControl, RuntimeView, runtime_control, runtime_view

__all__ = [
    "MAX_RESULT_CHARS",
    "TIME_LIMITS",
    "ActOutcome",
    "EpisodeOver",
    "Frame",
    "MessageRecord",
    "Middleware",
    "Runtime",
    "RuntimeControl",
    "RuntimeView",
    "ToolRecord",
    "runtime_control",
    "runtime_view",
]
