"""pass^k (tau-bench's reliability) against values worked out by hand."""

from __future__ import annotations

import pytest

from nexgym.error import ConfigError
from nexgym.metrics import EpisodeRecord, pass_hat_k, task_trials

T, F = True, False


def test_pass_hat_1_is_the_success_rate() -> None:
    trials = {"a": [T, F, T, T], "b": [F, F, T, F]}
    assert pass_hat_k(trials, 1) == pytest.approx(4 / 8)


@pytest.mark.parametrize(
    ("trials", "k", "expected"),
    [
        # a: C(3,2)/C(3,2) = 1; b: C(2,2)/C(3,2) = 1/3
        ({"a": [T, T, T], "b": [T, F, T]}, 2, (1 + 1 / 3) / 2),
        # a: 1; b: C(2,3) = 0
        ({"a": [T, T, T], "b": [T, F, T]}, 3, 0.5),
        # one task, 3 of 5: C(3,2)/C(5,2) = 3/10
        ({"x": [T, F, T, F, T]}, 2, 0.3),
        # 4 of 5: C(4,4)/C(5,4) = 1/5
        ({"x": [T, T, F, T, T]}, 4, 0.2),
        # always solved, never solved
        ({"x": [T] * 4, "y": [F] * 4}, 4, 0.5),
    ],
)
def test_hand_computed_values(trials: dict[str, list[bool]], k: int, expected: float) -> None:
    assert pass_hat_k(trials, k) == pytest.approx(expected)


def test_k_defaults_to_the_fewest_trials_and_pass_hat_k_falls_with_k() -> None:
    trials = {"a": [T, T, F, T, T], "b": [T, F, T]}
    assert pass_hat_k(trials) == pass_hat_k(trials, 3)
    values = [pass_hat_k(trials, k) for k in (1, 2, 3)]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]


def test_bad_input_names_the_fix() -> None:
    with pytest.raises(ConfigError, match="at least one task"):
        pass_hat_k({})
    with pytest.raises(ConfigError, match="k >= 1"):
        pass_hat_k({"a": [T]}, 0)
    with pytest.raises(ConfigError, match="k=3 trials of every task, got 2 of task 'b'"):
        pass_hat_k({"a": [T, T, T], "b": [T, T]}, 3)


def test_task_trials_groups_records_by_task() -> None:
    records = [
        EpisodeRecord("single", task, success, 1.0 if success else 0.0, 3, 0)
        for task, success in [("t1", T), ("t2", F), ("t1", F), ("t2", F), ("t1", T)]
    ]
    trials = task_trials(records)
    assert trials == {"t1": [T, F, T], "t2": [F, F]}
    # t1: C(2,2)/C(3,2) = 1/3; t2: 0
    assert pass_hat_k(trials, 2) == pytest.approx(1 / 6)
