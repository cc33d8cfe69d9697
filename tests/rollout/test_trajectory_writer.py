from __future__ import annotations

import json

import gymnasium as gym
import pytest
from nexgym.wrappers import RecordTrajectories

import nexgym  # noqa: F401  (registers the catalog)
from nexgym.error import ConfigError
from nexgym.grounding.trajectories import (
    SKIPPED_FILE,
    TRAJECTORIES_FILE,
    EpisodeRecord,
    TrajectoryWriter,
    export_parquet,
    keep_only_successful,
    read_records,
)
from nexgym.policies import OraclePolicy, RandomPolicy
from nexgym.rollout import rollout, run_episode

ROLES = {"system", "user", "assistant", "tool"}


@pytest.fixture(scope="module")
def records() -> list[EpisodeRecord]:
    return list(rollout(["nex/FileOps-v0"], ["oracle", "random"], 4, seed=10))


def test_record_holds_transcripts_spans_timings_and_outcome(records):
    oracle = [r for r in records if r.policy == "oracle"]
    assert [r.episode for r in oracle] == [0, 1, 2, 3]
    assert [r.seed for r in oracle] == [10, 11, 12, 13]
    for record in oracle:
        assert record.success and record.reward == pytest.approx(1.0)
        assert record.key == f"nex/FileOps-v0|oracle|{record.episode}"
        roles = [t.role for t in record.transcripts]
        assert roles[0] == "lead" and len(roles) >= 2  # the root and the sub-agents it called
        assert record.messages == record.transcripts[0].messages
        assert {s.kind for s in record.spans} >= {"agent", "subagent", "tool"}
        assert record.turns >= record.steps >= 2
        assert record.wall_seconds > 0 and record.stop_reason == "finished"
        assert record.noise.name == "none" and record.noise.wrappers == []
    # the random policy plays the same tasks (same seeds) and fails some
    random = [r for r in records if r.policy == "random"]
    assert [r.task_seed for r in random] == [r.task_seed for r in oracle]
    assert not all(r.success for r in random)


def test_messages_and_tools_are_in_the_openai_tool_calling_form(records):
    for record in records:
        for transcript in record.transcripts:
            messages = transcript.messages
            assert messages[0]["role"] == "system" and messages[1]["role"] == "user"
            call_ids = set()
            for m in messages:
                assert m["role"] in ROLES and isinstance(m["content"], str)
                for call in m.get("tool_calls", []):
                    assert call["type"] == "function"
                    json.loads(call["function"]["arguments"])
                    call_ids.add(call["id"])
                if m["role"] == "tool":
                    assert m["tool_call_id"] in call_ids
            tools = json.loads(transcript.tools)
            names = {t["function"]["name"] for t in tools}
            assert "finish" in names
            assert all(t["type"] == "function" and "parameters" in t["function"] for t in tools)


def test_writer_round_trip_only_success_and_no_overwrite(tmp_path, records):
    with TrajectoryWriter(tmp_path, only_success=True) as writer:
        for record in records:
            writer.write(record)
        with pytest.raises(ConfigError, match="already written"):
            writer.write(records[0])
    solved = [r for r in records if r.success]
    assert writer.written == len(solved) and writer.skipped == len(records) - len(solved)
    assert [r.key for r in read_records(tmp_path)] == [r.key for r in solved]
    skipped = (tmp_path / SKIPPED_FILE).read_text().splitlines()
    assert len(skipped) == writer.skipped
    with pytest.raises(ConfigError, match="--resume"):
        TrajectoryWriter(tmp_path)
    resumed = TrajectoryWriter(tmp_path, resume=True)
    assert resumed.done == {r.key for r in records}  # written and skipped alike
    resumed.close()
    assert list(keep_only_successful(records)) == solved


def test_resume_cuts_a_torn_last_line(tmp_path, records):
    path = tmp_path / TRAJECTORIES_FILE
    with TrajectoryWriter(tmp_path) as writer:
        writer.write(records[0])
        writer.write(records[1])
    whole = path.read_bytes()
    torn = records[2].model_dump_json().encode()[:500]
    path.write_bytes(whole + torn)  # what a kill inside a write leaves
    assert [r.key for r in read_records(path)] == [records[0].key, records[1].key]
    with TrajectoryWriter(tmp_path, resume=True) as writer:
        assert path.read_bytes() == whole
        assert records[2].key not in writer and records[1].key in writer
        writer.write(records[2])
    assert len(path.read_text().splitlines()) == 3


def test_parquet_export_and_datasets_load(tmp_path, records):
    datasets = pytest.importorskip("datasets")
    with TrajectoryWriter(tmp_path) as writer:
        for record in records:
            writer.write(record)
    jsonl = tmp_path / TRAJECTORIES_FILE
    parquet = export_parquet(tmp_path, only_success=True)
    from_json = datasets.load_dataset("json", data_files=str(jsonl), split="train")
    from_parquet = datasets.load_dataset("parquet", data_files=str(parquet), split="train")
    assert from_json.num_rows == len(records)
    assert from_parquet.num_rows == sum(r.success for r in records)
    assert set(from_json.column_names) == set(EpisodeRecord.model_fields)
    # the SFT columns: a list of {role, content, tool_calls?} dicts and the tool schemas
    for row in (from_json[0], from_parquet[0]):
        assert [m["role"] for m in row["messages"][:2]] == ["system", "user"]
        calls = [m for m in row["messages"] if m.get("tool_calls")]
        assert calls and calls[0]["tool_calls"][0]["function"]["name"]
        assert {t["function"]["name"] for t in json.loads(row["tools"])} >= {"finish"}
    # what TRL's is_conversational checks (importing trl would cost the suite seconds)
    assert all({"role", "content"} <= set(m) for m in from_json[0]["messages"])


def test_record_trajectories_wrapper(tmp_path):
    env = RecordTrajectories(gym.make("nex/FileSolo-v0"), tmp_path, policy="oracle")
    policy = OraclePolicy(env)
    for seed in (0, 1):
        obs, info = env.reset(seed=seed)
        while True:
            obs, _, terminated, truncated, info = env.step(policy(obs, info))
            if terminated or truncated:
                break
        assert info["record_key"] == f"nex/FileSolo-v0|oracle|{seed}"
    env.close()
    written = list(read_records(tmp_path))
    assert [r.seed for r in written] == [0, 1] and all(r.success for r in written)
    direct = run_episode(gym.make("nex/FileSolo-v0"), RandomPolicy(env), 0, policy_name="random")
    assert direct.key == "nex/FileSolo-v0|random|0"


LONE = "\udc80"  # a lone low surrogate, as a byte-level decoder can emit
HIGH = "\ud83d"  # a lone high surrogate


def test_lone_surrogates_in_actions_are_recorded_as_replacement_characters(tmp_path):
    env = RecordTrajectories(gym.make("nex/FileSolo-v0"), tmp_path, policy="model")
    env.reset(seed=0)
    env.step(f"not a tool call {HIGH}")  # an invalid action, echoed in the transcript
    env.step('<tool_call>{"name": "list_dir", "arguments": {"path": "/x\\udc80"}}</tool_call>')
    answer = f"done {LONE} and a pair \\ud83d\\ude00"  # raw, then escaped in the JSON
    _, _, terminated, truncated, info = env.step(
        f'<tool_call>{{"name": "finish", "arguments": {{"answer": "{answer}"}}}}</tool_call>'
    )
    assert terminated or truncated
    assert info["record_key"] == "nex/FileSolo-v0|model|0"
    env.close()
    (record,) = read_records(tmp_path)
    text = json.dumps(record.model_dump(), ensure_ascii=False)
    assert all(not 0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert {"role": "assistant", "content": "not a tool call \ufffd"} in record.messages
    # tool-call arguments are JSON text with ASCII escapes: the surrogate stays escaped
    (finish,) = [m for m in record.messages if m.get("tool_calls")][-1]["tool_calls"]
    assert json.loads(finish["function"]["arguments"])["answer"] == "done \udc80 and a pair 😀"
    pytest.importorskip("pyarrow")
    parquet = export_parquet(tmp_path)
    import pyarrow.parquet as pq

    (row,) = pq.read_table(parquet).to_pylist()
    assert row["key"] == record.key and "\ufffd" in json.dumps(row, ensure_ascii=False)


def test_writer_stores_any_record_text(tmp_path, records):
    hostile = records[0].model_copy(
        update={"key": f"k{LONE}", "policy": HIGH, "messages": [{"role": "user", "content": LONE}]}
    )
    with TrajectoryWriter(tmp_path) as writer:
        assert writer.write(hostile)
    (back,) = read_records(tmp_path)
    assert back.key == "k\ufffd" and back.policy == "\ufffd"
    assert back.messages == [{"role": "user", "content": "\ufffd"}]
    assert back.transcripts == records[0].transcripts  # the rest as it was
