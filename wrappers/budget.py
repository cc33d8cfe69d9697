"""The old home of :mod:`nexgym.wrappers.noise.budget`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.noise.budget import (
    ToolBudget,
)

__all__ = [
    "ToolBudget",
]
