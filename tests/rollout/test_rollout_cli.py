from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nexgym
from nexgym.cli.main import main
from nexgym.cli.rollout import select_envs
from nexgym.grounding.trajectories import TRAJECTORIES_FILE, read_records


def _table_rows(text: str) -> list[list[str]]:
    lines = text.strip().splitlines()
    header = lines.index(next(line for line in lines if line.startswith("env ")))
    return [line.split() for line in lines[header + 2 :] if line.startswith("nex/")]


def test_readme_invocation_compares_policies_in_one_table(capsys):
    # the README runs --envs 'nex/*'; the whole catalog is too slow for a unit test, so
    # check that the pattern selects it all and run the same flags on part of it
    assert select_envs([], ["nex/*"]) == nexgym.list_envs()
    code = main(["rollout", "--envs", "nex/File*", "--policy", "oracle,random", "--episodes", "3"])
    out = capsys.readouterr().out
    assert code == 0
    header = out.strip().splitlines()[0].split()
    assert header[:2] == ["env", "policy"] and "success" in header and "eps/s" in header
    rows = _table_rows(out)
    assert len(rows) == 2 * len([e for e in nexgym.list_envs() if e.startswith("nex/File")])
    for row in rows:
        assert row[1] in ("oracle", "random") and row[2] == "3"
        if row[1] == "oracle":
            assert row[3] == "100%"


def test_noise_robust_oracle_and_only_success(tmp_path, capsys):
    out_dir = tmp_path / "run"
    argv = ["rollout", "nex/FileOps-v0", "FileSolo", "--policy", "robust-oracle,random"]
    argv += ["--episodes", "4", "--noise", "realistic", "--out", str(out_dir), "--only-success"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    records = list(read_records(out_dir))
    assert records and all(r.success for r in records)
    assert all(r.noise.name == "realistic" for r in records)
    assert any("ToolFaults" in w for w in records[0].noise.wrappers)
    assert all(r.virtual_seconds > 0 for r in records)
    assert "unsolved left out" in out
    robust = [row for row in _table_rows(out) if row[1] == "robust-oracle"]
    assert [row[3] for row in robust] == ["100%", "100%"]


def test_bad_arguments_name_the_fix(capsys):
    assert main(["rollout", "--envs", "nex/Nothing*", "--episodes", "1"]) == 2
    assert "matching none" in capsys.readouterr().err
    assert main(["rollout", "nex/FileOps-v0", "--policy", "orcale"]) == 2
    assert "Did you mean 'oracle'" in capsys.readouterr().err
    assert main(["rollout", "nex/FileOps-v0", "--resume"]) == 2
    assert "--out" in capsys.readouterr().err


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "nexgym.cli.main", "rollout", *args]


def test_kill_minus_9_leaves_no_torn_record_and_resume_adds_no_duplicates(tmp_path):
    out_dir = tmp_path / "run"
    path = out_dir / TRAJECTORIES_FILE
    episodes = 150
    argv = _cli("nex/FileOps-v0", "--episodes", str(episodes), "--out", str(out_dir), "--quiet")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if path.exists() and path.read_bytes().count(b"\n") >= 20:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1].decode().splitlines()
    assert 20 <= len(complete) < episodes
    for line in complete:  # every line the run finished is a whole record
        json.loads(line)
    # at most an unterminated tail can be torn; readers never yield it
    assert [r.key for r in read_records(path)] == [json.loads(line)["key"] for line in complete]

    argv = _cli("nex/FileOps-v0", "--episodes", str(episodes), "--out", str(out_dir))
    done = subprocess.run(
        [*argv, "--resume", "--quiet"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(complete)} done before (resumed)" in done.stdout
    text = path.read_text()
    assert text.endswith("\n")
    keys = [json.loads(line)["key"] for line in text.splitlines()]
    assert len(keys) == len(set(keys)) == episodes
    assert sorted(int(k.rsplit("|", 1)[1]) for k in keys) == list(range(episodes))


def test_parquet_format_writes_both_files(tmp_path, capsys):
    argv = ["rollout", "nex/FileSolo-v0", "--episodes", "3", "--out", str(tmp_path)]
    assert main([*argv, "--format", "parquet"]) == 0
    assert "Parquet:" in capsys.readouterr().out
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(Path(tmp_path) / "trajectories.parquet")
    assert table.num_rows == 3 and "transcripts" in table.column_names


def test_worker_processes_write_the_same_episodes(tmp_path, capsys):
    argv = ["rollout", "nex/FileSolo-v0", "nex/FileOps-v0", "--episodes", "3", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "one")]) == 0
    assert main([*argv, "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    capsys.readouterr()

    def summary(name: str) -> list[tuple[str, int | None, bool, int]]:
        return [(r.key, r.task_seed, r.success, r.turns) for r in read_records(tmp_path / name)]

    assert summary("one") == summary("two")


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        (["--seed", "5"], "--seed 0 (got 5)"),
        (["--difficulty", "2"], "--difficulty 1 (got 2)"),
        (["--noise", "realistic"], "--noise none (got realistic)"),
        (["--tools", "mcp"], "--tools inproc (got mcp)"),
        (["--control", "all"], "--control root (got all)"),
        (["--max-turns", "7"], "--max-turns None (got 7)"),
    ],
    ids=["seed", "difficulty", "noise", "tools", "control", "max-turns"],
)
def test_resume_with_other_settings_is_refused(tmp_path, capsys, changed, named):
    argv = ["rollout", "nex/FileSolo-v0", "--episodes", "2", "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    before = (tmp_path / TRAJECTORIES_FILE).read_bytes()
    capsys.readouterr()
    assert main([*argv, "--episodes", "3", "--resume", *changed]) == 2
    err = capsys.readouterr().err
    assert named in err and "resume with those settings" in err
    assert (tmp_path / TRAJECTORIES_FILE).read_bytes() == before  # nothing played
    assert main([*argv, "--episodes", "3", "--resume"]) == 0  # the same settings: one more
    assert len(list(read_records(tmp_path))) == 3


def test_resume_of_a_run_without_settings_file_checks_its_records(tmp_path, capsys):
    argv = ["rollout", "nex/FileSolo-v0", "--episodes", "2", "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    (tmp_path / "run.json").unlink()  # as a run written before the file existed
    assert main([*argv, "--resume", "--seed", "3"]) == 2
    assert "--seed 0 (got 3)" in capsys.readouterr().err
    assert main([*argv, "--resume", "--episodes", "3"]) == 0
    assert (tmp_path / "run.json").exists()
