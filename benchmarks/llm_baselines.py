"""What a user gets from a pretrained model on nexgym, before and after training.

A fixed evaluation split of the catalog (envs taken one domain at a time from the
deterministic envs, seed 0, so the split never changes with the machine) is played by
a local checkpoint as the root role (teammates are nexgym's instructed teammates), on
task seeds never used for training:

* ``zero-shot``: the pretrained model as it is;
* ``sft``: the same model after ``nexgym train sft`` on root-role oracle chats of other
  envs of the catalog (the training split; no evaluation env, no evaluation task);
* ``sft, training envs``: the SFT model on unseen tasks of envs it trained on.

Reported per model: success (greedy), pass^k (k sampled trials at temperature 0.7, every
one solved), valid-action rate and mean turns, overall, per domain group and per
topology. All episodes of a model advance together, one batched ``generate`` per turn
(:func:`nexgym.training.evaluation.evaluate_model`), so a GPU is used when present.

    python benchmarks/llm_baselines.py                      # GPU-sized defaults
    python benchmarks/llm_baselines.py --preset cpu         # a CPU-sized run (about 1 h)
    python benchmarks/llm_baselines.py --base DIR --skip-sft

Writes ``benchmarks/results/llm_baselines.md`` and ``.json`` (``--results``), the SFT
checkpoint under ``benchmarks/out/llm_baselines/sft`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path
from typing import Any

from llm_common import (
    EVAL_SEED,
    HERE,
    Clock,
    deterministic_envs,
    family,
    load,
    oracle_chats,
    quiet,
    round_robin,
    sft,
    sft_losses,
)

from nexgym.catalog import load_catalog_spec

PRESETS: dict[str, dict[str, Any]] = {
    "gpu": dict(
        eval_envs=32,
        tasks=2,
        trials=3,
        train_envs=128,
        train_chats=512,
        sft_steps=200,
        batch_size=8,
        batch=256,
        max_turns=8,
    ),
    "cpu": dict(
        eval_envs=6,
        tasks=1,
        trials=2,
        train_envs=24,
        train_chats=48,
        sft_steps=12,
        batch_size=2,
        batch=6,
        max_turns=5,
    ),
    "smoke": dict(
        eval_envs=3,
        tasks=1,
        trials=2,
        train_envs=4,
        train_chats=8,
        sft_steps=2,
        batch_size=2,
        batch=8,
        max_turns=3,
    ),
}


def evaluation_split(eval_envs: int, train_envs: int) -> tuple[list[str], list[str]]:
    """The evaluation envs and the training envs (disjoint), both drawn with seed 0."""
    envs = deterministic_envs()
    # Half from the hand-written domains, half from synthesized worlds (there are far
    # more worlds: an unstratified draw would hardly show a hand-written domain).
    written = [e for e in envs if family(load_catalog_spec(e).domain) != "synthesized world"]
    worlds = [e for e in envs if e not in set(written)]
    evaluation = round_robin(written, eval_envs // 2, seed=0)
    evaluation += round_robin(worlds, eval_envs - len(evaluation), seed=0)
    rest = [e for e in envs if e not in set(evaluation)]
    return evaluation, round_robin(rest, train_envs, seed=1)


def play(model_dir: str | Path, tasks: list[tuple[str, int]], args: argparse.Namespace) -> dict:
    """Greedy episodes (success, valid actions, turns) and sampled trials (pass^k)."""
    from nexgym.training.evaluation import evaluate_model, summarize

    model, tokenizer, device = load(model_dir)
    common = dict(
        max_new_tokens=args.max_new_tokens,
        max_turns=args.max_turns,
        max_prompt_tokens=args.max_prompt_tokens,
        batch_size=args.batch,
    )
    clock = Clock(0)
    greedy = evaluate_model(model, tokenizer, tasks, **common)
    sampled = (
        evaluate_model(
            model, tokenizer, tasks, trials=args.trials, temperature=0.7, seed=1, **common
        )
        if args.trials > 1
        else []
    )
    rows = [dict(o.as_dict(), family=family(o.domain)) for o in greedy]
    samples = [dict(o.as_dict(), family=family(o.domain)) for o in sampled]
    summary: dict[str, Any] = {}
    for key in (None, "family", "topology"):
        greedy_groups = summarize(rows, key)
        sampled_groups = summarize(samples, key) if samples else {}
        for name, values in greedy_groups.items():
            group = "all" if key is None else f"{key}: {name}"
            summary[group] = {
                **values,
                "pass_k": sampled_groups.get(name, {}).get("pass_k"),
                "sampled_success": sampled_groups.get(name, {}).get("success"),
            }
    del model
    return {
        "device": device,
        "seconds": round(clock.elapsed(), 1),
        "summary": summary,
        "greedy": rows,
        "sampled": samples,
    }


def table(results: dict[str, dict], trials: int) -> str:
    """The markdown table of every model's summary."""
    lines = [
        f"| model | group | tasks | success | pass^{trials} | valid actions | mean turns |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model, result in results.items():
        for group, s in result["summary"].items():
            pass_k = "-" if s["pass_k"] is None else f"{s['pass_k']:.2f}"
            lines.append(
                f"| {model} | {group} | {s['tasks']} | {s['success']:.2f} | {pass_k} | "
                f"{s['valid']:.2f} | {s['turns']:.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="gpu")
    parser.add_argument("--base", default="smollm2", help="pretrained checkpoint or known name")
    parser.add_argument("--eval-envs", type=int)
    parser.add_argument("--tasks", type=int, help="task seeds per evaluation env")
    parser.add_argument("--trials", type=int, help="sampled trials per task (pass^k's k)")
    parser.add_argument("--train-envs", type=int)
    parser.add_argument("--train-chats", type=int, help="oracle chats for SFT")
    parser.add_argument("--sft-steps", type=int)
    parser.add_argument("--batch-size", type=int, help="SFT batch size")
    parser.add_argument("--batch", type=int, help="episodes per generate call")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=3072, help="longest SFT sequence")
    parser.add_argument("--max-turns", type=int)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--max-prompt-tokens", type=int, default=3072)
    parser.add_argument("--skip-sft", action="store_true")
    parser.add_argument("--out", default=str(HERE / "out" / "llm_baselines"))
    parser.add_argument("--results", default=str(HERE / "results" / "llm_baselines"))
    args = parser.parse_args()
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    quiet()
    clock = Clock(0)
    evaluation, training = evaluation_split(args.eval_envs, args.train_envs)
    tasks = [(e, EVAL_SEED + j) for e in evaluation for j in range(args.tasks)]
    results: dict[str, dict] = {}
    sft_info: dict[str, Any] = {}

    def write() -> None:  # after every phase, so that a run cut short keeps what it did
        write_results(args, evaluation, training, sft_info, results, clock)

    results["zero-shot"] = play(args.base, tasks, args)
    print(f"zero-shot done at {clock.elapsed():.0f}s", flush=True)
    write()
    if not args.skip_sft:
        examples = oracle_chats(training, args.train_chats)
        model_dir = sft(
            examples,
            args.base,
            Path(args.out) / "sft",
            steps=args.sft_steps,
            lr=args.lr,
            batch_size=args.batch_size,
            max_length=args.max_length,
            seed=0,
        )
        losses = sft_losses(model_dir)
        sft_info.update(
            chats=len(examples),
            steps=args.sft_steps,
            first_loss=losses[0] if losses else None,
            final_loss=losses[-1] if losses else None,
            seconds=round(clock.elapsed(), 1),
            checkpoint=str(model_dir),
        )
        print(f"sft done at {clock.elapsed():.0f}s: {sft_info}", flush=True)
        results["sft"] = play(model_dir, tasks, args)
        write()
        seen = [(e, EVAL_SEED + j) for e in training[: args.eval_envs] for j in range(args.tasks)]
        results["sft, training envs"] = play(model_dir, seen, args)
        write()
    print(table(results, args.trials))


def write_results(
    args: argparse.Namespace,
    evaluation: list[str],
    training: list[str],
    sft_info: dict[str, Any],
    results: dict[str, dict],
    clock: Clock,
) -> None:
    """The markdown table and the JSON of everything played so far."""
    text = table(results, args.trials)
    device = results["zero-shot"]["device"]
    header = (
        f"Evaluation split: {len(evaluation)} envs x {args.tasks} tasks (task seeds from "
        f"{EVAL_SEED}), root role, greedy for success, {args.trials} trials at temperature 0.7 "
        f"for pass^{args.trials}, up to {args.max_turns} actions of {args.max_new_tokens} tokens; "
        f"base {args.base}; SFT on {sft_info.get('chats', 0)} oracle chats of "
        f"{len(training)} other envs, {args.sft_steps} steps; {clock.elapsed():.0f} s on "
        f"{device} ({platform.machine()}).\n\nEvaluation envs: " + ", ".join(evaluation)
    )
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(f"# LLM baselines\n\n{header}\n\n{text}\n")
    out.with_suffix(".json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "evaluation_envs": evaluation,
                "training_envs": training,
                "sft": sft_info,
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
