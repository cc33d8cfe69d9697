"""Seeded draws for task generation: fast, and the same on every run and process.

Two generators serve the domains' ``rng``:

* :class:`NumpyRng` (:func:`numpy_rng`) draws exactly what ``np.random.default_rng(seed)``
  would (``integers``, ``choice(replace=False)``, ``random``, ``uniform``,
  ``permutation``), made in Python from the bit generator's raw outputs: numpy's own
  scalar draws cost microseconds each, and a task draws dozens.
* :class:`FastRng` (:func:`fast_rng`) pairs numpy's generator (bulk draws) with
  Python's Mersenne Twister (scalars); its tasks differ from ``default_rng``'s.

:func:`integer`, :func:`pick`, :func:`sample`, :func:`real` and :func:`uniform` draw
from any of them (numpy's own calls for a plain generator); :class:`NumpyDraws` makes
numpy's draws on a generator a caller handed over. Whether this numpy and this Python
draw as reproduced here is checked at import, with numpy's and Python's own calls as
the fallback.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Sequence
from functools import partial
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "FastRng",
    "NumpyDraws",
    "NumpyRng",
    "fast_rng",
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


class FastRng(np.random.Generator):
    """numpy's generator for ``seed`` (bulk draws), plus Python's Mersenne Twister for scalars.

    A scalar ``Generator.integers`` costs microseconds and ``choice(..., replace=False)``
    over ten; :func:`pick`, :func:`sample` and :func:`integer` draw from ``py`` instead,
    several times faster. Both streams are seeded from ``seed`` alone, so a seed gives
    the same task in every process. Its tasks differ from ``default_rng(seed)``'s.
    """

    __slots__ = ("bits", "py")

    def __init__(self, seed: int) -> None:
        super().__init__(np.random.PCG64(seed))
        self.py = random.Random(seed)
        #: ``py.getrandbits``: the draws below are Python's ``_randbelow`` inlined
        self.bits: Callable[[int], int] = self.py.getrandbits


def fast_rng(seed: int) -> np.random.Generator:
    """A :class:`FastRng` (domains whose generators draw many scalars use it as ``rng``)."""
    return FastRng(seed)


# numpy's own draws, made in Python from PCG64's raw stream. numpy splits each 64-bit
# output into two 32-bit words (low first; the high one waits in the bit generator's
# state for the next word drawn), bounds words by Lemire's method, samples without
# replacement by Floyd's algorithm then a shuffle, and permutes by masked rejection.
# ``next32`` below is a function returning those words in numpy's order.
Words = Callable[[], int]


def _below(next32: Words, n: int) -> int:
    """``int(integers(n))`` from the words, for ``1 <= n <= 2**32`` (Lemire's method)."""
    if n <= 1:
        if n == 1:  # numpy draws nothing for a range of one
            return 0
        raise ValueError(f"expected 1 to 2**32 values to draw from, got {n}")
    m = next32() * n
    return m >> 32 if m & 0xFFFFFFFF >= n else _redraw(next32, m, n)


def _redraw(next32: Words, m: int, n: int) -> int:
    """The rare end of Lemire's method: redraw while the low word is under 2**32 % n."""
    if n > 1 << 32:  # numpy bounds 64-bit words then
        raise ValueError(f"expected 1 to 2**32 values to draw from, got {n}")
    threshold = 0x100000000 % n
    while m & 0xFFFFFFFF < threshold:
        m = next32() * n
    return m >> 32


def _distinct(next32: Words, n: int, k: int) -> list[int]:
    """``choice(n, k, replace=False).tolist()`` from the words, for ``k <= n < 2**32``."""
    if n > 10000 and k > n // 50:  # numpy shuffles the tail of range(n) instead
        pool = list(range(n))
        for i in range(n - 1, max(n - k, 1) - 1, -1):
            j = _below(next32, i + 1)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[n - k :]
    # _below inlined in both loops: this runs for every sample of every task
    out = [0] if k == n > 0 else []  # Floyd's first value below 1 costs no draw
    for j in range(max(n - k + 1, 2), n + 1):  # Floyd's algorithm
        m = next32() * j
        value = m >> 32 if m & 0xFFFFFFFF >= j else _redraw(next32, m, j)
        out.append(j - 1 if value in out else value)
    for i in range(k, 1, -1):  # then numpy's shuffle of the chosen
        m = next32() * i
        at = m >> 32 if m & 0xFFFFFFFF >= i else _redraw(next32, m, i)
        out[i - 1], out[at] = out[at], out[i - 1]
    return out


def _order(next32: Words, n: int) -> list[int]:
    """``permutation(n).tolist()`` from the words (a shuffle by masked rejection)."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        mask = (1 << i.bit_length()) - 1
        j = next32() & mask
        while j > i:
            j = next32() & mask
        order[i], order[j] = order[j], order[i]
    return order


#: Raw 64-bit outputs a :class:`NumpyRng` reads from its bit generator at a time.
_BLOCK = 64


def _fill(bitgen: np.random.BitGenerator) -> list[int]:
    """The next raw outputs, last first (they are taken with ``pop``)."""
    raws: list[int] = bitgen.random_raw(_BLOCK).tolist()
    raws.reverse()
    return raws


def _words(bitgen: np.random.BitGenerator) -> Generator[int, bool | None, None]:
    """The words of a fresh bit generator in numpy's order, read :data:`_BLOCK` outputs ahead.

    ``next()`` gives the next 32-bit word (numpy's ``next_uint32``); ``send(True)`` the
    next whole 64-bit output (``next_uint64``, what float draws take), leaving a word
    that waits where it is. Prime it with one ``next()`` before use.
    """
    raws: list[int] = []
    wants64 = yield 0  # the priming call
    while True:
        while wants64:
            wants64 = yield (raws or (raws := _fill(bitgen))).pop()
        raw = (raws or (raws := _fill(bitgen))).pop()
        wants64 = yield raw & 0xFFFFFFFF  # the high half now waits
        while wants64:
            wants64 = yield (raws or (raws := _fill(bitgen))).pop()
        wants64 = yield raw >> 32


class NumpyRng(np.random.Generator):
    """``np.random.default_rng(seed)`` whose small scalar draws are made in Python.

    numpy's scalar ``integers`` costs microseconds a call and a small ``choice`` over
    ten, while some generators draw dozens per task. :func:`integer`, :func:`pick`,
    :func:`sample`, :func:`real`, :func:`uniform` and :meth:`permutation` draw from
    the bit generator's outputs read in blocks (``next32`` gives the next 32-bit word,
    ``next64`` the next whole output), exactly what ``integers``, ``choice(replace=False)``,
    ``random``, ``uniform`` and ``permutation`` of ``default_rng(seed)`` would. Other
    methods draw past the block read ahead: draw only through those.
    """

    __slots__ = ("next32", "next64")

    def __init__(self, seed: int) -> None:
        super().__init__(np.random.PCG64(seed))
        words = _words(self.bit_generator)
        next(words)
        self.next32: Words = words.__next__
        self.next64: Words = partial(words.send, True)

    def permutation(self, x: Any, axis: int = 0) -> np.ndarray:
        """``Generator.permutation`` of an int or along an axis of an array."""
        if isinstance(x, int | np.integer):
            return np.array(_order(self.next32, int(x)), dtype=np.int64)
        arr = np.asarray(x)
        return np.take(arr, self.permutation(arr.shape[axis]), axis=axis)


def numpy_rng(seed: int) -> np.random.Generator:
    """``np.random.default_rng(seed)``, as a :class:`NumpyRng` where that draws the same."""
    return NumpyRng(seed) if _EXACT else np.random.default_rng(seed)


def integer(rng: np.random.Generator, low: int, high: int) -> int:
    """An int in ``[low, high)``, like ``int(rng.integers(low, high))``."""
    if type(rng) is NumpyRng:
        return low + _below(rng.next32, high - low)
    if type(rng) is FastRng:
        n = high - low
        if n < 1 or not _INLINE:
            return low + rng.py._randbelow(n)  # type: ignore[attr-defined]
        bits, width = rng.bits, n.bit_length()  # Python's _randbelow, inlined
        r = bits(width)
        while r >= n:
            r = bits(width)
        return low + r
    return int(rng.integers(low, high))


#: numpy's ``next_double``: the top 53 bits of an output, scaled to [0, 1).
_DOUBLE = 1.0 / 9007199254740992.0


def real(rng: np.random.Generator) -> float:
    """A float in ``[0, 1)``, like ``float(rng.random())``."""
    if type(rng) is NumpyRng:
        return (rng.next64() >> 11) * _DOUBLE
    return float(rng.random())


def uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """A float in ``[low, high)``, like ``float(rng.uniform(low, high))``."""
    if type(rng) is NumpyRng:
        return low + (high - low) * ((rng.next64() >> 11) * _DOUBLE)
    return float(rng.uniform(low, high))


def integer_array(
    rng: np.random.Generator, low: Sequence[int], high: Sequence[int], rows: int
) -> np.ndarray:
    """A ``(rows, len(low))`` int array, column ``j`` in ``[low[j], high[j])``.

    Scaled uniform floats: ``Generator.integers`` with per-column bounds is twice as slow.
    """
    lo, span = np.asarray(low), np.asarray(high) - np.asarray(low)
    drawn = (rng.random((rows, len(lo))) * span).astype(np.int64)
    return np.minimum(drawn, span - 1) + lo


def integer_rows(
    rng: np.random.Generator, low: Sequence[int], high: Sequence[int], rows: int
) -> list[list[int]]:
    """:func:`integer_array`'s draws as plain Python lists, one per row."""
    return integer_array(rng, low, high, rows).tolist()


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """One item of a sequence, drawn with ``rng`` (a plain Python value, not numpy's)."""
    if type(rng) is NumpyRng:
        return items[_below(rng.next32, len(items))]
    if type(rng) is FastRng:
        return items[integer(rng, 0, len(items))]
    return items[int(rng.integers(len(items)))]


#: The largest sample a :class:`FastRng` draws with Python's generator.
_PY_SAMPLE = 32


def sample(rng: np.random.Generator, items: Sequence[T], k: int) -> list[T]:
    """``k`` distinct items of a sequence in draw order (all of them if there are fewer)."""
    n = len(items)
    k = min(k, n)
    if type(rng) is NumpyRng:
        return [items[i] for i in _distinct(rng.next32, n, k)]
    if type(rng) is FastRng and k <= _PY_SAMPLE:
        return _py_sample(rng, items, k)
    return [items[i] for i in rng.choice(n, size=k, replace=False).tolist()]


def _py_sample(rng: FastRng, items: Sequence[T], k: int) -> list[T]:
    """``k <= len(items)`` distinct items drawn with Python's generator."""
    n = len(items)
    if not _INLINE:
        return _py_sample_reference(rng.py, items, k)
    bits = rng.bits  # Python's _randbelow inlined in both loops
    if 3 * k > n:  # partial Fisher-Yates shuffle
        pool = list(items)
        for j in range(k):
            m = n - j
            width = m.bit_length()
            r = bits(width)
            while r >= m:
                r = bits(width)
            i = j + r
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]
    seen: set[int] = set()
    out: list[T] = []
    width = n.bit_length()
    while len(out) < k:
        i = bits(width)
        while i >= n:
            i = bits(width)
        if i not in seen:
            seen.add(i)
            out.append(items[i])
    return out


def _py_sample_reference(py: random.Random, items: Sequence[T], k: int) -> list[T]:
    """:func:`_py_sample` through ``random.Random._randbelow`` itself."""
    below, n = py._randbelow, len(items)  # type: ignore[attr-defined]
    if 3 * k > n:
        pool = list(range(n))
        for j in range(k):
            i = j + below(n - j)
            pool[i], pool[j] = pool[j], pool[i]
        return [items[i] for i in pool[:k]]
    seen: set[int] = set()
    out: list[T] = []
    while len(out) < k:
        i = below(n)
        if i not in seen:
            seen.add(i)
            out.append(items[i])
    return out


def _inline_agrees() -> bool:
    """Whether this Python's ``Random._randbelow`` is what :func:`integer` inlines."""
    ours, python = random.Random(5), random.Random(5)
    bits = ours.getrandbits
    for n in (*range(1, 70), 1000, 2**31 - 1, 2**32, 10**12):
        for _ in range(3):
            width = n.bit_length()
            r = bits(width)
            while r >= n:
                r = bits(width)
            if r != python._randbelow(n):  # type: ignore[attr-defined]
                return False
    return True


#: Whether FastRng's draws may inline Python's ``_randbelow``.
_INLINE = _inline_agrees()


class NumpyDraws:
    """The draws numpy would make on a generator one did not create, from its raw stream.

    For a generator handed over by a caller (a composite domain's, say) that draws
    natively before and after: words are read one output at a time, and :meth:`close`
    hands a word still waiting back to the bit generator, as numpy's own draws would
    leave it. :meth:`integer` draws as ``int(rng.integers(low, high))`` (numpy's
    stream even on a :class:`FastRng`); :meth:`pick` and :meth:`sample` as
    :func:`pick` and :func:`sample`. Other bit generators, or a numpy that draws
    differently (checked at import), get numpy's own calls.
    """

    def __init__(self, rng: np.random.Generator, exact: bool | None = None) -> None:
        self.rng, bits = rng, rng.bit_generator
        self.exact = (_EXACT if exact is None else exact) and type(bits) is np.random.PCG64
        self.raw = bits.random_raw
        self.kept: int | None = None  # the word waiting for the next draw
        self.given: int | None = None  # the word ``rng``'s state holds
        self.next32: Words = self._word
        if type(rng) is NumpyRng:  # its words are read ahead already: take the next
            self.next32 = rng.next32
        elif self.exact:
            state = bits.state
            self.given = self.kept = state["uinteger"] if state["has_uint32"] else None

    def _word(self) -> int:
        """The next word, as numpy's ``next_uint32`` gives it."""
        kept = self.kept
        if kept is not None:
            self.kept = None
            return kept
        raw: int = self.raw()
        self.kept = raw >> 32
        return raw & 0xFFFFFFFF

    def integer(self, low: int, high: int) -> int:
        """An int in ``[low, high)``, as ``int(rng.integers(low, high))`` (at most 2**32 apart)."""
        if not self.exact:
            return int(self.rng.integers(low, high))
        return low + _below(self.next32, high - low)

    def pick(self, items: Sequence[T]) -> T:
        """One item, as ``pick(rng, items)``."""
        if type(self.rng) is FastRng or not self.exact:
            return pick(self.rng, items)
        return items[_below(self.next32, len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """Distinct items in draw order, as ``sample(rng, items, k)``."""
        n, k = len(items), min(k, len(items))
        if not self.exact or (type(self.rng) is FastRng and k <= _PY_SAMPLE):
            return sample(self.rng, items, k)
        return [items[i] for i in _distinct(self.next32, n, k)]

    def close(self) -> None:
        """Leave ``rng`` as numpy's own draws would have: the waiting word goes back to it."""
        if self.kept != self.given:
            bits = self.rng.bit_generator
            state = dict(bits.state)
            state["has_uint32"], state["uinteger"] = (0, 0) if self.kept is None else (1, self.kept)
            bits.state = state
            self.given = self.kept


def _agrees() -> bool:
    """Whether :class:`NumpyRng` and :class:`NumpyDraws` draw what this numpy draws."""
    spans = (1, 2, 3, 12, 44, 780, 3 << 30, (1 << 31) + 1, 1 << 32) * 3  # some redraw often
    sizes = ((12, 4), (5, 5), (750, 5), (20000, 5), (20000, 500))  # the last: a tail shuffle
    numpy = np.random.default_rng(7)
    expected: list[Any] = [int(numpy.integers(n)) for n in spans]
    expected += [numpy.choice(n, k, replace=False).tolist() for n, k in sizes]
    expected += [numpy.permutation(9).tolist(), int(numpy.integers(5))]
    # floats take whole outputs; with a word waiting (odd) and without (even)
    expected += [float(numpy.random()), int(numpy.integers(3)), float(numpy.uniform(0.8, 1.3))]
    expected += [float(numpy.random()), int(numpy.integers(3)), int(numpy.integers(3))]
    ours = NumpyRng(7)
    fast: list[Any] = [integer(ours, 0, n) for n in spans]
    fast += [sample(ours, range(n), k) for n, k in sizes]
    fast += [ours.permutation(9).tolist(), integer(ours, 0, 5)]
    fast += [real(ours), integer(ours, 0, 3), uniform(ours, 0.8, 1.3)]
    fast += [real(ours), integer(ours, 0, 3), integer(ours, 0, 3)]
    draws = NumpyDraws(np.random.default_rng(7), exact=True)
    handed: list[Any] = [draws.integer(0, n) for n in spans]
    handed += [draws.sample(range(n), k) for n, k in sizes]
    draws.close()  # a word is waiting here: the native draws below take it
    handed += [draws.rng.permutation(9).tolist(), int(draws.rng.integers(5))]
    handed += [float(draws.rng.random()), int(draws.rng.integers(3))]
    handed += [float(draws.rng.uniform(0.8, 1.3)), float(draws.rng.random())]
    handed += [int(draws.rng.integers(3)), int(draws.rng.integers(3))]
    return fast == expected == handed


#: Whether :class:`NumpyRng` and :class:`NumpyDraws` may draw by themselves.
_EXACT = _agrees()
