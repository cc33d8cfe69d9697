"""The old home of :mod:`nexgym.wrappers.spaces.numeric_roles`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.spaces.numeric_roles import (
    FEATURE_CACHE,
    NumericRoles,
)

__all__ = [
    "FEATURE_CACHE",
    "NumericRoles",
]
