"""Batched evaluation of a local LM: every task and trial played, outcomes and summaries."""

from __future__ import annotations

import pytest

from nexgym.error import ConfigError
from nexgym.training.evaluation import EpisodeOutcome, evaluate_model, summarize

TASKS = [("nex/FileOps-v0", 3), ("nex/FileSolo-v0", 5)]


def test_every_task_and_trial_is_played_in_order(tiny):
    model, tokenizer = tiny
    outcomes = evaluate_model(
        model, tokenizer, TASKS, trials=2, temperature=1.0, max_new_tokens=6, max_turns=2
    )
    assert [(o.env_id, o.task_seed, o.trial) for o in outcomes] == [
        ("nex/FileOps-v0", 3, 0),
        ("nex/FileOps-v0", 3, 1),
        ("nex/FileSolo-v0", 5, 0),
        ("nex/FileSolo-v0", 5, 1),
    ]
    for outcome in outcomes:
        assert outcome.domain == "files"
        assert 1 <= outcome.turns <= 2 and 0 <= outcome.valid <= outcome.turns
        # Six random tokens are no tool call: the env reports invalid actions, no success.
        assert not outcome.success and outcome.valid == 0


def test_batches_do_not_change_greedy_outcomes(tiny):
    model, tokenizer = tiny
    kwargs = dict(max_new_tokens=6, max_turns=2)
    together = evaluate_model(model, tokenizer, TASKS, batch_size=8, **kwargs)
    apart = evaluate_model(model, tokenizer, TASKS, batch_size=1, **kwargs)
    assert [o.as_dict() for o in together] == [o.as_dict() for o in apart]


def test_bad_settings_are_config_errors(tiny):
    model, tokenizer = tiny
    with pytest.raises(ConfigError, match="trials, batch_size and max_turns"):
        evaluate_model(model, tokenizer, TASKS, trials=0)


def _outcome(env: str, seed: int, trial: int, success: bool, turns: int, valid: int):
    return EpisodeOutcome(env, seed, trial, "files", "tree", success, float(success), turns, valid)


def test_summary_counts_pass_k_over_tasks_and_groups():
    outcomes = [
        _outcome("a", 0, 0, True, 2, 2),
        _outcome("a", 0, 1, True, 3, 2),  # task (a, 0): both trials solved
        _outcome("a", 1, 0, True, 2, 1),
        _outcome("a", 1, 1, False, 5, 0),  # task (a, 1): one of two
    ]
    overall = summarize(outcomes)["all"]
    assert overall["tasks"] == 2 and overall["episodes"] == 4
    assert overall["success"] == pytest.approx(0.75)
    assert overall["pass_k"] == pytest.approx(0.5)
    assert overall["valid"] == pytest.approx(5 / 12)
    assert overall["turns"] == pytest.approx(3.0)
    by_env = summarize([o.as_dict() for o in outcomes], key="env_id")
    assert list(by_env) == ["a"] and by_env["a"]["pass_k"] == pytest.approx(0.5)
