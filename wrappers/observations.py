"""The old home of :mod:`nexgym.wrappers.spaces.observations`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.spaces.observations import (
    MAX_HASHED_CHARS,
    SCALARS,
    TURN_SCALE,
    HashedObservation,
    Tokenizer,
    TokenObservation,
    hash_features,
)

__all__ = [
    "MAX_HASHED_CHARS",
    "SCALARS",
    "TURN_SCALE",
    "HashedObservation",
    "TokenObservation",
    "Tokenizer",
    "hash_features",
]
