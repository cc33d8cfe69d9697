"""Tiny causal LMs built from scratch: a locally trained tokenizer and a small Llama.

Nothing is downloaded. The tokenizer is a byte-level BPE (any text encodes, nothing is
unknown) trained on the text the envs produce, with the ChatML tool-calling template of
:mod:`nexgym.training.chat_template`; the model is a :class:`transformers.LlamaForCausalLM`
with random weights. Both are saved with ``save_pretrained`` so that they load back
through the ordinary ``from_pretrained`` path, like any checkpoint::

    from nexgym.training.data import oracle_examples
    from nexgym.training.tiny import build_tiny_checkpoint

    examples = oracle_examples("nex/FileOps-v0", episodes=20)
    path = build_tiny_checkpoint("runs/tiny", examples)

Tests and ``benchmarks/generalization.py`` share this module; ``import nexgym`` never
imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError, require
from nexgym.training.chat_template import CHAT_TEMPLATE, END_OF_TURN, PAD, START_OF_TURN

__all__ = [
    "TAG_TOKENS",
    "TinyModelConfig",
    "build_tiny_checkpoint",
    "build_tiny_model",
    "example_texts",
    "train_tokenizer",
]

#: Tags of the tool-calling format, kept whole by the tokenizer.
TAG_TOKENS = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>")


@dataclass(frozen=True, slots=True)
class TinyModelConfig:
    """Shape of a tiny Llama (defaults: about 0.9M parameters with a 2k vocabulary).

    Attributes:
        hidden_size: width of the residual stream.
        layers: transformer blocks (two or more let attention copy from the context).
        heads: attention heads (``hidden_size`` must be divisible by it).
        intermediate_size: MLP width (default ``4 * hidden_size``).
        max_positions: longest sequence the model accepts, in tokens.
    """

    hidden_size: int = 64
    layers: int = 2
    heads: int = 4
    intermediate_size: int | None = None
    max_positions: int = 4096

    def __post_init__(self) -> None:
        if self.hidden_size < 8 or self.hidden_size % self.heads:
            raise ConfigError(
                f"expected hidden_size >= 8 and divisible by heads={self.heads}, "
                f"got {self.hidden_size}"
            )
        if self.layers < 1 or self.max_positions < 64:
            raise ConfigError(
                "expected layers >= 1 and max_positions >= 64, "
                f"got {self.layers} and {self.max_positions}"
            )


def example_texts(examples: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The texts of SFT examples a tokenizer should learn: contents, calls and schemas."""
    for example in examples:
        tools = example.get("tools", "[]")
        yield tools if isinstance(tools, str) else json.dumps(tools)
        for message in example["messages"]:
            if message.get("content"):
                yield message["content"]
            for call in message.get("tool_calls") or []:
                fn = call["function"]
                body = f'{{"name": "{fn["name"]}", "arguments": {fn["arguments"]}}}'
                yield f"<tool_call>{body}</tool_call>"


def train_tokenizer(texts: Iterable[str], *, vocab_size: int = 2048, min_frequency: int = 2) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, with the ChatML tool template.

    Returns a ``transformers.PreTrainedTokenizerFast`` (left padding, ``<|im_end|>`` as
    end of sequence, ``<|endoftext|>`` as padding).
    """
    tokenizers = require("tokenizers", "llm", "training a tokenizer")
    transformers = require("transformers", "llm", "training a tokenizer")
    from tokenizers import decoders, models, pre_tokenizers, processors, trainers

    if vocab_size < 300:
        raise ConfigError(f"expected vocab_size >= 300 (256 bytes plus merges), got {vocab_size}")
    core = tokenizers.Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    # Offsets must stay untrimmed: assistant-token masks map characters to tokens through them.
    core.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=[PAD, START_OF_TURN, END_OF_TURN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token=END_OF_TURN,
        pad_token=PAD,
        padding_side="left",
        chat_template=CHAT_TEMPLATE,
        model_max_length=1_000_000,
    )
    tokenizer.add_tokens(list(TAG_TOKENS))
    return tokenizer


def build_tiny_model(
    tokenizer: Any, config: TinyModelConfig | None = None, *, seed: int = 0
) -> Any:
    """A randomly initialised ``LlamaForCausalLM`` sized for ``tokenizer``.

    The weights come from ``seed`` alone; the global torch RNG is left as it was.
    """
    torch = require("torch", "llm", "building a tiny model")
    transformers = require("transformers", "llm", "building a tiny model")
    config = config or TinyModelConfig()
    llama = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size or 4 * config.hidden_size,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        num_key_value_heads=config.heads,
        max_position_embeddings=config.max_positions,
        bos_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.LlamaForCausalLM(llama)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def build_tiny_checkpoint(
    out_dir: str | Path,
    examples: Sequence[dict[str, Any]] | None = None,
    *,
    texts: Iterable[str] | None = None,
    vocab_size: int = 2048,
    config: TinyModelConfig | None = None,
    seed: int = 0,
) -> Path:
    """Train a tokenizer on ``examples`` (or ``texts``), build a tiny model, save both.

    Args:
        out_dir: the checkpoint folder (created).
        examples: SFT examples whose text trains the tokenizer.
        texts: raw texts instead of (or besides) ``examples``.
        vocab_size: BPE vocabulary size.
        config: the model's shape.
        seed: weight initialisation seed.

    Returns:
        ``out_dir``, loadable with ``AutoTokenizer``/``AutoModelForCausalLM.from_pretrained``.
    """
    corpus = [*example_texts(examples or []), *(texts or [])]
    if not corpus:
        raise ConfigError("expected examples or texts to train the tokenizer on, got neither")
    tokenizer = train_tokenizer(corpus, vocab_size=vocab_size)
    model = build_tiny_model(tokenizer, config, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    model.save_pretrained(out)
    (out / "nexgym_tiny.json").write_text(
        json.dumps(
            {"vocab_size": vocab_size, "seed": seed, **asdict(config or TinyModelConfig())},
            indent=2,
        )
    )
    return out
