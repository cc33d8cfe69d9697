"""Does training on more hierarchies generalize better to hierarchies and worlds never seen?

The suite's test of the Nex thesis (environment diversity improves generalization),
from a pretrained base (SmolLM2-135M-Instruct by default):

* Held-out worlds: every env of ``--heldout-worlds`` domains (worlds) is kept out of
  training. Held-out hierarchies: ``--heldout-envs`` envs of the other domains, never
  trained on either (their world may be seen through other hierarchies).
* For each k in ``--train-sizes`` and each seed, k training envs are drawn from the
  rest, one per distinct domain while domains last; SFT (``nexgym train sft``) runs
  from the base on the same total number of root-role oracle chats (split evenly over
  the k envs), the same steps and learning rate: only the number of distinct
  hierarchies changes. k = 0 is the base itself.
* Each trained model plays unseen tasks of the held-out hierarchies, the held-out
  worlds and (as a reference) its own training envs, greedily, as the root role.

Each (k, seed) is one process (``--workers`` at a time), so a GPU serves several runs
at once. The table gives the mean over seeds with a 95% t-interval; the plot, held-out
success against k.

    python benchmarks/generalization.py --preset cpu      # this machine's CPU, < 1 h
    python benchmarks/generalization.py --preset smoke    # minutes, a tiny check
    python benchmarks/generalization.py                   # GPU preset: k = 0..64 x 3 seeds

Results: ``benchmarks/results/generalization.json`` and ``.png`` (``--results``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from llm_common import (
    EVAL_SEED,
    HERE,
    Clock,
    by_domain,
    deterministic_envs,
    load,
    oracle_chats,
    quiet,
    sft,
    sft_losses,
)

PRESETS: dict[str, dict[str, Any]] = {
    "gpu": dict(
        train_sizes=[0, 1, 4, 16, 64],
        seeds=[0, 1, 2],
        chats=256,
        steps=120,
        batch_size=4,
        heldout_worlds=12,
        heldout_envs=16,
        eval_tasks=2,
        max_turns=8,
        workers=6,
    ),
    "cpu": dict(
        train_sizes=[0, 1, 4, 16, 64],
        seeds=[0],
        chats=64,
        steps=4,
        batch_size=2,
        heldout_worlds=2,
        heldout_envs=2,
        eval_tasks=1,
        max_turns=4,
        workers=1,
    ),
    "smoke": dict(
        train_sizes=[0, 1, 2],
        seeds=[0],
        chats=4,
        steps=2,
        batch_size=2,
        heldout_worlds=1,
        heldout_envs=1,
        eval_tasks=1,
        max_turns=2,
        workers=1,
    ),
}


def split(heldout_worlds: int, heldout_envs: int) -> dict[str, Any]:
    """Held-out worlds (whole domains), held-out hierarchies, and the training pool."""
    rng = np.random.default_rng(0)
    groups = by_domain(deterministic_envs())
    domains = list(groups)
    order = [domains[i] for i in rng.permutation(len(domains))]
    unseen_worlds = sorted(order[:heldout_worlds])
    seen = order[heldout_worlds:]
    heldout_hierarchies = []
    for domain in seen:  # one env per seen domain with 2+ envs, until enough
        if len(heldout_hierarchies) < heldout_envs and len(groups[domain]) > 1:
            heldout_hierarchies.append(groups[domain][int(rng.integers(len(groups[domain])))])
    pool = {d: [e for e in groups[d] if e not in heldout_hierarchies] for d in seen}
    world_envs = [groups[d][int(rng.integers(len(groups[d])))] for d in unseen_worlds]
    while len(world_envs) < heldout_envs:  # more envs of the held-out worlds
        extra = [e for d in unseen_worlds for e in groups[d] if e not in world_envs]
        if not extra:
            break
        world_envs.append(extra[int(rng.integers(len(extra)))])
    return {
        "heldout_worlds": unseen_worlds,
        "heldout_world_envs": world_envs[:heldout_envs],
        "heldout_hierarchies": heldout_hierarchies,
        "pool": {d: envs for d, envs in pool.items() if envs},
    }


def training_envs(pool: dict[str, list[str]], k: int, seed: int) -> list[str]:
    """k envs of the pool: one per distinct domain (shuffled by ``seed``) while they last."""
    rng = np.random.default_rng(1000 + seed)
    queues = [list(rng.permutation(pool[d])) for d in rng.permutation(sorted(pool))]
    picked: list[str] = []
    while len(picked) < k and any(queues):
        for queue in queues:
            if queue and len(picked) < k:
                picked.append(str(queue.pop(0)))
    return picked


def run_one(k: int, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Train (unless k = 0) and evaluate one model; returns its row."""
    from nexgym.training.evaluation import evaluate_model, summarize

    quiet()
    clock = Clock(0)
    parts = split(args.heldout_worlds, args.heldout_envs)
    train = training_envs(parts["pool"], k, seed)
    row: dict[str, Any] = {"k": k, "seed": seed, "trained_on": train}
    model_dir: str | Path = args.base
    if k > 0:
        examples = oracle_chats(train, args.chats, seed=seed * 1000)
        model_dir = sft(
            examples,
            args.base,
            Path(args.out) / f"k{k}-s{seed}",
            steps=args.steps,
            lr=args.lr,
            batch_size=args.batch_size,
            max_length=args.max_length,
            seed=seed,
        )
        losses = sft_losses(model_dir)
        row.update(chats=len(examples), first_loss=losses[0], final_loss=losses[-1])
    row["train_seconds"] = round(clock.elapsed(), 1)
    model, tokenizer, device = load(model_dir)
    sets = {
        "heldout_hierarchies": parts["heldout_hierarchies"],
        "heldout_worlds": parts["heldout_world_envs"],
        "train_envs": train[: args.heldout_envs],
    }
    # One batch for every set: the episodes of all three advance together.
    labelled = [
        (name, (e, EVAL_SEED + j))
        for name, envs in sets.items()
        for e in envs
        for j in range(args.eval_tasks)
    ]
    outcomes = evaluate_model(
        model,
        tokenizer,
        [task for _, task in labelled],
        max_new_tokens=args.max_new_tokens,
        max_turns=args.max_turns,
        batch_size=max(1, len(labelled)),
    )
    for name in sets:
        mine = [o for (label, _), o in zip(labelled, outcomes, strict=True) if label == name]
        if mine:
            row[name] = summarize(mine)["all"]
    row["device"] = device
    row["seconds"] = round(clock.elapsed(), 1)
    return row


def interval(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of a 95% t-interval (0 for a single value)."""
    from statistics import mean, stdev

    t95 = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776}
    if len(values) < 2:
        return mean(values), 0.0
    return mean(values), t95.get(len(values), 2.0) * stdev(values) / len(values) ** 0.5


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per k: mean and 95% interval over seeds of each evaluation set's success."""
    out = []
    for k in sorted({r["k"] for r in rows}):
        group = [r for r in rows if r["k"] == k and "error" not in r]
        if not group:
            continue
        entry: dict[str, Any] = {"k": k, "seeds": len(group)}
        for name in ("heldout_hierarchies", "heldout_worlds", "train_envs"):
            values = [r[name]["success"] for r in group if name in r]
            valid = [r[name]["valid"] for r in group if name in r]
            if values:
                m, h = interval(values)
                entry[name] = {"success": m, "ci95": h, "valid": float(np.mean(valid))}
        out.append(entry)
    return out


def plot(result: dict[str, Any], path: Path) -> None:
    """Held-out success against k, with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.8, 3.6))
    table = result["table"]
    for name, style in (
        ("heldout_hierarchies", "o-"),
        ("heldout_worlds", "s-"),
        ("train_envs", "^:"),
    ):
        points = [(e["k"], e[name]) for e in table if name in e]
        if not points:
            continue
        xs = [max(k, 0.5) for k, _ in points]  # k = 0 drawn at 0.5 on the log axis
        ax.errorbar(
            xs,
            [p["success"] for _, p in points],
            yerr=[p["ci95"] for _, p in points],
            fmt=style,
            capsize=3,
            label=name.replace("_", " "),
        )
    ks = [e["k"] for e in table]
    ax.set_xscale("log", base=2)
    ax.set_xticks([max(k, 0.5) for k in ks], [str(k) for k in ks])
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("training hierarchies k (same total chats; 0 = the base model)")
    ax.set_ylabel("success (greedy)")
    ax.set_title(f"SFT from {Path(str(result['base'])).name}, {result['preset']} preset")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def print_table(result: dict[str, Any]) -> None:
    """The aggregate table on stdout."""
    print(
        f"{'k':>3} {'seeds':>5} {'held-out hier.':>18} {'held-out worlds':>18} {'train envs':>14}"
    )
    for e in result["table"]:
        cells = []
        for name in ("heldout_hierarchies", "heldout_worlds", "train_envs"):
            p = e.get(name)
            cells.append("-" if p is None else f"{p['success']:.2f} +- {p['ci95']:.2f}")
        print(f"{e['k']:>3} {e['seeds']:>5} {cells[0]:>18} {cells[1]:>18} {cells[2]:>14}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="gpu")
    parser.add_argument("--base", default="smollm2", help="pretrained checkpoint or known name")
    parser.add_argument("--train-sizes", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--chats", type=int, help="training chats for every k")
    parser.add_argument("--steps", type=int, help="SFT steps for every k")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=3072)
    parser.add_argument("--heldout-worlds", type=int)
    parser.add_argument("--heldout-envs", type=int)
    parser.add_argument("--eval-tasks", type=int, help="unseen tasks per evaluated env")
    parser.add_argument("--max-turns", type=int)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--workers", type=int, help="(k, seed) runs at a time")
    parser.add_argument("--budget-s", type=float, default=3300, help="start no run after this")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # "k,seed": run one, print JSON
    parser.add_argument("--out", default=str(HERE / "out" / "generalization"))
    parser.add_argument("--results", default=str(HERE / "results" / "generalization"))
    parser.add_argument("--replot", metavar="JSON", help="only print and plot an earlier result")
    args = parser.parse_args()
    if args.replot:
        result = json.loads(Path(args.replot).read_text())
        print_table(result)
        plot(result, Path(args.replot).with_suffix(".png"))
        return
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.worker:
        k, seed = (int(x) for x in args.worker.split(","))
        print("ROW " + json.dumps(run_one(k, seed, args)), flush=True)
        return
    clock = Clock(args.budget_s)
    runs = [(k, s) for s in args.seeds for k in args.train_sizes if k > 0 or s == args.seeds[0]]
    rows = run_all(runs, args, clock, on_row=lambda done: write(args, runs, done, clock))
    result = write(args, runs, rows, clock)
    print_table(result)
    print(f"{len(rows)} of {len(runs)} runs in {clock.elapsed():.0f}s; wrote {args.results}.json")


def write(
    args: argparse.Namespace, runs: list[tuple[int, int]], rows: list[dict], clock: Clock
) -> dict[str, Any]:
    """Write the results so far (JSON and plot); returns them."""
    result = {
        "preset": args.preset,
        "base": args.base,
        "settings": {k: v for k, v in vars(args).items() if k not in ("worker", "replot")},
        "split": {k: v for k, v in split(args.heldout_worlds, args.heldout_envs).items()},
        "rows": rows,
        "table": aggregate(rows),
        "planned_runs": len(runs),
        "total_seconds": round(clock.elapsed(), 1),
    }
    result["split"]["pool"] = {d: len(v) for d, v in result["split"]["pool"].items()}
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    if result["table"]:
        plot(result, results.with_suffix(".png"))
    return result


#: The settings a worker process needs (everything that shapes one run).
_WORKER_KEYS = (
    "base",
    "chats",
    "steps",
    "batch_size",
    "lr",
    "max_length",
    "heldout_worlds",
    "heldout_envs",
    "eval_tasks",
    "max_turns",
    "max_new_tokens",
    "out",
)


def run_all(
    runs: list[tuple[int, int]],
    args: argparse.Namespace,
    clock: Clock,
    on_row: Callable[[list[dict]], Any],
) -> list[dict]:
    """Run each (k, seed) in its own process, ``args.workers`` at a time, within the budget.

    ``on_row`` gets the rows so far after each run ends.
    """
    passthrough = [f"--preset={args.preset}"]
    for key in _WORKER_KEYS:
        value = getattr(args, key)
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        passthrough.append(f"--{key.replace('_', '-')}={text}")
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    pending = list(runs)
    running: list[tuple[tuple[int, int], subprocess.Popen]] = []
    rows: list[dict] = []
    while pending or running:
        while pending and len(running) < args.workers and clock.left() > 0:
            k, seed = pending.pop(0)
            command = [sys.executable, __file__, *passthrough, f"--worker={k},{seed}"]
            running.append(
                ((k, seed), subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env))
            )
        if clock.left() <= 0:
            pending.clear()
        for item in list(running):
            (k, seed), process = item
            if process.poll() is None:
                continue
            running.remove(item)
            out = process.stdout.read() if process.stdout else ""
            found = [line[4:] for line in out.splitlines() if line.startswith("ROW ")]
            row = json.loads(found[-1]) if found else {"k": k, "seed": seed, "error": out[-2000:]}
            rows.append(row)
            print(f"[{clock.elapsed():.0f}s] k={k} seed={seed}: " + _brief(row), flush=True)
            on_row(rows)
        time.sleep(0.5)
    return rows


def _brief(row: dict[str, Any]) -> str:
    if "error" in row:
        return "failed: " + row["error"][-300:]
    parts = [f"{n} {row[n]['success']:.2f}" for n in ("heldout_hierarchies", "heldout_worlds")]
    return ", ".join(parts) + f" ({row['seconds']:.0f}s)"


if __name__ == "__main__":
    main()
