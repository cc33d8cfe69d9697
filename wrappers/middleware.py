"""The old home of :mod:`nexgym.wrappers.noise.middleware`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.noise.middleware import (
    ToolCallWrapper,
    end_after_step,
)

__all__ = [
    "ToolCallWrapper",
    "end_after_step",
]
