"""A small sample of the fault benchmark (``benchmarks/faults.py --preset ci``).

Hostile actions through every view of one env per domain, malformed JSON-RPC to
``nexgym serve-mcp``, and kill -9 of ``nexgym rollout --out`` then ``--resume``. The
benchmark runs in its own process (it caps its address space, so an action asking for
unbounded memory meets a MemoryError there, not here). Known defects that other work
fixes are marked ``xfail`` (not strict) with the issue that tracks them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.mcp]  # about 40 s here; it starts serve-mcp
BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "faults.py"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("faults") / "results.json"
    command = [sys.executable, str(BENCHMARK), "--preset", "ci", "--no-write", "--json", str(out)]
    run = subprocess.run(
        [*command, "--parts", "hostile,serve,rollout"], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(out.read_text())


def test_hostile_actions_never_escape_step_or_the_sandbox(results: dict[str, Any]) -> None:
    hostile = results["hostile"]
    assert hostile["domains"] == hostile["envs"] == 15
    assert hostile["views_played"] == 60 and hostile["actions"] >= 200
    assert set(hostile["by_kind"]) >= {"huge", "deep_json", "invalid_utf8", "hostile_arguments"}
    plain_views = {v: n for v, n in hostile["exceptions_by_view"].items() if v != "recorded"}
    assert plain_views == {"gym": 0, "aec": 0, "parallel": 0}, hostile["examples"]
    for figure in (
        "hangs",
        "observation_outside_space",
        "invariants_broken",
        "host_changes",
        "temp_left_after_close",
    ):
        assert hostile[figure] == 0, (figure, hostile["examples"])


@pytest.mark.xfail(reason="issue 19 (1): RecordTrajectories raises on surrogates", strict=False)
def test_recorded_view_never_raises(results: dict[str, Any]) -> None:
    hostile = results["hostile"]
    assert hostile["exceptions_by_view"]["recorded"] == 0, hostile["examples"]


def test_serve_mcp_stays_up_and_keeps_the_host(results: dict[str, Any]) -> None:
    serve = results["serve"]
    assert serve["crashes"] == 0 and serve["alive_at_end"] == serve["rounds"] == 1
    assert serve["host_leaks"] == 0 and serve["host_files_written"] == 0
    assert serve["answered_ok"] == 0, serve["examples"]


@pytest.mark.xfail(reason="issue 20 (6): serve-mcp drops some malformed requests", strict=False)
def test_serve_mcp_answers_every_request(results: dict[str, Any]) -> None:
    assert results["serve"]["unanswered"] == 0, results["serve"]["examples"]


def test_rollout_killed_and_resumed_loses_nothing(results: dict[str, Any]) -> None:
    rollout = results["rollout"]
    assert rollout["kills"] >= 1 and rollout["resume_exit_status"] == 0
    assert rollout["complete"] and rollout["records"] == rollout["episodes"]
    assert rollout["torn_accepted"] == rollout["duplicates"] == rollout["lost"] == 0
    assert rollout["orphans_after_kill"] == 0


@pytest.mark.xfail(reason="issue 20 (7): resume keys ignore --seed", strict=False)
def test_resume_with_other_settings_is_not_silently_skipped(results: dict[str, Any]) -> None:
    assert not results["rollout"]["resume_other_seed_silently_skipped"]
