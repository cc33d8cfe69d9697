"""What the language-model benchmarks share: catalog splits, oracle data, SFT, loading.

Used by ``llm_baselines.py``, ``grpo_curve.py`` and ``generalization.py``. The splits are
drawn from one seed over the catalog's deterministic envs, stratified by domain, so
they never change with the machine.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nexgym
from nexgym.catalog import load_catalog_spec

HERE = Path(__file__).resolve().parent

#: Task seeds of evaluation episodes start here; training data uses seeds below it.
EVAL_SEED = 100_000


def family(domain: str) -> str:
    """The report's domain group: a hand-written domain's name, or ``synthesized world``."""
    return "synthesized world" if domain.startswith("w_") else domain


def deterministic_envs() -> list[str]:
    """Catalog envs whose domain is deterministic (a fixed task gives a fixed world)."""
    from nexgym.envs.domains import domain_class

    return [
        env_id
        for env_id in sorted(nexgym.list_envs())
        if not domain_class(load_catalog_spec(env_id).domain).nondeterministic
    ]


def by_domain(env_ids: Iterable[str]) -> dict[str, list[str]]:
    """Env ids grouped by domain (world), each group sorted."""
    groups: dict[str, list[str]] = defaultdict(list)
    for env_id in env_ids:
        groups[load_catalog_spec(env_id).domain].append(env_id)
    return {domain: sorted(members) for domain, members in sorted(groups.items())}


def round_robin(env_ids: Sequence[str], count: int, seed: int) -> list[str]:
    """``count`` envs taken one domain at a time (domains and members shuffled by ``seed``)."""
    rng = np.random.default_rng(seed)
    groups = by_domain(env_ids)
    names = list(groups)
    queues = [list(rng.permutation(groups[names[i]])) for i in rng.permutation(len(names))]
    picked: list[str] = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(str(queue.pop(0)))
    return picked


def oracle_chats(env_ids: Sequence[str], chats: int, seed: int = 0) -> list[dict[str, Any]]:
    """About ``chats`` root-role oracle chats, spread evenly over ``env_ids``.

    The root's chat is what the model learns to write: the oracle's messages to its
    sub-agents state only what it observed, so every turn is learnable from the chat.
    """
    from nexgym.training.data import oracle_examples

    per_env = max(1, -(-chats // max(1, len(env_ids))))
    out: list[dict[str, Any]] = []
    for env_id in env_ids:
        out += oracle_examples(
            env_id, episodes=per_env, seed=seed, control="root", roles="controlled"
        )
    return out


def sft(
    examples: list[dict[str, Any]],
    base: str | Path,
    out: Path,
    *,
    steps: int,
    lr: float,
    batch_size: int,
    max_length: int,
    seed: int,
) -> Path:
    """``nexgym train sft`` on ``examples`` from ``base``; returns the checkpoint folder."""
    from nexgym.training.sft import SFTSettings, train_sft

    settings = SFTSettings(
        max_steps=steps,
        learning_rate=lr,
        batch_size=batch_size,
        max_length=max_length,
        seed=seed,
        logging_steps=max(1, steps // 20),
    )
    return train_sft(examples, base, out, settings)


def sft_losses(model_dir: Path) -> list[float]:
    """The training losses logged by :func:`sft`."""
    log = json.loads((model_dir / "nexgym_sft.json").read_text())["log"]
    return [float(r["loss"]) for r in log if "loss" in r]


def load(path: str | Path) -> tuple[Any, Any, str]:
    """Model (on the GPU in bfloat16 when one is present), tokenizer and the device name."""
    import torch

    from nexgym.training.checkpoints import load_pretrained

    model, tokenizer = load_pretrained(path)
    if torch.cuda.is_available():
        model = model.to("cuda", dtype=torch.bfloat16)
        return model.eval(), tokenizer, torch.cuda.get_device_name()
    return model.eval(), tokenizer, "cpu"


def quiet() -> None:
    """Silence progress bars and per-step warnings of transformers and datasets."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        import datasets

        datasets.disable_progress_bars()
    except ImportError:
        pass


class Clock:
    """Seconds since start, and whether a budget is spent."""

    def __init__(self, budget_s: float) -> None:
        self.start = time.perf_counter()
        self.budget_s = budget_s

    def elapsed(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.start

    def left(self) -> float:
        """Seconds left of the budget."""
        return self.budget_s - self.elapsed()
