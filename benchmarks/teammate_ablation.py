"""Does what the root says decide the outcome? Root ablations over the catalog.

Every role but the root is played by the default teammate
(:class:`~nexgym.policies.InstructedTeammate`: it does what its message asks and
reports back, and never reads the task). The root is played by the oracle (which
states only what it has observed) and by the controls of
:mod:`nexgym.policies.ablations`, each of which skips part of the job, plus
``RandomPolicy``. If teammates did the work whatever they were told, the controls
would score well; they must score about 0.

The routing controls run on every catalog env whose root has sub-agents; ``finish-at-once``
and ``random`` run on every env. Rows are split into trees (single, centralized, hybrid
and free trees) and peer teams (independent, decentralized), whose coordination lives in
:mod:`nexgym.topology.peers`.

    python benchmarks/teammate_ablation.py            # every env x 20 seeds
    python benchmarks/teammate_ablation.py --quick    # one env in six x 3 seeds

Results: a table on stdout, ``benchmarks/results/teammate_ablation.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import nexgym
from nexgym.policies.ablations import has_sub_agents, success_rate
from nexgym.registry import load_catalog_spec

HERE = Path(__file__).resolve().parent
#: Controls that only make sense with sub-agents to route to.
ROUTING = ("relay-task", "task-blind-sweep", "empty-routing", "nonsense-routing", "random-routing")
EVERY_ENV = ("oracle", "finish-at-once", "random")
GOAL_MEAN, GOAL_MAX = 0.05, 0.20
READING = """Reading: a control's success is what a root collects without doing the job.
In trees every role but the root is an instructed teammate, so only requests that name
the calls and their values get work done. In peer teams the oracle row shows whether the
team's root briefs its peers in a form they can act on: below 1.00, some peers were sent
text they could not act on (the whole task, for instance), and asked back for details."""
#: Teams whose members each get the whole task (their rows are shown apart).
PEERS = frozenset({"independent", "decentralized"})


def main() -> None:
    """Run the grid and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one env in six, 3 seeds")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per env (default 20)")
    parser.add_argument("--envs", default="", help="only env ids containing this text")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args()
    seeds = range(args.seeds or (3 if args.quick else 20))
    env_ids = [e for e in nexgym.list_envs() if args.envs in e]
    if args.quick:
        env_ids = env_ids[::6]
    routed = [e for e in env_ids if has_sub_agents(e)]
    started = time.perf_counter()
    per_env: dict[str, dict[str, float]] = {}
    for policy in (*EVERY_ENV, *ROUTING):
        ids = env_ids if policy in EVERY_ENV else routed
        per_env[policy] = {e: success_rate(e, policy, seeds) for e in ids}
        print(f"{policy}: {_row(per_env[policy])}", flush=True)
    elapsed = time.perf_counter() - started
    write(args.results, per_env, len(seeds), args.quick, elapsed)


def _kind(env_id: str) -> str:
    """``"peers"`` for independent and decentralized teams, else ``"trees"``."""
    return "peers" if load_catalog_spec(env_id).topology in PEERS else "trees"


def _row(rates: dict[str, float]) -> str:
    if not rates:
        return "no envs"
    mean = sum(rates.values()) / len(rates)
    worst = max(rates, key=lambda e: rates[e])
    over = sum(1 for r in rates.values() if r > GOAL_MAX)
    return f"mean {mean:.3f}, max {rates[worst]:.2f} ({worst}), envs over {GOAL_MAX}: {over}"


def write(
    out: Path, per_env: dict[str, dict[str, float]], seeds: int, quick: bool, elapsed: float
) -> None:
    """Write the markdown table and the JSON of every env's success rate."""
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Root ablations with instructed teammates",
        "",
        f"Run: `python benchmarks/teammate_ablation.py{' --quick' if quick else ''}` "
        f"({seeds} seeds per env, {elapsed:.0f} s on {platform.machine()}, "
        f"Python {platform.python_version()}). Goal: oracle 1.00; every control at most "
        f"{GOAL_MEAN} mean success and no env above {GOAL_MAX}.",
        "",
        "| root policy | teams | envs | mean success | max env success | envs above 0.20 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    kinds = {e: _kind(e) for rates in per_env.values() for e in rates}
    for policy, rates in per_env.items():
        for kind in ("trees", "peers"):
            group = [r for e, r in rates.items() if kinds[e] == kind]
            if not group:
                continue
            mean = sum(group) / len(group)
            over = sum(1 for r in group if r > GOAL_MAX)
            lines.append(
                f"| {policy} | {kind} | {len(group)} | {mean:.3f} | {max(group):.2f} | {over} |"
            )
    lines += ["", READING]
    (out / "teammate_ablation.md").write_text("\n".join(lines) + "\n")
    payload = {
        "seeds": seeds,
        "quick": quick,
        "seconds": round(elapsed, 1),
        "teams": kinds,
        "success": per_env,
    }
    (out / "teammate_ablation.json").write_text(json.dumps(payload, indent=1, sort_keys=True))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
