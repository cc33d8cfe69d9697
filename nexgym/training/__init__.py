"""Training local language models on nexgym: data, tiny models, SFT and GRPO.

* :mod:`nexgym.training.data`: per-agent chat examples from episodes or exported trajectories.
* :mod:`nexgym.training.tiny`: a from-scratch tokenizer and small Llama (no downloads).
* :mod:`nexgym.training.generation`: chat prompts to ids, batched generation.
* :mod:`nexgym.training.sft`: ``train_sft`` with TRL's ``SFTTrainer``.
* :mod:`nexgym.training.grpo`: ``train_grpo`` with TRL's ``GRPOTrainer`` rollout hook.

Submodules are imported on use; importing this package imports neither torch nor
transformers.
"""
