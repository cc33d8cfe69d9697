"""Does SB3's MaskablePPO learn nexgym envs? Learning curves against random and the oracle.

For each env, MaskablePPO (sb3-contrib) trains on a training split of task seeds through
``DiscreteActions`` (the admissible tool calls as indices, with masks) and
``HashedObservation`` (hashed bag-of-words features), on ``make_vec_env`` vector envs.
Every ``--eval-every`` steps the greedy policy plays held-out tasks (task seeds the
training never draws). The baselines play the same held-out tasks: a uniformly random
choice among the admissible indices (the same action space, no learning), and the
scripted oracle on the text env (the ceiling; it reads the task's plan). With ``--ppo``
plain PPO (no masks; out-of-mask indices are invalid actions) trains on the first env
too.

Envs: ``--envs`` ids, or by default for each of ``--domains`` the first catalog env of
that domain with a single agent (``topology: single``); a domain with none gets a
one-agent spec holding all its tools (named ``Solo<Domain>`` in the results).

    python benchmarks/sb3_learning.py                       # three domains, ~10 min each
    python benchmarks/sb3_learning.py --timesteps 4000 --eval-episodes 20   # a smoke run

Results: a table on stdout, ``benchmarks/results/sb3_learning.json`` and ``.png``
(``--results`` to change); models under ``benchmarks/out/sb3_learning/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from nexgym.envs.domains import get_domain
from nexgym.wrappers import DiscreteActions, HashedObservation

import nexgym
from nexgym.policies import OraclePolicy
from nexgym.registry import load_catalog_spec

HERE = Path(__file__).resolve().parent
#: Held-out task seeds start here; training draws from range(TRAIN_TASKS).
HELDOUT_START = 1_000_000
TRAIN_TASKS = 5_000


def solo_spec(domain: str) -> dict[str, Any]:
    """A one-agent hierarchy holding every tool of ``domain``."""
    tools = list(get_domain(domain).tool_names)
    return {
        "name": f"Solo{domain.title()}",
        "description": f"One agent with every {domain} tool.",
        "domain": domain,
        "topology": "single",
        "root": "agent",
        "agents": [{"name": "agent", "role": "You do the whole task yourself.", "tools": tools}],
    }


def pick_envs(domains: list[str]) -> dict[str, Any]:
    """Label -> env id or spec dict: a single-agent catalog env per domain, else a solo spec."""
    chosen: dict[str, Any] = {}
    for domain in domains:
        for env_id in nexgym.list_envs():
            spec = load_catalog_spec(env_id)
            if spec.domain == domain and len(spec.agents) == 1:
                chosen[env_id] = env_id
                break
        else:
            spec_dict = solo_spec(domain)
            chosen[spec_dict["name"]] = spec_dict
    return chosen


def make_text_env(target: Any, args: argparse.Namespace, train: bool) -> gym.Env:
    kwargs: dict[str, Any] = {"max_turns": args.max_turns, "difficulty": args.difficulty}
    if train:
        kwargs["task_seeds"] = range(TRAIN_TASKS)
    if isinstance(target, str):
        return gym.make(target, **kwargs)
    return nexgym.make_env(target, **kwargs)


def make_learning_env(target: Any, args: argparse.Namespace, train: bool) -> gym.Env:
    env = DiscreteActions(make_text_env(target, args, train), max_actions=args.max_actions)
    return HashedObservation(env, dim=args.dim, action_dim=args.action_dim)


def evaluate(
    target: Any,
    args: argparse.Namespace,
    choose: Callable[[gym.Env, Any, dict[str, Any]], Any],
    *,
    text: bool = False,
) -> dict[str, float]:
    """Success rate and mean return of ``choose`` on the held-out tasks."""
    env = make_text_env(target, args, False) if text else make_learning_env(target, args, False)
    successes, returns = 0, []
    for k in range(args.eval_episodes):
        obs, info = env.reset(seed=k, options={"task_seed": HELDOUT_START + k})
        total = 0.0
        while True:
            obs, reward, terminated, truncated, info = env.step(choose(env, obs, info))
            total += float(reward)
            if terminated or truncated:
                break
        successes += bool(info.get("success"))
        returns.append(total)
    env.close()
    return {"success": successes / args.eval_episodes, "return": float(np.mean(returns))}


def oracle(env: gym.Env, obs: Any, info: dict[str, Any]) -> str:
    """The scripted oracle's action (it reads the task's plan: the ceiling)."""
    return OraclePolicy(env)(obs, info)


def unique_shape_fraction(target: Any, args: argparse.Namespace, tasks: int = 50) -> float:
    """How often an oracle plan step is the only admissible call of its tool and argument names.

    A high value means the plan's calls stand out among the distractors by their shape
    alone, which makes the task easier to learn than the instruction would suggest.
    """
    env = make_text_env(target, args, False).unwrapped
    domain, unique, total = env.domain, 0, 0
    tools = list(env.hierarchy.agents[0].tools)
    for k in range(tasks):
        task = domain.generate_task(HELDOUT_START + k, args.difficulty)
        shapes: dict[tuple[str, tuple[str, ...]], int] = {}
        for call in domain.admissible_calls(task, task.world, tools):
            key = (call.name, tuple(sorted(call.arguments)))
            shapes[key] = shapes.get(key, 0) + 1
        for step in task.plans[0]:
            total += 1
            unique += shapes.get((step.name, tuple(sorted(step.arguments))), 0) == 1
    env.close()
    return round(unique / max(total, 1), 3)


def train_curve(
    target: Any, args: argparse.Namespace, algo: str, out_dir: Path
) -> list[dict[str, float]]:
    import torch
    from sb3_contrib import MaskablePPO
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    venv = make_vec_env(
        lambda: make_learning_env(target, args, True), n_envs=args.n_envs, seed=args.seed
    )
    common = dict(
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        ent_coef=args.ent_coef,
        gamma=0.99,
        seed=args.seed,
        device="cpu",
        policy_kwargs={"net_arch": [256, 256]},
        verbose=0,
    )
    model = (MaskablePPO if algo == "MaskablePPO" else PPO)("MlpPolicy", venv, **common)

    def greedy(env: gym.Env, obs: Any, info: dict[str, Any]) -> int:
        if algo == "MaskablePPO":
            masks = env.get_wrapper_attr("action_masks")()
            return int(model.predict(obs, action_masks=masks, deterministic=True)[0])
        return int(model.predict(obs, deterministic=True)[0])

    curve = [{"steps": 0, **evaluate(target, args, greedy), "seconds": 0.0}]
    start = time.perf_counter()
    while curve[-1]["steps"] < args.timesteps:
        model.learn(args.eval_every, reset_num_timesteps=False)
        point = {
            "steps": int(model.num_timesteps),
            **evaluate(target, args, greedy),
            "seconds": round(time.perf_counter() - start, 1),
        }
        curve.append(point)
        print(f"  {algo} {point}", flush=True)
    model.save(out_dir / f"{_label(target)}_{algo}.zip")
    venv.close()
    return curve


def _label(target: Any) -> str:
    return target if isinstance(target, str) else target["name"]


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = results["envs"]
    fig, axes = plt.subplots(1, len(envs), figsize=(4.2 * len(envs), 3.4), squeeze=False)
    for ax, (label, entry) in zip(axes[0], envs.items(), strict=True):
        for algo, curve in entry["curves"].items():
            ax.plot(
                [p["steps"] for p in curve], [p["success"] for p in curve], marker="o", label=algo
            )
        ax.axhline(entry["oracle"]["success"], color="green", ls="--", label="oracle")
        ax.axhline(entry["random"]["success"], color="red", ls=":", label="random (masked)")
        ax.set_title(label.removeprefix("nex/"), fontsize=10)
        ax.set_xlabel("training env steps")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 0.1))
    axes[0][0].set_ylabel(f"success on {results['config']['eval_episodes']} held-out tasks")
    fig.suptitle("MaskablePPO on nexgym envs (DiscreteActions + HashedObservation)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(results: dict[str, Any]) -> None:
    """Print the final table: random, final and best learned, oracle success."""
    print(f"\n{'env':28} {'random':>7} {'final':>7} {'best':>7} {'oracle':>7}")
    for label, entry in results["envs"].items():
        curve = entry["curves"]["MaskablePPO"]
        print(
            f"{label:28} {entry['random']['success']:7.2f} {curve[-1]['success']:7.2f} "
            f"{max(p['success'] for p in curve):7.2f} {entry['oracle']['success']:7.2f}"
        )


def merge(paths: list[str], target: str) -> None:
    """One results file (and plot) from runs made separately (e.g. one process per env)."""
    merged: dict[str, Any] = {}
    for path in paths:
        part = json.loads(Path(path).read_text())
        if not merged:
            merged = {**part, "envs": {}, "runs": []}
            merged["config"] = {**part["config"], "domains": [], "envs": []}
        merged["config"]["domains"] += part["config"]["domains"] or []
        merged["config"]["envs"] += list(part["envs"])
        merged["envs"].update(part["envs"])
        merged["runs"].append({"file": Path(path).name, "config": part["config"]})
    Path(f"{target}.json").write_text(json.dumps(merged, indent=2) + "\n")
    plot(merged, Path(f"{target}.png"))
    report(merged)
    print(f"wrote {target}.json and .png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", nargs="*", default=None, help="env ids (default: by domain)")
    parser.add_argument("--domains", nargs="*", default=["inventory", "calendar", "email"])
    parser.add_argument("--timesteps", type=int, default=40_000, help="training steps per env")
    parser.add_argument("--eval-every", type=int, default=5_000)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--n-envs", type=int, default=4)
    parser.add_argument("--n-steps", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--ent-coef", type=float, default=0.01)
    parser.add_argument("--max-turns", type=int, default=6)
    parser.add_argument("--difficulty", type=int, default=1)
    parser.add_argument("--max-actions", type=int, default=96)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--action-dim", type=int, default=16)
    parser.add_argument("--ppo", action="store_true", help="also train plain PPO on the first env")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", default=str(HERE / "results" / "sb3_learning"))
    parser.add_argument(
        "--merge", nargs="*", default=None, help="combine these results JSON files; no training"
    )
    args = parser.parse_args()
    if args.merge:
        merge(args.merge, args.results)
        return

    out_dir = HERE / "out" / "sb3_learning"
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = {e: e for e in args.envs} if args.envs else pick_envs(args.domains)
    results: dict[str, Any] = {
        "config": {k: v for k, v in vars(args).items() if k != "results"},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "heldout_task_seeds": f"{HELDOUT_START}..{HELDOUT_START + args.eval_episodes - 1}",
        "train_task_seeds": f"0..{TRAIN_TASKS - 1}",
        "envs": {},
    }
    rng = np.random.default_rng(args.seed)

    def random_masked(env: gym.Env, obs: Any, info: dict[str, Any]) -> int:
        return int(rng.choice(np.flatnonzero(env.get_wrapper_attr("action_masks")())))

    for i, (label, target) in enumerate(targets.items()):
        print(f"{label}:", flush=True)
        entry: dict[str, Any] = {
            "target": target,
            "random": evaluate(target, args, random_masked),
            "oracle": evaluate(target, args, oracle, text=True),
            "plan_steps_with_a_unique_shape": unique_shape_fraction(target, args),
            "curves": {},
        }
        print(f"  random {entry['random']}  oracle {entry['oracle']}", flush=True)
        entry["curves"]["MaskablePPO"] = train_curve(target, args, "MaskablePPO", out_dir)
        if args.ppo and i == 0:
            entry["curves"]["PPO"] = train_curve(target, args, "PPO", out_dir)
        results["envs"][label] = entry
        Path(f"{args.results}.json").parent.mkdir(parents=True, exist_ok=True)
        Path(f"{args.results}.json").write_text(json.dumps(results, indent=2) + "\n")

    report(results)
    plot(results, Path(f"{args.results}.png"))
    print(f"wrote {args.results}.json and .png")


if __name__ == "__main__":
    main()
