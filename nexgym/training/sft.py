"""Supervised fine-tuning on exported trajectories, with TRL's ``SFTTrainer``.

The examples are per-agent chats (``messages``) with the agent's tool schemas
(``tools``), the conversational format ``SFTTrainer`` reads natively: it renders each
chat with the tokenizer's chat template and tools, and with ``assistant_only_loss`` it
learns only the agent's own turns. ``layout="turns"`` instead makes one
prompt/completion example per assistant turn, its prompt trimmed to ``max_length`` as
:class:`~nexgym.policies.hf.HFPolicy` trims it at inference, so that long episodes still
teach their last turns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError, require
from nexgym.training.data import SFT_FILE, read_examples, write_examples

__all__ = ["SFTSettings", "train_sft", "turn_examples"]

#: The ``{% generation %}`` tag that marks assistant turns for ``assistant_only_loss``.
_GENERATION_MARKER = re.compile(r"\{%-?\s*generation\s*-?%\}")


@dataclass(slots=True)
class SFTSettings:
    """Training settings of :func:`train_sft` (the common ``SFTConfig`` fields).

    Attributes:
        epochs: passes over the examples (ignored when ``max_steps`` > 0).
        max_steps: optimizer steps; -1 runs ``epochs`` epochs.
        learning_rate: peak learning rate (cosine decay, 5% warm-up).
        batch_size: examples per device per step.
        grad_accumulation: micro-batches per optimizer step.
        max_length: longest training sequence in tokens.
        layout: ``"messages"`` (one example per chat, loss on the assistant turns: needs a
            template with ``{% generation %}`` markers, as nexgym's own), ``"turns"`` (one
            prompt/completion pair per assistant turn, any template), or ``"auto"``
            (``"messages"`` when the template has the markers, else ``"turns"``).
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
        seed: data order and dropout seed.
        logging_steps: how often the loss is logged.
    """

    epochs: float = 1.0
    max_steps: int = -1
    learning_rate: float = 5e-4
    batch_size: int = 4
    grad_accumulation: int = 1
    max_length: int = 1024
    layout: str = "auto"
    device: str = "auto"
    seed: int = 0
    logging_steps: int = 10


def turn_examples(
    examples: Iterable[dict[str, Any]], tokenizer: Any, max_length: int
) -> list[dict[str, Any]]:
    """One prompt/completion text pair per assistant turn, prompts fit into ``max_length``.

    Both texts are rendered here with :func:`~nexgym.training.generation.render_chat`, as
    :class:`~nexgym.policies.hf.HFPolicy` renders its prompts, so any chat template
    (Qwen2.5, Llama 3.1, Hermes, SmolLM2...) trains on exactly what the model sees and
    writes at inference: calls once, as JSON objects. The completion budget is the turn's
    own length; the prompt keeps the system prompt and the task and drops the oldest
    turns first, as :func:`~nexgym.training.generation.fit_messages`.
    """
    from nexgym.training.generation import encode_chat, render_chat

    out = []
    for example in examples:
        tools = example["tools"]
        schemas = json.loads(tools) if isinstance(tools, str) else tools
        messages = example["messages"]
        for k, message in enumerate(messages):
            if message.get("role") != "assistant":
                continue
            prompt_tokens = len(encode_chat(tokenizer, messages[:k], schemas))
            answer_tokens = len(encode_chat(tokenizer, messages[: k + 1], schemas)) - prompt_tokens
            budget = max(16, max_length - max(1, answer_tokens))
            prompt = _trim(tokenizer, messages[:k], schemas, budget)
            before = render_chat(tokenizer, prompt, schemas, add_generation_prompt=True)
            after = render_chat(tokenizer, [*prompt, message], schemas, add_generation_prompt=False)
            if not after.startswith(before):  # a template that rewrites earlier turns
                continue
            out.append({"prompt": before, "completion": after[len(before) :].rstrip()})
    return out


def _fitting(rows: list[dict[str, Any]], tokenizer: Any, max_length: int) -> list[dict[str, Any]]:
    """The rows whose prompt and completion fit ``max_length`` tokens.

    Longer ones would be cut from the right, losing the completion that is all they teach.
    """
    sizes = [len(tokenizer(r["prompt"] + r["completion"])["input_ids"]) for r in rows]
    kept = [row for row, size in zip(rows, sizes, strict=True) if size <= max_length]
    if not kept:
        shortest = min(sizes, default=0)
        raise ConfigError(
            f"expected training turns that fit max_length={max_length} tokens, got none (the "
            f"shortest is {shortest}: system prompt, task and turn); raise --max-length"
        )
    return kept


def _trim(
    tokenizer: Any, messages: Sequence[dict[str, Any]], tools: Any, budget: int
) -> list[dict[str, Any]]:
    """Drop middle turns (keeping system prompt and task) until the prompt fits ``budget``."""
    from nexgym.training.generation import encode_chat

    head = 2 if len(messages) > 2 and messages[0].get("role") == "system" else 1
    trimmed = list(messages)
    while len(trimmed) > head + 1 and len(encode_chat(tokenizer, trimmed, tools)) > budget:
        drop = 2 if trimmed[head].get("role") == "assistant" and len(trimmed) > head + 2 else 1
        del trimmed[head : head + drop]
    return trimmed


def train_sft(
    trajectories: str | Path | Sequence[dict[str, Any]],
    model_path: str | Path,
    out_dir: str | Path,
    settings: SFTSettings | None = None,
    *,
    roles: Iterable[str] | None = None,
    successful_only: bool = True,
) -> Path:
    """Fine-tune a local causal LM on trajectories and save it to ``out_dir``.

    Args:
        trajectories: a JSONL file or folder written by ``nexgym rollout --out``, or a
            list of examples (see :mod:`nexgym.training.data`).
        model_path: a local checkpoint folder (model and tokenizer).
        out_dir: where the fine-tuned model, its tokenizer and ``sft_examples.jsonl`` go.
        settings: training settings.
        roles: train only on these roles' chats (default: every role).
        successful_only: skip episodes that were not solved.

    Returns:
        ``out_dir``, a checkpoint folder loadable with ``from_pretrained``.
    """
    transformers = require("transformers", "llm", "train_sft")
    trl = require("trl", "llm", "train_sft")
    from nexgym.training.data import load_sft_dataset
    from nexgym.training.generation import resolve_device

    settings = settings or SFTSettings()
    from nexgym.training.checkpoints import resolve_checkpoint

    if settings.layout not in ("messages", "turns", "auto"):
        raise ConfigError(f"expected layout 'messages', 'turns' or 'auto', got {settings.layout!r}")
    model_path = resolve_checkpoint(model_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(trajectories, str | Path):
        examples = read_examples(trajectories, roles=roles, successful_only=successful_only)
    else:
        keep = None if roles is None else set(roles)
        examples = [e for e in trajectories if keep is None or e.get("role") in keep]
        if not examples:
            raise ConfigError("expected at least one training example, got none")
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_path)
    data_file = write_examples(examples, out / SFT_FILE)
    layout = settings.layout
    if layout == "auto":
        template = str(getattr(tokenizer, "chat_template", None) or "")
        layout = "messages" if _GENERATION_MARKER.search(template) else "turns"
    if layout == "turns":
        dataset_module = require("datasets", "llm", "train_sft")
        rows = turn_examples(examples, tokenizer, settings.max_length)
        rows = _fitting(rows, tokenizer, settings.max_length)
        dataset = dataset_module.Dataset.from_list(rows)
    else:
        dataset = load_sft_dataset(data_file)
    device = resolve_device(settings.device)
    config = trl.SFTConfig(
        output_dir=str(out / "trainer"),
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accumulation,
        max_length=settings.max_length,
        assistant_only_loss=layout == "messages",
        completion_only_loss=True if layout == "turns" else None,
        shuffle_dataset=True,
        use_cpu=device == "cpu",
        bf16=device.startswith("cuda") and _bf16_ok(),
        seed=settings.seed,
        data_seed=settings.seed,
        logging_steps=settings.logging_steps,
        save_strategy="no",
        report_to="none",
        dataset_num_proc=None,
        disable_tqdm=True,
    )
    trainer = trl.SFTTrainer(
        model=str(model_path), args=config, train_dataset=dataset, processing_class=tokenizer
    )
    trainer.train()
    trainer.save_model(str(out))
    tokenizer.save_pretrained(out)
    (out / "nexgym_sft.json").write_text(
        json.dumps(
            {
                "examples": len(examples),
                "rows": len(dataset),
                "layout": layout,
                "steps": trainer.state.global_step,
                "log": trainer.state.log_history,
            },
            indent=2,
            default=str,
        )
    )
    return out


def _bf16_ok() -> bool:
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
