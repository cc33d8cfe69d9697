"""Oracle success under realistic noise: the plain oracle against the robust one.

Every env of the catalog (or those matching ``--envs``) runs ``--episodes`` episodes of
each policy under the ``realistic`` noise (``Latency`` + ``ToolFaults`` from the shipped
profile: its fitted latencies, transient errors and timeouts, and tool outages at its
fitted per-episode rate, each blocking a route but leaving one oracle plan whole; a
profile without a fitted outage rate gets one in a quarter of the episodes). Both
policies play the same seeds, so the same tasks and the same outages.

* ``oracle``: :class:`~nexgym.policies.OraclePolicy`, which retries failed calls (it
  reads progress from the calls that succeeded) but always follows one plan;
* ``robust-oracle``: :class:`~nexgym.policies.robust.RobustOraclePolicy`, which also
  routes around tools found down.

The shipped profile is fitted on real MCP calls of erring policies over loopback
servers under load (``benchmarks/record_failures.py``); its provenance says how many.
``--stress`` adds a second setting, set by hand rather than fitted: transient errors
(10% of calls), timeouts (5%) and an outage in a quarter of the episodes on top, where
retrying and routing around a tool that is down matter.

    python benchmarks/noise_oracle.py                      # the whole catalog
    python benchmarks/noise_oracle.py --envs 'nex/File*' --episodes 50
    python benchmarks/noise_oracle.py --envs 'nex/Clock*,nex/File*,nex/Git*,nex/Web*' \\
        --episodes 60 --stress --commit

Writes ``benchmarks/out/noise_oracle.json`` (per env) and, with ``--commit``,
``benchmarks/results/noise_oracle.json``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import platform
import time
from pathlib import Path
from typing import Any

from nexgym.wrappers import ToolFaults

import nexgym
from nexgym.grounding.trajectories import EpisodeRecord
from nexgym.rollout import REALISTIC_OUTAGE_RATE, noise_outage_rate, rollout

HERE = Path(__file__).resolve().parent
POLICIES = ("oracle", "robust-oracle")
STRESS_ERROR_RATE = 0.10
STRESS_TIMEOUT_RATE = 0.05
#: Outages per episode under --stress (the constant a profile without a fitted rate gets).
STRESS_OUTAGE_RATE = REALISTIC_OUTAGE_RATE


def _had_outage(record: EpisodeRecord) -> bool:
    return any(json.loads(s.attributes).get("fault") == "unavailable" for s in record.spans)


def _stress(env: Any) -> Any:
    return ToolFaults(
        env,
        error_rate=STRESS_ERROR_RATE,
        timeout_rate=STRESS_TIMEOUT_RATE,
        outage_rate=STRESS_OUTAGE_RATE,
    )


def measure(
    env_id: str, episodes: int, seed: int, noise: str, stress: bool, **env_kwargs: Any
) -> dict:
    """Success, turns and wall time of both policies on one env."""
    row: dict[str, Any] = {"env_id": env_id}
    for policy in POLICIES:
        start = time.perf_counter()
        records = list(
            rollout(
                [env_id],
                [policy],
                episodes,
                seed=seed,
                noise=noise,
                env_kwargs=env_kwargs,
                wrap=_stress if stress else None,
            )
        )
        wall = time.perf_counter() - start
        row[policy] = {
            "episodes": len(records),
            "solved": sum(r.success for r in records),
            "success_rate": sum(r.success for r in records) / len(records),
            "mean_turns": sum(r.turns for r in records) / len(records),
            "mean_virtual_seconds": sum(r.virtual_seconds for r in records) / len(records),
            "episodes_hit_by_outage": sum(_had_outage(r) for r in records),
            "stop_reasons": sorted({r.stop_reason for r in records}),
            "wall_seconds": wall,
        }
    return row


def run_setting(env_ids: list[str], args: argparse.Namespace, stress: bool) -> dict[str, Any]:
    """Both policies on every env under one noise setting; prints a table, returns figures."""
    label = f"{args.noise}+stress" if stress else args.noise
    print(f"\n== {label} ==")
    print(f"{'env':28} {'oracle':>7} {'robust':>7} {'outages':>8} {'turns oracle/robust':>20}")
    rows = []
    for env_id in env_ids:
        row = measure(
            env_id, args.episodes, args.seed, args.noise, stress, difficulty=args.difficulty
        )
        rows.append(row)
        plain, robust = row["oracle"], row["robust-oracle"]
        turns = f"{plain['mean_turns']:.1f}/{robust['mean_turns']:.1f}"
        print(
            f"{env_id:28} {plain['success_rate']:>7.0%} {robust['success_rate']:>7.0%} "
            f"{robust['episodes_hit_by_outage']:>8} {turns:>20}"
        )
    totals: dict[str, Any] = {}
    for policy in POLICIES:
        episodes = sum(r[policy]["episodes"] for r in rows)
        solved = sum(r[policy]["solved"] for r in rows)
        totals[policy] = {"episodes": episodes, "solved": solved, "success_rate": solved / episodes}
    print(
        f"{'all ' + str(len(rows)) + ' envs':28} {totals['oracle']['success_rate']:>7.1%} "
        f"{totals['robust-oracle']['success_rate']:>7.1%}"
    )
    return {
        "setting": label,
        "error_rate": STRESS_ERROR_RATE if stress else "from the profile",
        "timeout_rate": STRESS_TIMEOUT_RATE if stress else "from the profile",
        "outage_rate": noise_outage_rate(args.noise),
        "stress_outage_rate": STRESS_OUTAGE_RATE if stress else 0.0,
        "totals": totals,
        "every_task_solved_by_robust_oracle": totals["robust-oracle"]["solved"]
        == totals["robust-oracle"]["episodes"],
        "per_env": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--envs", default="nex/*", help="globs over the registered ids, comma-separated"
    )
    parser.add_argument("--episodes", type=int, default=20, help="episodes per env and policy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difficulty", type=int, default=1)
    parser.add_argument("--noise", default="realistic", help="profile name or YAML path")
    parser.add_argument("--stress", action="store_true", help="add the transient-fault setting")
    parser.add_argument("--commit", action="store_true", help="also write benchmarks/results/")
    args = parser.parse_args()

    globs = [g.strip() for g in args.envs.split(",") if g.strip()]
    env_ids = [i for i in nexgym.list_envs() if any(fnmatch.fnmatch(i, g) for g in globs)]
    if not env_ids:
        raise SystemExit(f"no registered env matches {args.envs!r}")
    start = time.perf_counter()
    settings = [
        run_setting(env_ids, args, stress) for stress in ([False, True] if args.stress else [False])
    ]
    result = {
        "benchmark": "noise_oracle",
        "envs": len(env_ids),
        "episodes_per_env_and_policy": args.episodes,
        "difficulty": args.difficulty,
        "seed": args.seed,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "machine": platform.platform(),
        "python": platform.python_version(),
    }
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "noise_oracle.json").write_text(json.dumps({**result, "settings": settings}, indent=2))
    if args.commit:
        compact = []
        for setting in settings:
            per_env = {
                r["env_id"]: {
                    "oracle": r["oracle"]["success_rate"],
                    "robust_oracle": r["robust-oracle"]["success_rate"],
                    "episodes_hit_by_outage": r["robust-oracle"]["episodes_hit_by_outage"],
                }
                for r in setting["per_env"]
            }
            compact.append(
                {**{k: v for k, v in setting.items() if k != "per_env"}, "per_env": per_env}
            )
        results = HERE / "results"
        results.mkdir(exist_ok=True)
        text = json.dumps({**result, "settings": compact}, indent=2) + "\n"
        (results / "noise_oracle.json").write_text(text)


if __name__ == "__main__":
    main()
