"""The seeded draws: plain Python values, the same for the same seed, in bounds."""

from __future__ import annotations

from nexgym.envs.domains.kit.draws import (
    integer,
    integer_rows,
    numpy_rng,
    pick,
    real,
    sample,
    uniform,
)


def _draws(seed: int) -> list[object]:
    rng = numpy_rng(seed)
    items = ["a", "b", "c", "d", "e"]
    return [
        integer(rng, 3, 9),
        real(rng),
        uniform(rng, 0.8, 1.3),
        pick(rng, items),
        sample(rng, items, 3),
        integer_rows(rng, [0, 10], [5, 20], 4),
    ]


def test_same_seed_same_draws_and_plain_values():
    first, again, other = _draws(7), _draws(7), _draws(8)
    assert first == again
    assert first != other
    n, x, u, item, chosen, rows = first
    assert type(n) is int and 3 <= n < 9
    assert type(x) is float and 0.0 <= x < 1.0
    assert type(u) is float and 0.8 <= u < 1.3
    assert item in "abcde"
    assert len(set(chosen)) == 3
    assert all(type(v) is int for row in rows for v in row)
    assert all(0 <= a < 5 and 10 <= b < 20 for a, b in rows)


def test_sample_takes_everything_when_asked_for_more():
    assert sorted(sample(numpy_rng(1), range(4), 10)) == [0, 1, 2, 3]
