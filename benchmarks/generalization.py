"""Does training on more hierarchies generalize better to hierarchies never seen?

The suite's own test of the Nex thesis (environment diversity improves generalization).
Catalog envs are split, by env id, into a fixed held-out set and a pool of training
envs; for growing numbers ``k`` of training envs (nested sets: the first ``k`` of the
pool), a small model is trained from scratch (supervised, TRL's ``SFTTrainer``) on oracle
trajectories of those ``k`` envs, then plays held-out envs it never saw (``HFPolicy``,
greedy) and some of its training envs (on unseen tasks).

Fair comparison: every ``k`` gets the same total number of training episodes (split
evenly over its envs), the same optimizer steps, the same initial weights, and the same
tokenizer (trained once on the text of the largest training set, which holds no
held-out env). Only the number of distinct hierarchies changes.

The model plays the root agent (``control="root"``); its sub-agents are oracle
teammates. Envs qualify when their root is an orchestrator (it holds no domain tool,
only its sub-agents and ``finish``) and their domain is deterministic: the root's job is
to route the task to the right sub-agents of a hierarchy it may never have seen, in the
right order, and to report the answer, all of which its observations allow. The
oracle's own delegation messages quote plan steps that only the oracle knows (file
paths it never listed, ids it never searched); its teammates act on the plan, not on
the message, so the benchmark trains on a fixed delegation request instead
(:data:`DELEGATION`) and leaves everything else as the oracle played it.

    python benchmarks/generalization.py                    # the small preset (CPU, < 1 h)
    python benchmarks/generalization.py --preset smoke     # a minute-scale check
    python benchmarks/generalization.py --preset large     # a GPU-sized run

Results: a table on stdout, ``benchmarks/results/generalization.json`` and ``.png``
(``--results`` to change), checkpoints under ``benchmarks/out/generalization/``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import nexgym
from nexgym.registry import load_catalog_spec

HERE = Path(__file__).resolve().parent

#: The delegation message the training chats use (see the module docstring).
DELEGATION = "Do your part of the task and report the result."

PRESETS: dict[str, dict[str, Any]] = {
    "smoke": dict(
        train_sizes=[1, 2],
        heldout=1,
        episodes=16,
        steps=20,
        batch_size=4,
        eval_episodes=2,
        hidden_size=64,
        layers=2,
        vocab_size=1024,
        max_length=768,
    ),
    "small": dict(
        train_sizes=[1, 4, 16],
        heldout=8,
        episodes=96,
        steps=200,
        batch_size=8,
        eval_episodes=3,
        hidden_size=64,
        layers=2,
        vocab_size=2048,
        max_length=1024,
    ),
    "large": dict(
        train_sizes=[1, 4, 16, 64],
        heldout=16,
        episodes=1024,
        steps=3000,
        batch_size=16,
        eval_episodes=8,
        hidden_size=256,
        layers=6,
        vocab_size=4096,
        max_length=1536,
    ),
}


@dataclass
class Outcome:
    """Aggregates of a model on a set of envs.

    ``oracle_agreement`` is the share of the model's actions that call the tool (or
    sub-agent) the oracle would call in the same state: a dense measure of routing that
    moves before whole episodes succeed. ``answer_visible`` is a ceiling: the share of
    the same tasks whose expected answer (each part of it) appears in what the root
    sees when the oracle plays it; the rest need facts the sub-agents' reports leave out.
    """

    envs: int
    episodes: int
    success: float
    score: float
    valid_actions: float
    oracle_agreement: float
    actions_per_episode: float
    answer_visible: float


def eligible_envs(pattern: str | None) -> list[str]:
    """Registered envs with an orchestrator root and a deterministic domain."""
    from nexgym.envs.domains import domain_class

    from nexgym.runtime import Runtime
    from nexgym.training.grpo import match_env_ids

    out = []
    for env_id in match_env_ids(pattern) if pattern else nexgym.list_envs():
        spec = load_catalog_spec(env_id)
        if domain_class(spec.domain).nondeterministic or not spec.agent(spec.root).sub_agents:
            continue
        env = gym.make(env_id, control="root")
        runtime = env.unwrapped.runtime
        children = set(spec.agent(spec.root).sub_agents) | {"finish"}
        if type(runtime) is Runtime and set(runtime.tool_names(spec.root)) <= children:
            out.append(env_id)
        env.close()
    return out


def plain_delegations(example: dict[str, Any], sub_agents: set[str]) -> dict[str, Any]:
    """The example with every delegation's message replaced by :data:`DELEGATION`."""
    messages = []
    for message in example["messages"]:
        calls = message.get("tool_calls") or []
        if calls and calls[0]["function"]["name"] in sub_agents:
            call = calls[0]
            function = {**call["function"], "arguments": json.dumps({"task": DELEGATION})}
            message = {**message, "tool_calls": [{**call, "function": function}]}
        messages.append(message)
    return {**example, "messages": messages}


def oracle_solves(env_id: str, seed: int) -> bool:
    """Whether the oracle solves one task of the env as the benchmark plays it."""
    from nexgym.policies import OraclePolicy

    env = gym.make(env_id, control="root")
    try:
        policy = OraclePolicy(env)
        obs, info = env.reset(seed=seed)
        while True:
            obs, _, terminated, truncated, info = env.step(policy(obs, info))
            if terminated or truncated:
                return bool(info.get("success"))
    finally:
        env.close()


def split_envs(envs: list[str], heldout: int, seed: int) -> tuple[list[str], list[str]]:
    """Held-out envs and the ordered training pool, interleaving domains."""
    rng = np.random.default_rng(seed)
    by_domain: dict[str, list[str]] = {}
    for env_id in envs:
        by_domain.setdefault(load_catalog_spec(env_id).domain, []).append(env_id)
    queues = []
    for domain in sorted(by_domain):
        members = sorted(by_domain[domain])
        queues.append([members[i] for i in rng.permutation(len(members))])
    order = []
    while any(queues):
        for queue in queues:
            if queue:
                order.append(queue.pop(0))
    return order[:heldout], order[heldout:]


def answer_visible(env_ids: list[str], episodes: int) -> float:
    """Share of the evaluation tasks whose answer the root can read in its observations."""
    from nexgym.policies import OraclePolicy

    visible = []
    for env_id in env_ids:
        env = gym.make(env_id, control="root")
        policy = OraclePolicy(env)
        for j in range(episodes):
            obs, info = env.reset(seed=100_000 + j)
            seen = [obs]
            while True:
                obs, _, terminated, truncated, info = env.step(policy(obs, info))
                seen.append(obs)
                if terminated or truncated:
                    break
            answer = env.unwrapped.runtime.task.answer
            text = "\n".join(seen).lower()
            parts = [] if answer is None else [p.strip().lower() for p in answer.split(";")]
            visible.append(all(p in text for p in parts if p))
        env.close()
    return float(np.mean(visible)) if visible else 0.0


def evaluate(
    model_dir: Path,
    env_ids: list[str],
    episodes: int,
    max_new_tokens: int,
    max_actions: int,
    device: str,
) -> Outcome:
    """Play ``episodes`` unseen tasks of each env with the model (greedy), all in lockstep."""
    from nexgym.policies import HFPolicy, OraclePolicy
    from nexgym.runtime.parsing import parse_action

    envs, state = [], {}
    for env_id in env_ids:
        for j in range(episodes):
            env = gym.make(env_id, control="root", return_history=True)
            state[len(envs)] = env.reset(seed=100_000 + j)
            envs.append(env)
    policy = HFPolicy(envs[0], str(model_dir), max_new_tokens=max_new_tokens, device=device)
    oracles = [OraclePolicy(env) for env in envs]
    live = list(range(len(envs)))
    success, score = np.zeros(len(envs)), np.zeros(len(envs))
    actions, valid, agree = np.zeros(len(envs)), np.zeros(len(envs)), np.zeros(len(envs))
    for _ in range(max_actions):
        if not live:
            break
        texts = policy.act_batch([state[i][0] for i in live], [state[i][1] for i in live])
        still = []
        for i, text in zip(live, texts, strict=True):
            wanted = oracles[i].call(*state[i]).name
            call = parse_action(text)
            agree[i] += getattr(call, "name", None) == wanted
            obs, _, terminated, truncated, info = envs[i].step(text)
            actions[i] += 1
            valid[i] += info["action_kind"] != "invalid"
            if terminated or truncated:
                success[i] = float(info.get("success", False))
                score[i] = float(info.get("score", 0.0))
            else:
                state[i] = (obs, info)
                still.append(i)
        live = still
    for env in envs:
        env.close()
    total = max(actions.sum(), 1)
    return Outcome(
        envs=len(env_ids),
        episodes=len(envs),
        success=float(success.mean()),
        score=float(score.mean()),
        valid_actions=float(valid.sum() / total),
        oracle_agreement=float(agree.sum() / total),
        actions_per_episode=float(actions.mean()),
        answer_visible=answer_visible(env_ids, episodes),
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    from transformers.utils import logging as hf_logging

    from nexgym.training.data import oracle_examples
    from nexgym.training.generation import resolve_device
    from nexgym.training.sft import SFTSettings, train_sft
    from nexgym.training.tiny import (
        TinyModelConfig,
        build_tiny_model,
        example_texts,
        train_tokenizer,
    )

    hf_logging.disable_progress_bar()
    try:
        import datasets

        datasets.disable_progress_bars()
    except ImportError:
        pass
    started = time.perf_counter()
    device = resolve_device(args.device)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    candidates = eligible_envs(args.envs)
    solvable = [e for e in candidates if oracle_solves(e, args.seed)]
    heldout, pool = split_envs(solvable, args.heldout, args.seed)
    sizes = sorted({k for k in args.train_sizes if k <= len(pool)})
    dropped = sorted(set(args.train_sizes) - set(sizes))
    if not sizes or not heldout:
        raise SystemExit(
            f"need held-out envs and a training pool; got {len(solvable)} eligible "
            f"envs ({len(candidates)} with sub-agents) for heldout={args.heldout}"
        )
    print(
        f"{len(solvable)} eligible envs: {len(heldout)} held out, pool of {len(pool)}; "
        f"train sizes {sizes}" + (f" (dropped {dropped}: pool too small)" if dropped else "")
    )

    # Episodes per env: env i of the pool serves every k > i; the smallest such k needs most.
    need = {}
    for i, env_id in enumerate(pool[: max(sizes)]):
        k_first = min(k for k in sizes if k > i)
        need[env_id] = math.ceil(args.episodes / k_first)
    examples: dict[str, list[dict[str, Any]]] = {}
    t0 = time.perf_counter()
    for env_id, n in need.items():
        spec = load_catalog_spec(env_id)
        children = set(spec.agent(spec.root).sub_agents)
        examples[env_id] = [
            plain_delegations(e, children)
            for e in oracle_examples(
                env_id, episodes=n, seed=args.seed, control="root", roles="controlled"
            )
        ]
    collect_s = time.perf_counter() - t0
    corpus = [text for env_id in need for text in example_texts(examples[env_id])]
    tokenizer = train_tokenizer(corpus, vocab_size=args.vocab_size)
    lengths = [
        len(
            tokenizer.apply_chat_template(
                e["messages"], tools=json.loads(e["tools"]), return_dict=False
            )
        )
        for env_examples in examples.values()
        for e in env_examples
    ]
    turn_tokens = [
        len(tokenizer(m["tool_calls"][0]["function"]["arguments"])["input_ids"]) + 24
        for env_examples in examples.values()
        for e in env_examples
        for m in e["messages"]
        if m.get("tool_calls")
    ]
    max_new_tokens = int(min(args.max_new_tokens, max(turn_tokens) * 1.25))
    print(
        f"oracle data: {sum(map(len, examples.values()))} root chats in {collect_s:.1f}s; "
        f"tokens per chat median {int(np.median(lengths))}, max {max(lengths)}; "
        f"actions up to {max_new_tokens} new tokens"
    )

    config = TinyModelConfig(
        hidden_size=args.hidden_size,
        layers=args.layers,
        heads=args.heads,
        max_positions=max(args.max_length * 2, 2048),
    )
    rows = []
    for k in sizes:
        train_envs = pool[:k]
        per_env = math.ceil(args.episodes / k)
        data = [e for env_id in train_envs for e in examples[env_id][:per_env]]
        init = out / f"k{k}" / "init"
        init.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(init)
        build_tiny_model(tokenizer, config, seed=args.seed).save_pretrained(init)
        settings = SFTSettings(
            max_steps=args.steps,
            learning_rate=args.lr,
            batch_size=args.batch_size,
            max_length=args.max_length,
            device=device,
            seed=args.seed,
            logging_steps=max(1, args.steps // 10),
        )
        t0 = time.perf_counter()
        model_dir = train_sft(data, init, out / f"k{k}" / "model", settings)
        train_s = time.perf_counter() - t0
        log = json.loads((model_dir / "nexgym_sft.json").read_text())["log"]
        losses = [r["loss"] for r in log if "loss" in r]
        t0 = time.perf_counter()
        held = evaluate(
            model_dir, heldout, args.eval_episodes, max_new_tokens, args.max_actions, device
        )
        seen = evaluate(
            model_dir,
            train_envs[: len(heldout)],
            args.eval_episodes,
            max_new_tokens,
            args.max_actions,
            device,
        )
        eval_s = time.perf_counter() - t0
        row = dict(
            k=k,
            train_envs=train_envs,
            chats=len(data),
            first_loss=losses[0],
            final_loss=losses[-1],
            train_seconds=round(train_s, 1),
            eval_seconds=round(eval_s, 1),
            heldout=asdict(held),
            train=asdict(seen),
        )
        rows.append(row)
        print(
            f"k={k:>3}: {len(data)} chats, loss {losses[0]:.2f} -> {losses[-1]:.3f} "
            f"({train_s:.0f}s); held-out success {held.success:.2f} "
            f"(valid {held.valid_actions:.2f}), train-env success {seen.success:.2f} "
            f"({eval_s:.0f}s)",
            flush=True,
        )
    return dict(
        preset=args.preset,
        settings={
            key: getattr(args, key)
            for key in (
                "train_sizes",
                "heldout",
                "episodes",
                "steps",
                "batch_size",
                "lr",
                "eval_episodes",
                "hidden_size",
                "layers",
                "heads",
                "vocab_size",
                "max_length",
                "max_actions",
                "seed",
            )
        },
        max_new_tokens=max_new_tokens,
        device=device,
        machine=dict(
            platform=platform.platform(), cpus=os.cpu_count(), torch_threads=_torch_threads()
        ),
        catalog_envs=len(nexgym.list_envs()),
        eligible_envs=len(solvable),
        heldout_envs=heldout,
        chat_tokens=dict(median=int(np.median(lengths)), max=int(max(lengths))),
        rows=rows,
        total_seconds=round(time.perf_counter() - started, 1),
    )


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def print_table(result: dict[str, Any]) -> None:
    header = (
        f"{'k':>4} {'chats':>6} {'loss':>7} {'held-out succ':>14} {'valid':>6} {'agree':>6} "
        f"{'train succ':>11} {'valid':>6} {'agree':>6} {'train s':>8} {'eval s':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in result["rows"]:
        print(
            f"{r['k']:>4} {r['chats']:>6} {r['final_loss']:>7.3f} "
            f"{r['heldout']['success']:>14.2f} {r['heldout']['valid_actions']:>6.2f} "
            f"{r['heldout']['oracle_agreement']:>6.2f} {r['train']['success']:>11.2f} "
            f"{r['train']['valid_actions']:>6.2f} {r['train']['oracle_agreement']:>6.2f} "
            f"{r['train_seconds']:>8.0f} {r['eval_seconds']:>7.0f}"
        )
    print(
        f"total {result['total_seconds']:.0f}s on {result['device']}; "
        f"{len(result['heldout_envs'])} held-out envs x {result['settings']['eval_episodes']} tasks"
    )


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = [r["k"] for r in result["rows"]]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.plot(ks, [r["heldout"]["success"] for r in result["rows"]], "o-", label="held-out envs")
    ax.plot(ks, [r["train"]["success"] for r in result["rows"]], "s--", label="training envs")
    ax.plot(
        ks,
        [r["heldout"]["valid_actions"] for r in result["rows"]],
        "^:",
        label="held-out valid-action rate",
    )
    ax.plot(
        ks,
        [r["heldout"]["oracle_agreement"] for r in result["rows"]],
        "v-.",
        label="held-out agreement with the oracle",
    )
    ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("training hierarchies k (same total episodes)")
    ax.set_ylabel("rate")
    ax.set_title(f"Tiny model from scratch, {result['preset']} preset")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--train-sizes", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--heldout", type=int, help="held-out envs")
    parser.add_argument("--episodes", type=int, help="training episodes in total, for every k")
    parser.add_argument("--steps", type=int, help="optimizer steps for every k")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--eval-episodes", type=int, help="unseen tasks per evaluated env")
    parser.add_argument("--hidden-size", type=int)
    parser.add_argument("--layers", type=int)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab-size", type=int)
    parser.add_argument("--max-length", type=int, help="longest training chat in tokens")
    parser.add_argument("--max-new-tokens", type=int, default=256, help="cap on action length")
    parser.add_argument("--max-actions", type=int, default=8, help="actions per eval episode")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--envs", help="restrict to env globs, comma-separated")
    parser.add_argument("--device", default="auto", help="auto uses CUDA when present")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "out" / "generalization"))
    parser.add_argument(
        "--results",
        default=str(HERE / "results" / "generalization"),
        help="results path without extension (.json and .png are written)",
    )
    parser.add_argument("--replot", metavar="JSON", help="only print and plot an earlier result")
    args = parser.parse_args()
    if args.replot:
        result = json.loads(Path(args.replot).read_text())
        print_table(result)
        plot(result, Path(args.replot).with_suffix(".png"))
        return
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    result = run(args)
    print_table(result)
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, results.with_suffix(".png"))
    print(f"wrote {results.with_suffix('.json')} and {results.with_suffix('.png')}")


if __name__ == "__main__":
    main()
