"""The old home of :mod:`nexgym.wrappers.noise.faults`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.noise.faults import (
    DEFAULT_TIMEOUT_SECONDS,
    TRANSIENT_ERROR,
    ToolFaults,
    goal_alternatives,
    task_routes,
)

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "TRANSIENT_ERROR",
    "ToolFaults",
    "goal_alternatives",
    "task_routes",
]
