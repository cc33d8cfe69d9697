"""Batched generation with vLLM, for :class:`~nexgym.policies.hf.HFPolicy` on a GPU.

Used when vLLM is installed and CUDA is present (``HFPolicy(..., engine="auto")``, the
default) or when asked for (``engine="vllm"``). Prompts go in as token ids, rendered by
the same chat template as the transformers path, so both engines see the same text.
This machine has neither vLLM nor a GPU: the path is import-guarded and untested here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError, require

__all__ = ["VLLMEngine", "vllm_available"]


def vllm_available() -> bool:
    """Whether vLLM is installed and a CUDA device is present."""
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


class VLLMEngine:
    """One vLLM ``LLM`` over a checkpoint folder, generating from token-id prompts.

    Args:
        folder: a checkpoint folder (``save_pretrained``; ``nexgym models prepare``).
        gpu_memory_utilization: the share of GPU memory vLLM may take.
    """

    def __init__(self, folder: str | Path, *, gpu_memory_utilization: float = 0.5) -> None:
        vllm = require("vllm", "llm", "generation with vLLM")
        if not (Path(folder) / "config.json").is_file():
            raise ConfigError(
                f"expected a checkpoint folder with config.json for vLLM, got {str(folder)!r}"
            )
        self._vllm = vllm
        self.llm = vllm.LLM(model=str(folder), gpu_memory_utilization=gpu_memory_utilization)

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
    ) -> list[list[int]]:
        """New token ids for each prompt (empty prompts get none), as ``generate_batch``."""
        out: list[list[int]] = [[] for _ in prompts]
        live = [i for i, p in enumerate(prompts) if len(p) > 0]
        if not live:
            return out
        params = self._vllm.SamplingParams(
            max_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p if temperature > 0 else 1.0,
            seed=seed,
        )
        requests: list[Any] = [{"prompt_token_ids": list(prompts[i])} for i in live]
        results = self.llm.generate(requests, params, use_tqdm=False)
        for i, result in zip(live, results, strict=True):
            out[i] = list(result.outputs[0].token_ids)
        return out
