"""Does GRPO on nexgym raise the reward? ``nexgym train grpo`` from an SFT checkpoint.

1. Curriculum: the starting model plays candidate tasks of the training envs
   ``--group`` times each at temperature 1; tasks whose trials disagree (some solved,
   some not; else different scores; else different numbers of valid actions) are in
   the learnable band: a GRPO group over them has reward variance, hence a gradient.
2. ``train_grpo`` (TRL's ``GRPOTrainer`` with nexgym's episode rollouts) on those tasks.
3. The reward logged at every step (mean episode return of the step's groups) is the
   curve; the trained and the starting model then play the same tasks greedily.

    python benchmarks/grpo_curve.py --model benchmarks/out/llm_baselines/sft
    python benchmarks/grpo_curve.py --model DIR --preset cpu

Writes ``benchmarks/results/grpo_curve.json`` and ``.png`` (``--results``).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from llm_common import HERE, Clock, load, quiet, round_robin

PRESETS: dict[str, dict[str, Any]] = {
    "gpu": dict(envs=16, tasks=2, group=8, batch=32, steps=8, keep=16, max_turns=5),
    "cpu": dict(envs=4, tasks=1, group=2, batch=2, steps=2, keep=2, max_turns=3),
}


def learnable(outcomes: list[Any], keep: int) -> list[tuple[str, int]]:
    """Tasks whose trials disagree: success first, then score, then valid actions."""
    trials: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for outcome in outcomes:
        trials[(outcome.env_id, outcome.task_seed)].append(outcome)
    ranked = []
    for task, runs in trials.items():
        successes = {o.success for o in runs}
        scores = {round(o.score, 6) for o in runs}
        valid = {o.valid for o in runs}
        rank = 0 if len(successes) > 1 else 1 if len(scores) > 1 else 2 if len(valid) > 1 else 3
        if rank < 3:
            ranked.append((rank, task))
    ranked.sort()
    return [task for _, task in ranked[:keep]]


def greedy_success(model_dir: str | Path, tasks: list[tuple[str, int]], args: Any) -> dict:
    """Greedy success and valid-action rate of a checkpoint on ``tasks``."""
    from nexgym.training.evaluation import evaluate_model, summarize

    model, tokenizer, _ = load(model_dir)
    outcomes = evaluate_model(
        model,
        tokenizer,
        tasks,
        max_new_tokens=args.max_new_tokens,
        max_turns=args.max_turns,
        batch_size=max(len(tasks), 1),
    )
    return summarize(outcomes)["all"]


def plot(result: dict[str, Any], path: Path) -> None:
    """Reward per step and its moving average."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in result["curve"]]
    rewards = [r["reward"] for r in result["curve"]]
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.plot(steps, rewards, "o-", alpha=0.5, label="mean episode return per step")
    window = max(1, len(rewards) // 4)
    if len(rewards) >= window > 1:
        smooth = np.convolve(rewards, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1 :], smooth, "-", lw=2, label=f"moving average ({window})")
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("episode return")
    ax.set_title(f"GRPO from {Path(result['model']).name}: {len(result['tasks'])} tasks")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="starting checkpoint (an SFT model)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="gpu")
    parser.add_argument("--envs", type=int, help="candidate training envs")
    parser.add_argument("--tasks", type=int, help="candidate task seeds per env")
    parser.add_argument("--group", type=int, help="episodes per task (GRPO group)")
    parser.add_argument("--batch", type=int, help="episodes per GRPO step")
    parser.add_argument("--steps", type=int, help="GRPO steps")
    parser.add_argument("--keep", type=int, help="tasks kept by the curriculum")
    parser.add_argument("--max-turns", type=int)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-6)
    parser.add_argument(
        "--any-task",
        action="store_true",
        help="train on the first candidates when none is in the band (a pipeline check)",
    )
    parser.add_argument("--out", default=str(HERE / "out" / "grpo_curve"))
    parser.add_argument("--results", default=str(HERE / "results" / "grpo_curve"))
    args = parser.parse_args()
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    quiet()
    from nexgym.training.evaluation import evaluate_model
    from nexgym.training.grpo import GRPOSettings, train_grpo

    clock = Clock(0)
    # Training envs only: the evaluation split of llm_baselines.py (seed 0) is left out.
    from llm_baselines import evaluation_split

    _, training = evaluation_split(48, 10_000)
    envs = round_robin(training, args.envs, seed=2)
    candidates = [(e, 1 + j) for e in envs for j in range(args.tasks)]
    model, tokenizer, device = load(args.model)
    probe = evaluate_model(
        model,
        tokenizer,
        candidates,
        trials=args.group,
        temperature=1.0,
        seed=3,
        max_new_tokens=args.max_new_tokens,
        max_turns=args.max_turns,
        batch_size=256,
    )
    del model
    tasks = learnable(probe, args.keep)
    print(f"curriculum: {len(tasks)} of {len(candidates)} tasks in the band", flush=True)
    if not tasks and args.any_task:
        tasks = candidates[: args.keep]
    if not tasks:
        raise SystemExit("no task in the learnable band: every group would have zero variance")
    before = greedy_success(args.model, tasks, args)
    settings = GRPOSettings(
        steps=args.steps,
        num_generations=args.group,
        batch_size=args.batch,
        learning_rate=args.lr,
        max_new_tokens=args.max_new_tokens,
        max_completion_tokens=4096,
        max_turns=args.max_turns,
        logging_steps=1,
    )
    trained = train_grpo(sorted({e for e, _ in tasks}), args.model, args.out, settings, tasks=tasks)
    log = json.loads((trained / "nexgym_grpo.json").read_text())["log"]
    curve = [
        {"step": int(r["step"]), "reward": float(r["reward"]), "reward_std": r.get("reward_std")}
        for r in log
        if "reward" in r
    ]
    after = greedy_success(trained, tasks, args)
    result = {
        "model": str(args.model),
        "device": device,
        "settings": {k: v for k, v in vars(args).items()},
        "tasks": tasks,
        "probe_success": float(np.mean([o.success for o in probe])),
        "curve": curve,
        "greedy_before": before,
        "greedy_after": after,
        "seconds": round(clock.elapsed(), 1),
    }
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    plot(result, out.with_suffix(".png"))
    first = np.mean([c["reward"] for c in curve[: max(1, len(curve) // 4)]])
    last = np.mean([c["reward"] for c in curve[-max(1, len(curve) // 4) :]])
    print(
        f"reward first quarter {first:.3f} -> last quarter {last:.3f}; greedy success "
        f"{before['success']:.2f} -> {after['success']:.2f}; {clock.elapsed():.0f}s on {device}"
    )


if __name__ == "__main__":
    main()
