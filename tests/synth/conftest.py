"""A tiny causal language model for the synthesizer tests, built here (nothing is downloaded).

The ``tiny_model_saver`` fixture hands out :func:`save_tiny_model`, which trains a
byte-level BPE tokenizer on a corpus and saves it next to a one-layer GPT-2 initialised
at random, so a synthesizer loads both through ``from_pretrained``. The model is
untrained: it writes garbage unless a grammar holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest


def save_tiny_model(folder: Path, corpus: Sequence[str]) -> Path:
    """Save a tokenizer trained on ``corpus`` and a random one-layer GPT-2 to ``folder``."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    pytest.importorskip("tokenizers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(corpus, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    fast.save_pretrained(folder)
    torch.manual_seed(0)  # the weights only; the synthesizer itself draws no randomness
    config = transformers.GPT2Config(
        vocab_size=len(fast),
        n_layer=1,
        n_head=2,
        n_embd=32,
        n_positions=4096,
        bos_token_id=fast.eos_token_id,
        eos_token_id=fast.eos_token_id,
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model_saver() -> Callable[[Path, Sequence[str]], Path]:
    """:func:`save_tiny_model`, for the test modules' model fixtures."""
    return save_tiny_model
