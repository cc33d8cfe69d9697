"""The old home of :mod:`nexgym.wrappers.noise.observation_noise`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.noise.observation_noise import (
    DISTRACTOR_LINES,
    MIN_TRUNCATE_CHARS,
    TRUNCATION_MARK,
    ObservationNoise,
)

__all__ = [
    "DISTRACTOR_LINES",
    "MIN_TRUNCATE_CHARS",
    "TRUNCATION_MARK",
    "ObservationNoise",
]
