"""Seeded draws for task generation, as plain Python values from numpy's generator.

Every domain draws its tasks from ``np.random.default_rng(seed)`` (:func:`numpy_rng`),
so a seed gives the same task in every process, an MCP server's included. The helpers
below make the draws task generators need and hand back plain Python values (``int``,
``float``, the sequence's own items), never numpy scalars that would leak into tool
arguments and JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

__all__ = [
    "integer",
    "integer_array",
    "integer_rows",
    "numpy_rng",
    "pick",
    "real",
    "sample",
    "uniform",
]

T = TypeVar("T")


def numpy_rng(seed: int) -> np.random.Generator:
    """The generator a domain draws one task from: ``np.random.default_rng(seed)``."""
    return np.random.default_rng(seed)


def integer(rng: np.random.Generator, low: int, high: int) -> int:
    """An int in ``[low, high)``."""
    return int(rng.integers(low, high))


def real(rng: np.random.Generator) -> float:
    """A float in ``[0, 1)``."""
    return float(rng.random())


def uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """A float in ``[low, high)``."""
    return float(rng.uniform(low, high))


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """One item of a sequence."""
    return items[int(rng.integers(len(items)))]


def sample(rng: np.random.Generator, items: Sequence[T], k: int) -> list[T]:
    """``k`` distinct items of a sequence in draw order (all of them if there are fewer)."""
    n = len(items)
    return [items[i] for i in rng.choice(n, size=min(k, n), replace=False).tolist()]


def integer_array(
    rng: np.random.Generator, low: Sequence[int], high: Sequence[int], rows: int
) -> np.ndarray:
    """A ``(rows, len(low))`` int array, column ``j`` in ``[low[j], high[j])``."""
    return rng.integers(np.asarray(low), np.asarray(high), size=(rows, len(low)))


def integer_rows(
    rng: np.random.Generator, low: Sequence[int], high: Sequence[int], rows: int
) -> list[list[int]]:
    """:func:`integer_array`'s draws as plain Python lists, one per row."""
    rows_drawn: list[list[int]] = integer_array(rng, low, high, rows).tolist()
    return rows_drawn
