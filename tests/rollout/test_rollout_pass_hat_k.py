"""The pass^k column of ``nexgym rollout``: tasks repeated with --trials, k named in the cell."""

from __future__ import annotations

import pytest

from nexgym.catalog import load_catalog_spec
from nexgym.cli.main import main
from nexgym.grounding.trajectories import read_records
from nexgym.metrics import pass_hat_k
from nexgym.rollout import rollout, summarize
from nexgym.session import stream_task_seed, task_salt


def _row(out: str, policy: str) -> list[str]:
    return next(
        line.split() for line in out.splitlines() if line.startswith("nex/") and policy in line
    )


def test_trials_repeat_each_task_with_fresh_episode_seeds() -> None:
    records = list(rollout(["nex/FileOps-v0"], ["random"], 6, seed=10, trials=3))
    # the env's tasks 10 and 11 (its own stream), three trials each
    first, second = (stream_task_seed(task_salt(load_catalog_spec("FileOps")), k) for k in (10, 11))
    assert [r.task_seed for r in records] == [first] * 3 + [second] * 3
    assert [r.seed for r in records] == list(range(10, 16))
    (row,) = summarize(records)
    trials = {first: [r.success for r in records[:3]], second: [r.success for r in records[3:]]}
    assert row.k == 3 and row.pass_k == pytest.approx(pass_hat_k(trials, 3))


def test_the_table_shows_pass_hat_k_with_its_k(tmp_path, capsys) -> None:
    argv = ["rollout", "nex/FileOps-v0", "--policy", "oracle,random", "--episodes", "8"]
    assert main([*argv, "--trials", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pass^k" in out.splitlines()[0]
    oracle, random = _row(out, "oracle"), _row(out, "random")
    assert oracle[4:6] == ["100%", "(k=4)"] and random[5] == "(k=4)"
    trials: dict[int | None, list[bool]] = {}
    for record in read_records(tmp_path):
        if record.policy == "random":
            trials.setdefault(record.task_seed, []).append(record.success)
    assert random[4] == f"{pass_hat_k(trials, 4):.0%}"


def test_one_episode_per_task_is_pass_hat_1(capsys) -> None:
    assert main(["rollout", "nex/FileOps-v0", "--policy", "random", "--episodes", "5"]) == 0
    row = _row(capsys.readouterr().out, "random")
    assert row[5] == "(k=1)" and row[4] == row[3]  # pass^1 is the success rate


def test_bad_trials_name_the_fix(capsys) -> None:
    assert main(["rollout", "nex/FileOps-v0", "--episodes", "2", "--trials", "0"]) == 2
    assert "--trials >= 1" in capsys.readouterr().err
