"""Text spaces over all of Unicode, their shared-memory form, and a sanitiser for observations.

Observations keep the text as the tools return it and actions may hold any text JSON
can carry, so the charset is every Unicode scalar value: every code point except the
surrogates U+D800..U+DFFF, which no UTF-8 text (and so no tokenizer, file or MCP
message) can hold. :class:`UnicodeText` is a :class:`gymnasium.spaces.Text` over that
charset that never materialises its 1.1 million characters: membership, indices and
sampling are arithmetic on code points.

Gymnasium's async vector envs move observations through shared memory with
``create_shared_memory`` / ``write_to_shared_memory`` / ``read_from_shared_memory``,
which dispatch on the space type; the handlers registered here store each text as its
length and its code points, and read them back through a live view
(:class:`SharedTexts`), so ``AsyncVectorEnv`` (built by ``gym.make_vec`` or by hand)
returns the same observations with or without shared memory.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterator, Sequence, Set
from typing import Any, overload

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import shared_memory as gym_shared_memory
from numpy.typing import NDArray

from nexgym.error import ConfigError

__all__ = [
    "CHARSET",
    "MAX_ACTION_CHARS",
    "MAX_OBSERVATION_CHARS",
    "SCALAR_COUNT",
    "SharedTexts",
    "UnicodeScalars",
    "UnicodeText",
    "in_charset",
    "text_space",
    "to_charset",
]

MAX_OBSERVATION_CHARS = 32_768
MAX_ACTION_CHARS = 65_536
_SURROGATE_FIRST, _SURROGATE_LAST = 0xD800, 0xDFFF
_SURROGATES = _SURROGATE_LAST - _SURROGATE_FIRST + 1
#: Number of Unicode scalar values (code points that are not surrogates).
SCALAR_COUNT = 0x110000 - _SURROGATES
_SURROGATE = re.compile("[\ud800-\udfff]")


def _code_point(index: int) -> int:
    return index + _SURROGATES if index >= _SURROGATE_FIRST else index


class UnicodeScalars(Set[str]):
    """The set of every one-character string whose code point is not a surrogate.

    It answers ``in`` and ``len`` without holding its 1,112,064 members.
    """

    def __contains__(self, char: object) -> bool:
        return (
            isinstance(char, str)
            and len(char) == 1
            and not _SURROGATE_FIRST <= ord(char) <= _SURROGATE_LAST
        )

    def __len__(self) -> int:
        return SCALAR_COUNT

    def __iter__(self) -> Iterator[str]:
        return (chr(_code_point(i)) for i in range(SCALAR_COUNT))

    def __eq__(self, other: object) -> bool:
        # Set.__eq__ would compare member by member: a million lookups
        if isinstance(other, UnicodeScalars):
            return True
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(UnicodeScalars)

    def __repr__(self) -> str:
        return "UnicodeScalars()"


class _ScalarList(Sequence[str]):
    """The scalar values in code-point order, indexed without being built."""

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(SCALAR_COUNT))]
        position = int(index) + (SCALAR_COUNT if index < 0 else 0)
        if not 0 <= position < SCALAR_COUNT:
            raise IndexError(f"expected an index in [0, {SCALAR_COUNT}), got {index}")
        return chr(_code_point(position))

    def __len__(self) -> int:
        return SCALAR_COUNT


_SCALARS = UnicodeScalars()
_SCALAR_LIST = _ScalarList()
#: The charset of every nexgym text space: all Unicode scalar values.
CHARSET: Set[str] = _SCALARS


class UnicodeText(spaces.Text):
    r"""A :class:`gymnasium.spaces.Text` whose charset is every Unicode scalar value.

    Character indices (used by ``flatten`` and by sample masks) are code points with
    the surrogate block skipped. ``sample()`` draws a uniform length, then uniform
    scalar values, as ``Text.sample`` does.

    Args:
        max_length: the longest text, in characters.
        min_length: the shortest text.
        seed: seed of the space's sampler.

    Example:
        >>> space = UnicodeText(64)
        >>> space.contains("für Zoë ✓"), space.contains("\ud800")
        (True, False)
    """

    def __init__(
        self, max_length: int, *, min_length: int = 0, seed: int | np.random.Generator | None = None
    ) -> None:
        # Text builds its tables from `charset`; the properties below replace them.
        super().__init__(max_length, min_length=min_length, charset="", seed=seed)

    def sample(
        self,
        mask: tuple[int | None, NDArray[np.int8] | None] | None = None,
        probability: tuple[int | None, NDArray[np.float64] | None] | None = None,
    ) -> str:
        """A random text; ``mask`` and ``probability`` work as in ``Text.sample``."""
        if mask is not None and probability is not None:
            raise ValueError("expected at most one of mask and probability, got both")
        length: int | None = None
        weights: NDArray[np.float64] | None = None
        if mask is not None or probability is not None:
            kind, expected = ("mask", np.int8) if mask is not None else ("probability", np.float64)
            given = mask if mask is not None else probability
            assert given is not None  # narrowed above; for the type checker
            length, char_weights = self._validate_mask(given, np.dtype(expected), kind)
            if char_weights is not None:
                total = float(np.sum(char_weights))
                if total == 0:
                    if self.min_length == 0:
                        return ""
                    raise ValueError(f"expected a {kind} allowing some character, got all zero")
                weights = np.asarray(char_weights, dtype=np.float64) / total
        if length is None:
            length = int(self.np_random.integers(self.min_length, self.max_length + 1))
        if weights is None:
            indices = self.np_random.integers(SCALAR_COUNT, size=length)
        else:
            indices = self.np_random.choice(SCALAR_COUNT, size=length, p=weights)
        codes = indices + np.where(indices >= _SURROGATE_FIRST, _SURROGATES, 0)
        return codes.astype("<u4").tobytes().decode("utf-32-le")

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is a string of allowed length with no surrogate code point."""
        return (
            isinstance(x, str)
            and self.min_length <= len(x) <= self.max_length
            and (x.isascii() or _SURROGATE.search(x) is None)
        )

    def __repr__(self) -> str:
        """Gives a string representation of this space."""
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: Any) -> bool:
        """Whether ``other`` is a Unicode text space with the same length bounds."""
        return (
            isinstance(other, UnicodeText)
            and self.min_length == other.min_length
            and self.max_length == other.max_length
        )

    def __hash__(self) -> int:
        return hash((UnicodeText, self.min_length, self.max_length))

    @property
    def character_set(self) -> frozenset[str]:
        """Every Unicode scalar value (a set-like view, not a real frozenset)."""
        return _SCALARS  # type: ignore[return-value]  # duck-typed: building it costs 100 MB

    @property
    def character_list(self) -> tuple[str, ...]:
        """The scalar values in code-point order (a sequence-like view)."""
        return _SCALAR_LIST  # type: ignore[return-value]  # duck-typed, as character_set

    def character_index(self, char: str) -> np.int32:
        """The index of ``char`` in :attr:`character_list`."""
        if char not in _SCALARS:
            raise KeyError(f"expected one Unicode scalar value, got {char!r}")
        code = ord(char)
        return np.int32(code - _SURROGATES if code > _SURROGATE_LAST else code)

    @property
    def characters(self) -> str:
        """Every character of the charset as one string (4 MB; built on each call)."""
        return "".join(_SCALAR_LIST[i] for i in range(SCALAR_COUNT))


def text_space(max_length: int) -> UnicodeText:
    """A :class:`UnicodeText` of at most ``max_length`` characters (empty allowed)."""
    return UnicodeText(max_length, min_length=0)


def in_charset(text: str, max_length: int = MAX_OBSERVATION_CHARS) -> bool:
    """Whether :func:`to_charset` would return ``text`` unchanged (O(1) for ASCII text)."""
    return len(text) <= max_length and (text.isascii() or _SURROGATE.search(text) is None)


def to_charset(text: str, max_length: int = MAX_OBSERVATION_CHARS) -> str:
    """Make ``text`` a member of :func:`text_space` (``max_length``), changing it only if needed.

    A lone surrogate (which only a broken decoder produces) becomes U+FFFD, the
    replacement character; text longer than ``max_length`` is cut with a marker saying
    how much was left out. Everything else is kept as it is.
    """
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if len(text) > max_length:
        marker = f"\n[... {len(text) - max_length} characters cut]"
        text = text[: max_length - len(marker)] + marker
    return text


# -- shared memory for async vector envs ----------------------------------------------
# Each sub-env's slot holds the text's length, then its code points (int32 each).


@gym_shared_memory.create_shared_memory.register(UnicodeText)
def _create_unicode_shared_memory(
    space: UnicodeText, n: int = 1, ctx: Any = multiprocessing
) -> Any:
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1))


@gym_shared_memory.write_to_shared_memory.register(UnicodeText)
def _write_unicode_to_shared_memory(
    space: UnicodeText, index: int, values: str, shared_memory: Any
) -> None:
    if not space.contains(values):
        raise ConfigError(
            f"expected a text in {space!r} to share with the vector env, got "
            f"{type(values).__name__} of length {len(values) if isinstance(values, str) else '?'}"
        )
    slot = space.max_length + 1
    row = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)[index * slot : (index + 1) * slot]
    codes = np.frombuffer(values.encode("utf-32-le"), dtype="<u4")
    row[0] = len(codes)
    row[1 : 1 + len(codes)] = codes


class SharedTexts(Sequence[str]):
    """The texts in a shared buffer, read when used: what ``read_from_shared_memory`` gives.

    ``AsyncVectorEnv`` reads its shared buffer once, when built, and relies on the
    result being a view of it (as numpy arrays are); a tuple of strings cannot be one,
    so this view decodes the buffer on each use. A deep copy (what ``AsyncVectorEnv``
    returns by default, ``copy=True``) is the plain tuple of the current texts; with
    ``copy=False`` the view itself is returned and later steps change what it reads.
    """

    def __init__(self, space: UnicodeText, shared_memory: Any, n: int) -> None:
        self._space = space
        self._rows = np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape(
            n, space.max_length + 1
        )

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        row = self._rows[index]
        return row[1 : 1 + int(row[0])].astype("<u4").tobytes().decode("utf-32-le")

    def __len__(self) -> int:
        return len(self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SharedTexts | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a mutable view, unhashable as a list

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedTexts({tuple(self)!r})"


@gym_shared_memory.read_from_shared_memory.register(UnicodeText)
def _read_unicode_from_shared_memory(
    space: UnicodeText, shared_memory: Any, n: int = 1
) -> SharedTexts:
    return SharedTexts(space, shared_memory, n)
