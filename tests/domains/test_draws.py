"""The seeded draws (``draws``): NumpyRng and NumpyDraws must draw what numpy draws."""

from __future__ import annotations

import random

import numpy as np
import pytest
from nexgym.envs.domains import draws
from nexgym.envs.domains.draws import (
    FastRng,
    NumpyDraws,
    NumpyRng,
    integer,
    integer_rows,
    numpy_rng,
    pick,
    real,
    sample,
    uniform,
)

pytestmark = pytest.mark.skipif(not draws._EXACT, reason="this numpy draws differently")


def _mixed_draws(rng: np.random.Generator, plan: random.Random, ours: bool) -> list[object]:
    """300 draws of every kind in an order ``plan`` decides (the same for both sides)."""
    out: list[object] = []
    for _ in range(300):
        kind = plan.random()
        if kind < 0.35:
            n = plan.choice((1, 2, 3, 7, 12, 100, 999, 3 << 30, 1 << 32))
            out.append(integer(rng, 5, 5 + n) if ours else int(rng.integers(5, 5 + n)))
        elif kind < 0.5:
            out.append(real(rng) if ours else float(rng.random()))
        elif kind < 0.65:
            out.append(uniform(rng, 0.8, 1.3) if ours else float(rng.uniform(0.8, 1.3)))
        elif kind < 0.85:
            n = plan.randint(1, 60)
            k = plan.randint(0, n)
            out.append(
                sample(rng, range(n), k) if ours else rng.choice(n, k, replace=False).tolist()
            )
        elif kind < 0.95:
            items = tuple(range(plan.randint(1, 30)))
            out.append(pick(rng, items) if ours else items[int(rng.integers(len(items)))])
        else:
            n = plan.randint(1, 20)
            out.append(rng.permutation(n).tolist())
    return out


@pytest.mark.parametrize("seed", [0, 1, 7, 12345, 2**40 + 3])
def test_numpy_rng_draws_what_default_rng_draws(seed: int) -> None:
    ours = numpy_rng(seed)
    assert type(ours) is NumpyRng
    expected = _mixed_draws(np.random.default_rng(seed), random.Random(seed), ours=False)
    assert _mixed_draws(ours, random.Random(seed), ours=True) == expected


def test_numpy_rng_reads_past_its_block() -> None:
    """More words than one block holds, floats landing on both halves of an output."""
    ours, numpy = NumpyRng(3), np.random.default_rng(3)
    for i in range(5 * draws._BLOCK):
        if i % 3 == 0:
            assert real(ours) == float(numpy.random())
        assert integer(ours, 0, 10) == int(numpy.integers(0, 10))


def test_numpy_draws_hand_the_generator_back_as_numpy_leaves_it() -> None:
    """Draws on a caller's generator, then native draws: the same as numpy's alone."""
    for seed in range(20):
        mine, numpy = np.random.default_rng(seed), np.random.default_rng(seed)
        handed = NumpyDraws(mine)
        got = [handed.integer(0, 13), handed.pick("abcdef"), handed.sample(range(40), 3)]
        handed.close()
        got += [int(mine.integers(0, 99)), float(mine.random())]
        expected = [int(numpy.integers(0, 13)), "abcdef"[int(numpy.integers(6))]]
        expected += [numpy.choice(40, 3, replace=False).tolist()]
        expected += [int(numpy.integers(0, 99)), float(numpy.random())]
        assert got == expected


def test_fast_rng_is_reproducible_and_in_bounds() -> None:
    a, b = FastRng(11), FastRng(11)
    draws_a = [integer(a, 3, 9), pick(a, "xyz"), sample(a, range(50), 6), real(a)]
    draws_b = [integer(b, 3, 9), pick(b, "xyz"), sample(b, range(50), 6), real(b)]
    assert draws_a == draws_b
    assert 3 <= draws_a[0] < 9 and len(set(draws_a[2])) == 6  # type: ignore[arg-type,operator]
    rows = integer_rows(a, (0, 10, -5), (1, 20, 5), 500)
    assert len(rows) == 500
    for column, (low, high) in enumerate(((0, 1), (10, 20), (-5, 5))):
        values = {row[column] for row in rows}
        assert min(values) >= low and max(values) < high
        assert len(values) == high - low  # 500 draws reach every value of these ranges


def test_sample_takes_everything_when_asked_for_more() -> None:
    assert sorted(sample(NumpyRng(1), "abc", 10)) == ["a", "b", "c"]
    assert sorted(sample(FastRng(1), "abc", 10)) == ["a", "b", "c"]


def test_fast_rng_inlined_draws_are_pythons_randbelow() -> None:
    """FastRng's integer, pick and sample inline ``Random._randbelow``: same draws."""
    assert draws._INLINE
    plan = random.Random(0)
    for seed in range(30):
        ours, reference = FastRng(seed), random.Random(seed)
        for _ in range(200):
            n = plan.choice((1, 2, 3, 7, 20, 335, 1000, 2**31 - 1))
            k = plan.randint(0, min(n, 32))
            if plan.random() < 0.5:
                assert integer(ours, 10, 10 + n) == 10 + reference._randbelow(n)  # type: ignore[attr-defined]
            else:
                expected = draws._py_sample_reference(reference, range(n), k)
                assert sample(ours, range(n), k) == expected
