"""How do coordination topologies contain or amplify the errors of their agents?

After "Towards a Science of Scaling Agent Systems" (Kim et al., 2025). For each topology
(single, independent, centralized, decentralized, hybrid) a team of simulated agents
(scripted oracles that, at each step, make a random well-formed call with probability
``error_rate`` instead of following the task's plan) solves the same tasks across
several domains. Every agent of a team has the same per-step error rate; the single
agent at the same rate is the baseline of the overhead, efficiency and error
amplification metrics (:mod:`nexgym.metrics`).

Each domain's team is built from one spec holding all of the domain's tools, re-shaped
by :func:`nexgym.topology.apply_topology`; every (topology, error rate) cell plays the
same task seeds with the same episode seeds, through the PettingZoo Parallel view. In
the peer topologies the root is the aggregator (independent) or moderator
(decentralized) of :mod:`nexgym.topology.peers`: it briefs the peers, combines their work
and answers, and errs at the same rate as everyone else.

A second table asks who aggregates: on the peer topologies, the root is played by
different policies (Gymnasium view, ``control="root"``) while the peers are the env's
default teammates at the error rate: the oracle aggregator, one that cross-checks the
peers (keeps only the output most of them share), and three that should get nothing:
one that finishes at once, ``RandomPolicy``, and a task-blind one that briefs every peer
with an empty message, keeps everything and relays the first answer.

    python benchmarks/coordination.py                       # the default grid (minutes)
    python benchmarks/coordination.py --tasks 4 --error-rates 0 0.2   # a quick check

Results: the metrics table on stdout, ``benchmarks/results/coordination.md`` and
``coordination_error_amplification.png`` (``--results`` to change), every episode record
as JSON lines under ``benchmarks/out/coordination/``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from nexgym.envs.domains import domain_class

import nexgym
from nexgym.metrics import (
    EpisodeRecord,
    combination_loss,
    peer_success_rate,
    record_episode,
    summarize,
    summary_table,
)
from nexgym.policies import OraclePolicy, RandomPolicy
from nexgym.spec import HierarchySpec
from nexgym.tools import ToolCall

HERE = Path(__file__).resolve().parent
TOPOLOGIES = ("single", "independent", "centralized", "decentralized", "hybrid")
DOMAINS = ("files", "inventory", "support", "calendar", "travel", "finance")
READING = """## What an error does in each topology (in this simulation)

An error is one random well-formed call in place of the plan's next step: often a
wasted turn, sometimes a wrong change to the world, or an early ``finish``.

* single: a wrong change or an early finish fails the task; a wasted call is retried.
* independent: the aggregator briefs each peer once, merges every peer's changes into
  the team's world unchecked and relays the first peer's answer, so a wrong change or
  early answer by any of the n peers reaches the result; the aggregator's own error (an
  early finish, a merge of too few peers) fails the task too.
* centralized and hybrid: workers share one world, so a worker's wrong change stays;
  an orchestrator's early finish ends the episode; a worker that gives up early is
  re-assigned, at most ``rounds`` times per sub-task. Hybrid notes cost turns and
  widen every worker's menu (more ways to err).
* decentralized: the moderator briefs each peer, runs the debate rounds (each peer sees
  the others' answers), and selects the output most peers share (answer and state
  changes), so one erring peer of three is out-voted; it takes the most turns. The
  moderator errs too (an early finish, a peer call wasted on a random message, a
  random selection), and nothing out-votes it: it is the team's single point of failure.

`peer_success` is how often one peer alone solved the task on its own world;
`combination_loss` the share of episodes the team failed although some peer had solved
it: what the root's combination threw away (`nexgym.metrics`).

Random calls are not the errors of a language model (no shared misconceptions, so
peers rarely err alike), and the magnitudes here are not comparable to the paper's.
"""
AGGREGATOR_READING = """The peers of this table follow the hidden plan (the env's default teammate,
`OraclePolicy`, reads the task's plan rather than its brief), so a task-blind root still
gets their work done: here only what the root keeps and answers can go wrong. With
teammates that act on their brief, an empty brief gets no work done at all (see
`tests/pz/test_peer_aggregators.py`). `finish-at-once` and `random` fail either way:
the team's world changes only through the root's merge or choice.
"""
COLUMNS = [
    "topology",
    "error_rate",
    "episodes",
    "success_rate",
    "turns",
    "overhead_pct",
    "efficiency",
    "error_amplification",
    "amplification_ci95",
    "message_density",
    "redundancy",
    "peer_success",
    "combination_loss",
]
PEER_TOPOLOGIES = ("independent", "decentralized")
AGGREGATOR_COLUMNS = [
    "topology",
    "error_rate",
    "aggregator",
    "episodes",
    "success_rate",
    "peer_success",
    "combination_loss",
]


def domain_spec(domain: str) -> HierarchySpec:
    """One agent holding every tool of the domain: the shape every topology starts from."""
    tools = [tool.name for tool in domain_class(domain).tools]
    name = "".join(part.capitalize() for part in domain.split("_")) + "Bench"
    return HierarchySpec(
        name=name,
        domain=domain,
        topology="single",
        root="agent",
        agents=[{"name": "agent", "role": "You do the task with your tools.", "tools": tools}],
    )


def play(env: Any, policy: OraclePolicy, seed: int, task_seed: int) -> None:
    """One episode through the Parallel view: every acting agent is the erring oracle."""
    observations, infos = env.reset(seed=seed, options={"task_seed": task_seed})
    while env.agents:
        acting = [a for a in env.agents if infos[a]["acting"]]
        actions = {a: policy(observations[a], infos[a]) for a in acting}
        observations, _, _, _, infos = env.step(actions)


def run_grid(args: argparse.Namespace) -> list[EpisodeRecord]:
    records: list[EpisodeRecord] = []
    task_rng = np.random.default_rng(args.seed)
    tasks = {
        d: [int(s) for s in task_rng.integers(2**31 - 1, size=args.tasks)] for d in args.domains
    }
    for domain in args.domains:
        spec = domain_spec(domain)
        difficulty = min(args.difficulty, max(domain_class(domain).difficulties))
        for topology in args.topologies:
            params = {"n": args.n, "debate_rounds": args.debate_rounds, "rounds": args.rounds}
            env = nexgym.pz.parallel_env(
                spec,
                topology=topology,
                topology_params=params,
                difficulty=difficulty,
                max_cycles=args.max_cycles,
            )
            for rate in args.error_rates:
                policy = OraclePolicy(env, error_rate=rate)
                for k, task_seed in enumerate(tasks[domain]):
                    play(env, policy, seed=args.seed + k, task_seed=task_seed)
                    records.append(
                        record_episode(
                            env.runtime,
                            topology=topology,
                            task=f"{domain}:{task_seed}",
                            error_rate=rate,
                            domain=domain,
                        )
                    )
            env.close()
            print(f"  {domain:<10} {topology:<14} done", flush=True)
    return records


class FinishAtOnce:
    """A root that answers "Done." at once."""

    def __init__(self, env: Any) -> None:
        del env

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        return ToolCall("finish", {"answer": "Done."}).to_text()


class TaskBlind:
    """A root that never reads the task: empty briefs, keeps everything, relays."""

    def __init__(self, env: Any) -> None:
        self.env = env

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        runtime = self.env.unwrapped.runtime
        waiting = [p for p in runtime.peers if p.calls == 0]
        if waiting:
            return ToolCall(waiting[0].role, {"task": ""}).to_text()
        if not runtime.combination_made:
            if runtime.spec.topology == "independent":
                names = [p.role for p in runtime.peers]
                return ToolCall("merge_changes", {"peers": names}).to_text()
            return ToolCall("select_output", {"peer": runtime.peers[0].role}).to_text()
        answer = next((p.answer for p in runtime.peers if p.answered), "Done.")
        return ToolCall("finish", {"answer": answer or "Done."}).to_text()


class Checking:
    """The oracle aggregator, but it keeps only the output most peers share.

    It briefs each peer with the task (as the oracle does), then compares what came
    back: the answers and the changes each peer reported. An independent team's
    aggregator merges only the peers of the majority output; a moderator selects it.
    """

    def __init__(self, env: Any) -> None:
        self.env = env
        self.oracle = OraclePolicy(env)

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        runtime = self.env.unwrapped.runtime
        if any(p.calls < runtime.calls_per_peer for p in runtime.peers):
            return self.oracle.plan_call(runtime, info["role"]).to_text()
        answered = [p for p in runtime.peers if p.answered]
        outputs = [runtime.output(p) for p in answered]
        best = max(outputs, key=outputs.count) if outputs else None
        majority = [p for p, out in zip(answered, outputs, strict=True) if out == best]
        if majority and not runtime.combination_made:
            if runtime.spec.topology == "independent":
                names = [p.role for p in majority]
                return ToolCall("merge_changes", {"peers": names}).to_text()
            return ToolCall("select_output", {"peer": majority[0].role}).to_text()
        answer = majority[0].answer if majority else "Done."
        return ToolCall("finish", {"answer": answer or "Done."}).to_text()


AGGREGATORS = {
    "oracle": OraclePolicy,
    "checking": Checking,
    "finish-at-once": FinishAtOnce,
    "random": RandomPolicy,
    "task-blind": TaskBlind,
}


def run_aggregators(args: argparse.Namespace) -> list[EpisodeRecord]:
    """Peer topologies with the root played by each aggregator, peers by the default."""
    records: list[EpisodeRecord] = []
    task_rng = np.random.default_rng(args.seed + 1)
    tasks = {
        d: [int(s) for s in task_rng.integers(2**31 - 1, size=args.aggregator_tasks)]
        for d in args.domains
    }
    params = {"n": args.n, "debate_rounds": args.debate_rounds}
    for domain in args.domains:
        difficulty = min(args.difficulty, max(domain_class(domain).difficulties))
        for topology in PEER_TOPOLOGIES:
            for rate in args.error_rates:
                env = nexgym.make_env(
                    domain_spec(domain),
                    topology=topology,
                    topology_params=params,
                    difficulty=difficulty,
                    teammate_error_rate=rate,
                )
                for name, build in AGGREGATORS.items():
                    policy = build(env)
                    for k, task_seed in enumerate(tasks[domain]):
                        obs, info = env.reset(seed=args.seed + k, options={"task_seed": task_seed})
                        while True:
                            obs, _, terminated, truncated, info = env.step(policy(obs, info))
                            if terminated or truncated:
                                break
                        records.append(
                            record_episode(
                                env.unwrapped.runtime,
                                task=f"{domain}:{task_seed}",
                                error_rate=rate,
                                aggregator=name,
                            )
                        )
                env.close()
        print(f"  {domain:<10} aggregators done", flush=True)
    return records


def summarize_aggregators(
    records: list[EpisodeRecord], args: argparse.Namespace
) -> list[dict[str, Any]]:
    rows = []
    for topology in PEER_TOPOLOGIES:
        for rate in args.error_rates:
            for name in AGGREGATORS:
                ours = [
                    r
                    for r in records
                    if r.topology == topology
                    and r.extra["error_rate"] == rate
                    and r.extra["aggregator"] == name
                ]
                rows.append(
                    {
                        "topology": topology,
                        "error_rate": rate,
                        "aggregator": name,
                        "episodes": len(ours),
                        "success_rate": sum(r.success for r in ours) / len(ours),
                        "peer_success": peer_success_rate(ours),
                        "combination_loss": combination_loss(ours),
                    }
                )
    return rows


def amplification_interval(
    ours: list[EpisodeRecord], baseline: list[EpisodeRecord], seed: int, resamples: int = 2000
) -> tuple[float, float]:
    """A 95% bootstrap interval of the error amplification, resampling tasks (paired)."""
    failed = {r.task: not r.success for r in ours}
    failed_single = {r.task: not r.success for r in baseline}
    tasks = sorted(set(failed) & set(failed_single))
    a = np.array([failed[t] for t in tasks], dtype=float)
    b = np.array([failed_single[t] for t in tasks], dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(tasks), size=(resamples, len(tasks)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = a[picks].mean(axis=1) / b[picks].mean(axis=1)
    ratios = ratios[~np.isnan(ratios)]  # 0/0: neither failed in that resample
    if len(ratios) == 0:
        return math.nan, math.nan
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def summarize_grid(records: list[EpisodeRecord], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for rate in args.error_rates:
        at_rate = [r for r in records if r.extra["error_rate"] == rate]
        baseline = [r for r in at_rate if r.topology == "single"]
        for topology in args.topologies:
            ours = [r for r in at_rate if r.topology == topology]
            summary = summarize(ours, baseline)
            low, high = amplification_interval(ours, baseline, args.seed)
            interval = "n/a" if math.isnan(low) else f"[{low:.2g}, {high:.2g}]"
            rows.append(
                {
                    "topology": topology,
                    "error_rate": rate,
                    **summary,
                    "amplification_ci95": interval,
                }
            )
    return rows


def plot(rows: list[dict[str, Any]], args: argparse.Namespace, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for topology in args.topologies:
        mine = [r for r in rows if r["topology"] == topology]
        rates = [r["error_rate"] for r in mine]
        left.plot(rates, [r["success_rate"] for r in mine], marker="o", label=topology)
        finite = [r for r in mine if math.isfinite(r["error_amplification"])]
        right.plot(
            [r["error_rate"] for r in finite],
            [r["error_amplification"] for r in finite],
            marker="o",
            label=topology,
        )
    left.set(xlabel="per-agent error rate (per step)", ylabel="success rate", ylim=(0, 1.02))
    right.axhline(1.0, color="grey", lw=0.8, ls="--")
    right.set(
        xlabel="per-agent error rate (per step)",
        ylabel="error amplification (failure rate / single's)",
    )
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    right.legend(title=f"n={args.n}", fontsize=8)
    fig.suptitle(
        f"Coordination topologies, {args.tasks} tasks x {len(args.domains)} domains per point"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_markdown(
    rows: list[dict[str, Any]],
    aggregator_rows: list[dict[str, Any]],
    args: argparse.Namespace,
    seconds: float,
) -> str:
    settings = (
        f"- domains: {', '.join(args.domains)}; {args.tasks} tasks each "
        f"(difficulty {args.difficulty}), the same task and episode seeds in every cell\n"
        f"- team size n={args.n}; centralized/hybrid rounds={args.rounds}; "
        f"decentralized debate_rounds={args.debate_rounds}; max_cycles={args.max_cycles}\n"
        f"- agents: OraclePolicy with the per-step error rate; baseline: single at the same rate\n"
        f"- who aggregates: {args.aggregator_tasks} tasks per domain (other task seeds), "
        "peers played by the env's default teammates at the error rate\n"
        f"- run: {seconds:.0f} s on {platform.machine()} ({platform.python_version()}), "
        f"seed {args.seed}\n"
    )
    return (
        "# Coordination benchmark\n\n"
        "Produced by `python benchmarks/coordination.py`. Metric formulas: `nexgym.metrics`; "
        "`n/a` where the single agent never failed (amplification 0/0). "
        "`amplification_ci95`: 95% bootstrap interval over tasks (paired with the single "
        "agent's runs; `inf` when a resample has single-agent failures of zero).\n\n"
        f"{settings}\n{summary_table(rows, COLUMNS)}\n\n"
        "![error amplification](coordination_error_amplification.png)\n\n"
        f"{READING}\n"
        "## Who aggregates: the root of a peer team, played by different policies\n\n"
        f"{summary_table(aggregator_rows, AGGREGATOR_COLUMNS)}\n\n"
        f"{AGGREGATOR_READING}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS))
    parser.add_argument("--topologies", nargs="+", default=list(TOPOLOGIES))
    parser.add_argument("--error-rates", nargs="+", type=float, default=[0, 0.05, 0.1, 0.2, 0.3])
    parser.add_argument("--tasks", type=int, default=30, help="tasks per domain")
    parser.add_argument("--difficulty", type=int, default=2)
    parser.add_argument("--n", type=int, default=3, help="peers or workers")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--debate-rounds", type=int, default=1)
    parser.add_argument("--max-cycles", type=int, default=300)
    parser.add_argument(
        "--aggregator-tasks", type=int, default=10, help="tasks per domain of the second table"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "coordination")
    args = parser.parse_args()
    if "single" not in args.topologies:
        args.topologies = ["single", *args.topologies]

    start = time.perf_counter()
    records = run_grid(args)
    aggregated = run_aggregators(args) if args.aggregator_tasks > 0 else []
    seconds = time.perf_counter() - start
    rows = summarize_grid(records, args)
    print(summary_table(rows, COLUMNS))
    aggregator_rows = summarize_aggregators(aggregated, args) if aggregated else []
    print(summary_table(aggregator_rows, AGGREGATOR_COLUMNS))

    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "episodes.jsonl").open("w") as f:
        for r in records + aggregated:
            row = {k: getattr(r, k) for k in ("topology", "task", "success", "score", "turns")}
            f.write(json.dumps({**row, "messages": r.messages, **r.extra}) + "\n")
    args.results.mkdir(parents=True, exist_ok=True)
    markdown = write_markdown(rows, aggregator_rows, args, seconds)
    (args.results / "coordination.md").write_text(markdown)
    plot(rows, args, args.results / "coordination_error_amplification.png")
    print(f"wrote {args.results / 'coordination.md'} and the plot ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
