"""The old home of :mod:`nexgym.wrappers.spaces.discrete`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.spaces.discrete import (
    EARLIER_RESULTS,
    MAX_ANSWER_CHARS,
    MAX_REPORT_CHARS,
    MIN_ACTIONS,
    DiscreteActions,
    admissible_actions,
    answer_candidates,
    as_index,
)

__all__ = [
    "EARLIER_RESULTS",
    "MAX_ANSWER_CHARS",
    "MAX_REPORT_CHARS",
    "MIN_ACTIONS",
    "DiscreteActions",
    "admissible_actions",
    "answer_candidates",
    "as_index",
]
