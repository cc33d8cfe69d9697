"""The old home of :mod:`nexgym.wrappers.noise.latency`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.noise.latency import (
    Latency,
    load_profile,
)

__all__ = [
    "Latency",
    "load_profile",
]
