"""Trajectories -> SFT examples -> TRL SFTTrainer; `nexgym train sft|grpo|tiny` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gymnasium as gym
import pytest

from nexgym.cli.main import main
from nexgym.error import ConfigError, UnknownNameError
from nexgym.training.data import (
    examples_from_records,
    load_sft_dataset,
    oracle_examples,
    read_examples,
    write_examples,
)
from nexgym.training.grpo import EpisodeRollouts, GRPOSettings, match_env_ids, task_prompts


@pytest.fixture(scope="module")
def trajectory_dir(tmp_path_factory) -> Path:
    """Oracle trajectories exported by `nexgym rollout --out DIR` (every role played)."""
    out = tmp_path_factory.mktemp("trajectories")
    code = main(
        [
            "rollout",
            "nex/FileOps-v0",
            "nex/FileSolo-v0",
            "--policy",
            "oracle",
            "--episodes",
            "3",
            "--control",
            "all",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


def _one_step_config(tmp_path: Path) -> Any:
    """An SFTConfig for one CPU step on the chats' assistant turns, saving nothing."""
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        per_device_train_batch_size=2,
        assistant_only_loss=True,
        max_length=2048,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )


def test_exported_trajectories_become_per_agent_examples(trajectory_dir):
    examples = read_examples(trajectory_dir)
    roles = {e["role"] for e in examples}
    assert {"lead", "reader", "editor", "engineer"} <= roles  # every agent, not only the root
    for example in examples:
        assert example["messages"][0]["role"] == "system"
        assert any(m["role"] == "assistant" for m in example["messages"])
        names = {t["function"]["name"] for t in json.loads(example["tools"])}
        assert "finish" in names
    only_lead = list(
        examples_from_records(
            (json.loads(line) for line in (trajectory_dir / "trajectories.jsonl").open()),
            roles=["lead"],
        )
    )
    assert only_lead and {e["role"] for e in only_lead} == {"lead"}


def test_exported_file_loads_straight_into_sft_trainer(trajectory_dir, tiny_dir, tmp_path):
    """The rollout file itself is an SFT dataset: its messages and tools columns."""
    from datasets import load_dataset
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    dataset = load_dataset(
        "json", data_files=str(trajectory_dir / "trajectories.jsonl"), split="train"
    ).select_columns(["messages", "tools"])
    config = _one_step_config(tmp_path)
    trainer = SFTTrainer(
        model=str(tiny_dir),
        args=config,
        train_dataset=dataset,
        processing_class=AutoTokenizer.from_pretrained(tiny_dir),
    )
    assert len(trainer.train_dataset) == 6
    trainer.train()
    assert trainer.state.global_step == 1


def test_examples_load_into_datasets_and_sft_trainer(trajectory_dir, tiny_dir, tmp_path):
    from transformers import AutoTokenizer
    from trl import SFTTrainer

    path = write_examples(read_examples(trajectory_dir), tmp_path / "examples.jsonl")
    dataset = load_sft_dataset(path)
    assert dataset.column_names == ["messages", "tools"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    config = _one_step_config(tmp_path)
    trainer = SFTTrainer(
        model=str(tiny_dir), args=config, train_dataset=dataset, processing_class=tokenizer
    )
    row = trainer.train_dataset[0]
    # Only the assistant's turns are trained, and they are the canonical tool-call texts.
    trained = [t for t, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
    text = tokenizer.decode(trained)
    assert text.startswith("<tool_call>") and text.endswith("<|im_end|>")
    assert "<tool_response>" not in text


def test_train_sft_cli_runs_and_the_result_plays(trajectory_dir, tiny_dir, tmp_path, capsys):
    from nexgym.policies import HFPolicy

    out = tmp_path / "sft"
    code = main(
        [
            "train",
            "sft",
            "--data",
            str(trajectory_dir),
            "--model",
            str(tiny_dir),
            "--out",
            str(out),
            "--max-steps",
            "2",
            "--batch-size",
            "2",
            "--max-length",
            "1024",  # the root's prompt lists what each sub-agent's tools are
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    assert "trained 2 steps" in capsys.readouterr().out
    summary = json.loads((out / "nexgym_sft.json").read_text())
    losses = [row["loss"] for row in summary["log"] if "loss" in row]
    assert len(losses) >= 1 and all(loss > 0 for loss in losses)
    env = gym.make("nex/FileOps-v0")
    policy = HFPolicy(env, str(out), max_new_tokens=8)
    obs, info = env.reset(seed=0)
    env.step(policy(obs, info))
    env.close()


def test_train_sft_turn_layout(tiny_examples, tiny_dir, tmp_path):
    from transformers import AutoTokenizer

    from nexgym.training.sft import turn_examples

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    rows = turn_examples(tiny_examples[:3], tokenizer, max_length=256)
    turns = sum(m["role"] == "assistant" for e in tiny_examples[:3] for m in e["messages"])
    assert len(rows) == turns
    for row in rows:
        assert row["prompt"].startswith("<|im_start|>system\n")  # trimming keeps it
        assert row["prompt"].endswith("<|im_start|>assistant\n")
        assert row["completion"].endswith("<|im_end|>")


def test_train_tiny_cli_builds_a_loadable_checkpoint(trajectory_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "tiny"
    assert (
        main(
            [
                "train",
                "tiny",
                "--data",
                str(trajectory_dir),
                "--out",
                str(out),
                "--vocab-size",
                "512",
                "--hidden-size",
                "32",
                "--layers",
                "1",
            ]
        )
        == 0
    )
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.vocab_size == len(tokenizer)
    assert "<tool_call>" in tokenizer.get_vocab()


def test_episode_rollouts_mask_observations_and_return_env_rewards(tiny):
    model, tokenizer = tiny
    settings = GRPOSettings(max_new_tokens=8, max_completion_tokens=400, max_turns=2)
    rollouts = EpisodeRollouts(settings, tokenizer)
    trainer = SimpleNamespace(model=model, accelerator=SimpleNamespace(unwrap_model=lambda m: m))
    prompts = task_prompts(["nex/FileOps-v0"], 1, seed=4) * 2
    out = rollouts(prompts, trainer)
    rollouts.close()
    assert len(out["completion_ids"]) == 2 and out["logprobs"] is None
    for ids, mask, ret in zip(
        out["completion_ids"], out["env_mask"], out["episode_return"], strict=True
    ):
        assert len(ids) == len(mask) <= 400
        env_part = tokenizer.decode([t for t, m in zip(ids, mask, strict=True) if m == 0])
        assert "Invalid action:" in env_part  # the env's feedback is in the sequence, masked
        assert "<|im_start|>assistant" in env_part
        assert ret == pytest.approx(-0.02 * 2)  # two invalid actions, no verdict
    # Both copies of a prompt play the same task (the GRPO group compares like with like).
    assert out["prompt_ids"][0] == out["prompt_ids"][1]


def test_train_grpo_cli_runs_one_step(tiny_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    out = tmp_path / "grpo"
    code = main(
        [
            "train",
            "grpo",
            "--envs",
            "nex/FileOps*",
            "--model",
            str(tiny_dir),
            "--out",
            str(out),
            "--steps",
            "1",
            "--num-generations",
            "2",
            "--batch-size",
            "2",
            "--max-new-tokens",
            "8",
            "--max-completion-tokens",
            "96",
            "--max-turns",
            "2",
            "--tasks-per-env",
            "2",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    summary = json.loads((out / "nexgym_grpo.json").read_text())
    assert summary["steps"] == 1 and summary["envs"] == ["nex/FileOps-v0"]
    assert any("reward" in row for row in summary["log"])
    assert (out / "config.json").is_file()
    assert "trained 1 steps" in capsys.readouterr().out


def test_bad_training_input_raises_config_errors(tmp_path, tiny_dir):
    from nexgym.training.sft import train_sft

    with pytest.raises(ConfigError, match="not found"):
        read_examples(tmp_path / "missing")
    (tmp_path / "bad.jsonl").write_text("{not json}\n")
    with pytest.raises(ConfigError, match="line 1"):
        read_examples(tmp_path / "bad.jsonl")
    with pytest.raises(ConfigError, match="checkpoint folder"):
        train_sft([{"messages": [], "tools": "[]"}], tmp_path, tmp_path / "o")
    with pytest.raises(UnknownNameError, match="env pattern"):
        match_env_ids("nex/NoSuchEnv*")
    with pytest.raises(ConfigError, match="roles"):
        oracle_examples("nex/FileOps-v0", episodes=1, roles="some")


def test_train_sft_turn_layout_trains_on_rendered_text(tiny_examples, tiny_dir, tmp_path):
    """The turns layout (any chat template) goes through SFTTrainer as prompt/completion text."""
    import math
    import shutil
    from pathlib import Path

    from nexgym.error import ConfigError
    from nexgym.training.sft import SFTSettings, train_sft

    settings = SFTSettings(max_steps=2, batch_size=2, max_length=64, layout="turns", device="cpu")
    settings.logging_steps = 1
    with pytest.raises(ConfigError, match="raise --max-length"):
        train_sft(tiny_examples[:2], tiny_dir, tmp_path / "short", settings)
    # SmolLM2's own template has no generation markers: "auto" picks the turns layout
    smol = tmp_path / "smol"
    shutil.copytree(tiny_dir, smol)
    template = Path(__file__).parent / "templates" / "smollm2.jinja"
    (smol / "chat_template.jinja").write_text(template.read_text())
    settings.max_length, settings.layout = 1536, "auto"
    out = train_sft(tiny_examples[:2], smol, tmp_path / "turns", settings)
    summary = json.loads((out / "nexgym_sft.json").read_text())
    assert summary["layout"] == "turns" and summary["steps"] == 2
    losses = [row["loss"] for row in summary["log"] if "loss" in row]
    assert losses and all(math.isfinite(loss) and loss > 0 for loss in losses)
