"""What a user gets from a pretrained model on nexgym, before (and after) training.

A fixed evaluation split of the catalog (envs picked round-robin over domains, sorted by
id, so the split never changes with the machine) is played by a local checkpoint
(``hf:MODEL``, greedy, the root role; teammates scripted) and by the oracle for
reference. Reported per model: success (pass^1), pass^k over the k task seeds of each
env (every seed solved), valid-action rate, mean turns, per domain and per topology.

    python benchmarks/llm_baselines.py                          # SmolLM2 zero-shot
    python benchmarks/llm_baselines.py --models smollm2,runs/sft --envs 12 --seeds 2
    python benchmarks/llm_baselines.py --envs 6 --seeds 1 --max-turns 5 --budget-s 1500

``smollm2`` is prepared on first use (``nexgym models prepare``). ``--budget-s`` stops
starting new episodes once spent (the table says how many ran). Writes
``benchmarks/results/llm_baselines.md`` and ``.json`` (``--results`` to change).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import gymnasium as gym

import nexgym
from nexgym.policies import make_policy
from nexgym.registry import load_catalog_spec

HERE = Path(__file__).resolve().parent


def evaluation_split(count: int) -> list[str]:
    """``count`` catalog envs, one per domain in turn (domains and ids sorted)."""
    by_domain: dict[str, list[str]] = defaultdict(list)
    for env_id in sorted(nexgym.list_envs()):
        by_domain[load_catalog_spec(env_id).domain].append(env_id)
    picked: list[str] = []
    depth = 0
    while len(picked) < count and any(len(v) > depth for v in by_domain.values()):
        for domain in sorted(by_domain):
            if depth < len(by_domain[domain]) and len(picked) < count:
                picked.append(by_domain[domain][depth])
        depth += 1
    return picked


def play(env_id: str, policy_name: str, seed: int, max_turns: int, **policy_kw: Any) -> dict:
    """One greedy episode of the root role; its outcome, turns and valid-action count."""
    env = gym.make(env_id, max_turns=max_turns)
    try:
        policy = make_policy(policy_name, env, **policy_kw)
        observation, info = env.reset(seed=seed)
        turns = valid = 0
        done = False
        started = time.perf_counter()
        while not done:
            observation, _, terminated, truncated, info = env.step(policy(observation, info))
            turns += 1
            valid += "invalid_reason" not in info
            done = terminated or truncated
        spec = load_catalog_spec(env_id)
        return {
            "env_id": env_id,
            "domain": spec.domain,
            "topology": str(spec.topology),
            "seed": seed,
            "success": bool(info.get("success", False)),
            "turns": turns,
            "valid": valid,
            "seconds": round(time.perf_counter() - started, 2),
        }
    finally:
        env.close()


def summarize(rows: list[dict], key: str | None = None) -> dict[str, dict]:
    """success, pass^k, valid-action rate and mean turns, overall or grouped by ``key``."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups["all" if key is None else row[key]].append(row)
    out = {}
    for name, members in sorted(groups.items()):
        by_env: dict[str, list[bool]] = defaultdict(list)
        for row in members:
            by_env[row["env_id"]].append(row["success"])
        out[name] = {
            "episodes": len(members),
            "success": sum(r["success"] for r in members) / len(members),
            "pass_k": sum(all(v) for v in by_env.values()) / len(by_env),
            "valid": sum(r["valid"] for r in members) / max(1, sum(r["turns"] for r in members)),
            "turns": sum(r["turns"] for r in members) / len(members),
        }
    return out


def table(results: dict[str, list[dict]], seeds: int) -> str:
    lines = [
        f"| model | group | episodes | success | pass^{seeds} | valid actions | mean turns |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model, rows in results.items():
        if not rows:
            continue
        for key in (None, "domain", "topology"):
            for name, s in summarize(rows, key).items():
                group = "all" if key is None else f"{key}: {name}"
                lines.append(
                    f"| {model} | {group} | {s['episodes']} | {s['success']:.2f} | "
                    f"{s['pass_k']:.2f} | {s['valid']:.2f} | {s['turns']:.1f} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", default="smollm2", help="checkpoints or known names, comma-separated"
    )
    parser.add_argument("--envs", type=int, default=12, help="envs in the evaluation split")
    parser.add_argument("--seeds", type=int, default=2, help="task seeds per env (pass^k's k)")
    parser.add_argument("--max-turns", type=int, default=15, help="actions per episode")
    parser.add_argument("--max-new-tokens", type=int, default=96, help="longest action")
    parser.add_argument(
        "--budget-s", type=float, default=900.0, help="stop starting episodes after"
    )
    parser.add_argument("--results", default=str(HERE / "results" / "llm_baselines"))
    args = parser.parse_args()

    split = evaluation_split(args.envs)
    episodes = [(env_id, 1000 + s) for s in range(args.seeds) for env_id in split]
    results: dict[str, list[dict]] = {"oracle": []}
    for env_id, seed in episodes:
        results["oracle"].append(play(env_id, "oracle", seed, args.max_turns))
    started = time.perf_counter()
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        rows = results.setdefault(f"hf:{model}", [])
        for env_id, seed in episodes:
            if time.perf_counter() - started > args.budget_s:
                break
            row = play(
                env_id, f"hf:{model}", seed, args.max_turns, max_new_tokens=args.max_new_tokens
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
    elapsed = time.perf_counter() - started
    planned = len(episodes)
    text = table(results, args.seeds)
    header = (
        f"Evaluation split: {len(split)} envs x {args.seeds} seeds (first task seed 1000), "
        f"max {args.max_turns} turns, greedy, root role, up to {args.max_new_tokens} new tokens "
        f"per action; {planned} episodes planned per model, "
        + ", ".join(f"{m}: {len(r)} run" for m, r in results.items())
        + f"; {elapsed:.0f} s of model time on {platform.machine()} CPU.\n\nEnvs: "
        + ", ".join(split)
    )
    print(text)
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(f"# LLM baselines\n\n{header}\n\n{text}\n")
    out.with_suffix(".json").write_text(
        json.dumps({"args": vars(args), "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
