"""Shared fixtures: a tiny from-scratch checkpoint (tokenizer trained on env text), built once."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("trl")

#: Envs the tiny tokenizer learns its text from (the hand-written catalog examples).
TOKENIZER_ENVS = ("nex/FileOps-v0", "nex/FileSolo-v0", "nex/FileDeepTree-v0")


@pytest.fixture(scope="session")
def tiny_examples() -> list[dict]:
    from nexgym.training.data import oracle_examples

    out: list[dict] = []
    for env_id in TOKENIZER_ENVS:
        out += oracle_examples(env_id, episodes=4, seed=100, control="all")
    return out


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory, tiny_examples: list[dict]) -> Path:
    """A saved tiny checkpoint: 2 layers, width 64, ~1k-token byte-level BPE vocabulary."""
    from nexgym.training.tiny import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny"), tiny_examples, vocab_size=1024)


@pytest.fixture(scope="session")
def tiny(tiny_dir: Path):
    """The tiny model and tokenizer, loaded back through ``from_pretrained``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_dir), AutoTokenizer.from_pretrained(tiny_dir)
