"""``nexgym train``: fine-tune local causal LMs on nexgym trajectories or envs.

* ``nexgym train sft --data DIR --model PATH --out DIR``: supervised fine-tuning with
  TRL's ``SFTTrainer`` on trajectories written by ``nexgym rollout --out DIR``.
* ``nexgym train grpo --envs PATTERN --model PATH --out DIR``: online GRPO against the
  envs through TRL's ``GRPOTrainer`` rollout hook.
* ``nexgym train tiny --data DIR --out DIR``: a from-scratch tiny model (tokenizer
  trained on the trajectories' text, small Llama), for offline experiments and tests.

Models are local checkpoint folders (``save_pretrained``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser", "run_grpo", "run_sft", "run_tiny"]


def add_parser(sub: Any) -> None:
    """Register ``train`` with its ``sft``, ``grpo`` and ``tiny`` sub-commands."""
    train = sub.add_parser(
        "train",
        help="fine-tune a local model (SFT on trajectories, GRPO against envs)",
        description="Fine-tune a local causal LM: SFT on exported trajectories, GRPO online "
        "against envs, or build a tiny model from scratch. Needs nexgym[llm].",
    )
    modes = train.add_subparsers(dest="mode", required=True, metavar="MODE")

    sft = modes.add_parser(
        "sft",
        help="supervised fine-tuning on trajectories (TRL SFTTrainer)",
        description="Fine-tune on per-agent chats from `nexgym rollout --out DIR`.",
    )
    sft.add_argument("--data", required=True, help="trajectory JSONL file or folder")
    sft.add_argument(
        "--model", required=True, help="checkpoint folder or known model (smollm2) to start from"
    )
    sft.add_argument("--out", required=True, help="folder for the fine-tuned checkpoint")
    sft.add_argument("--epochs", type=float, default=1.0, help="passes over the data (default 1)")
    sft.add_argument(
        "--max-steps", type=int, default=-1, help="optimizer steps (overrides --epochs)"
    )
    sft.add_argument("--lr", type=float, default=5e-4, help="peak learning rate (default 5e-4)")
    sft.add_argument("--batch-size", type=int, default=4, help="examples per step (default 4)")
    sft.add_argument("--max-length", type=int, default=1024, help="longest sequence in tokens")
    sft.add_argument(
        "--layout",
        choices=["auto", "messages", "turns"],
        default="auto",
        help="one example per chat (templates with generation markers), one per assistant "
        "turn (any template), or auto (the default: whichever the template allows)",
    )
    sft.add_argument("--roles", help="comma-separated roles to train on (default: all)")
    sft.add_argument(
        "--include-failed", action="store_true", help="also train on unsolved episodes"
    )
    _common(sft)
    sft.set_defaults(func=run_sft)

    grpo = modes.add_parser(
        "grpo",
        help="online GRPO against envs (TRL GRPOTrainer rollout hook)",
        description="Train the root role online: each completion is a whole "
        "episode, its reward the env's return.",
    )
    grpo.add_argument("--envs", required=True, help="env ids or globs, comma-separated (nex/File*)")
    grpo.add_argument("--model", required=True, help="local checkpoint folder to start from")
    grpo.add_argument("--out", required=True, help="folder for the trained checkpoint")
    grpo.add_argument("--steps", type=int, default=20, help="optimizer steps (default 20)")
    grpo.add_argument(
        "--num-generations", type=int, default=4, help="episodes per task (default 4)"
    )
    grpo.add_argument("--batch-size", type=int, default=4, help="episodes per step (default 4)")
    grpo.add_argument("--lr", type=float, default=1e-5, help="learning rate (default 1e-5)")
    grpo.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    grpo.add_argument("--max-new-tokens", type=int, default=128, help="longest action in tokens")
    grpo.add_argument(
        "--max-completion-tokens",
        type=int,
        default=1024,
        help="longest episode (actions and observations) in tokens",
    )
    grpo.add_argument("--max-turns", type=int, default=8, help="actions per episode")
    grpo.add_argument("--tasks-per-env", type=int, default=16, help="distinct tasks per env")
    _common(grpo)
    grpo.set_defaults(func=run_grpo)

    tiny = modes.add_parser(
        "tiny",
        help="build a tiny from-scratch model for the trajectories",
        description="Train a byte-level BPE tokenizer on the trajectories' "
        "text and build a small random Llama; save both.",
    )
    tiny.add_argument("--data", required=True, help="trajectory JSONL file or folder")
    tiny.add_argument("--out", required=True, help="folder for the new checkpoint")
    tiny.add_argument("--vocab-size", type=int, default=2048, help="BPE vocabulary (default 2048)")
    tiny.add_argument("--hidden-size", type=int, default=64, help="model width (default 64)")
    tiny.add_argument("--layers", type=int, default=2, help="transformer blocks (default 2)")
    tiny.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    tiny.add_argument("--seed", type=int, default=0, help="weight initialisation seed")
    tiny.set_defaults(func=run_tiny)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument(
        "--logging-steps", type=int, default=1, help="log every N steps (default 1)"
    )


def run_sft(args: argparse.Namespace) -> int:
    """``nexgym train sft``."""
    from nexgym.training.sft import SFTSettings, train_sft

    settings = SFTSettings(
        epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        layout=args.layout,
        device=args.device,
        seed=args.seed,
        logging_steps=args.logging_steps,
    )
    roles = [r.strip() for r in args.roles.split(",")] if args.roles else None
    out = train_sft(
        args.data,
        args.model,
        args.out,
        settings,
        roles=roles,
        successful_only=not args.include_failed,
    )
    _report(out / "nexgym_sft.json", out)
    return 0


def run_grpo(args: argparse.Namespace) -> int:
    """``nexgym train grpo``."""
    from nexgym.training.grpo import GRPOSettings, train_grpo

    settings = GRPOSettings(
        steps=args.steps,
        num_generations=args.num_generations,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        temperature=args.temperature,
        max_new_tokens=args.max_new_tokens,
        max_completion_tokens=args.max_completion_tokens,
        max_turns=args.max_turns,
        tasks_per_env=args.tasks_per_env,
        device=args.device,
        seed=args.seed,
        logging_steps=args.logging_steps,
    )
    out = train_grpo(args.envs, args.model, args.out, settings)
    _report(out / "nexgym_grpo.json", out)
    return 0


def run_tiny(args: argparse.Namespace) -> int:
    """``nexgym train tiny``."""
    from nexgym.training.data import read_examples
    from nexgym.training.tiny import TinyModelConfig, build_tiny_checkpoint

    examples = read_examples(args.data)
    config = TinyModelConfig(hidden_size=args.hidden_size, layers=args.layers, heads=args.heads)
    out = build_tiny_checkpoint(
        args.out, examples, vocab_size=args.vocab_size, config=config, seed=args.seed
    )
    print(f"tiny model from {len(examples)} chats saved to {out}")
    return 0


def _report(summary_path: Any, out: Any) -> None:
    summary = json.loads(summary_path.read_text())
    losses = [row["loss"] for row in summary.get("log", []) if "loss" in row]
    rewards = [row["reward"] for row in summary.get("log", []) if "reward" in row]
    line = f"trained {summary.get('steps', 0)} steps"
    if losses:
        line += f", loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    if rewards:
        line += f", reward {rewards[0]:.3f} -> {rewards[-1]:.3f}"
    print(f"{line}; checkpoint saved to {out}")
