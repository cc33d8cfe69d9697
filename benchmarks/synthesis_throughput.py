"""Trajectory synthesis throughput: oracle episodes per minute over the in-process catalog.

Times what ``nexgym rollout ID... --policy oracle --episodes N --out DIR`` does over the
in-process catalog: every catalog env whose domain keeps its world in memory (domains
whose tools act through a third-party server on the host, such as a real git
repository, a loopback web site or the real clock, are left out; ``--all`` keeps
them). One process, the in-process backend: make each env, play the oracle, build the
grounded record (per-agent transcripts with tool schemas, spans, timings) and append it
crash-safe to JSONL (one write and an ``fsync`` per record). The goal is at least 1,000
episodes per minute. Variants: no noise and the ``realistic`` noise; fsync on and off
(the cost of crash safety); under noise, the robust oracle and the plain one.

    python benchmarks/synthesis_throughput.py               # 30 episodes per env
    python benchmarks/synthesis_throughput.py --episodes 100 --commit

Writes ``benchmarks/out/synthesis_throughput.json`` and, with ``--commit``,
``benchmarks/results/synthesis_throughput.json``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import shutil
import time
from pathlib import Path

from nexgym.envs.domains import domain_class

import nexgym
from nexgym.grounding.trajectories import TrajectoryWriter
from nexgym.registry import load_catalog_spec
from nexgym.rollout import rollout

HERE = Path(__file__).resolve().parent
GOAL_PER_MINUTE = 1_000
#: (noise, policy, fsync): the headline first; under noise the robust oracle is what a
#: synthesis run uses (the plain one spends its turns on outages it cannot route around)
VARIANTS = (
    ("none", "oracle", True),
    ("realistic", "robust-oracle", True),
    ("realistic", "oracle", True),
    ("none", "oracle", False),
)


def in_process(env_id: str) -> bool:
    """Whether the env's domain keeps its world in memory (no third-party tool server)."""
    return not hasattr(domain_class(load_catalog_spec(env_id).domain), "tool_server")


def run(env_ids: list[str], episodes: int, noise: str, policy: str, fsync: bool, out: Path) -> dict:
    """One timed synthesis run; returns its figures."""
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    solved = 0
    with TrajectoryWriter(out, fsync=fsync) as writer:
        for record in rollout(env_ids, [policy], episodes, noise=noise):
            writer.write(record)
            solved += record.success
        written = writer.written
    wall = time.perf_counter() - start
    size = (out / "trajectories.jsonl").stat().st_size
    return {
        "noise": noise,
        "policy": policy,
        "fsync": fsync,
        "episodes": written,
        "solved": solved,
        "wall_seconds": round(wall, 3),
        "episodes_per_minute": round(60 * written / wall, 1),
        "mean_record_kib": round(size / written / 1024, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="nex/*", help="glob over the registered ids")
    parser.add_argument("--episodes", type=int, default=30, help="oracle episodes per env")
    parser.add_argument("--all", action="store_true", help="keep envs of host-backed domains")
    parser.add_argument("--commit", action="store_true", help="also write benchmarks/results/")
    args = parser.parse_args()

    env_ids = fnmatch.filter(nexgym.list_envs(), args.envs)
    left_out = [] if args.all else [e for e in env_ids if not in_process(e)]
    env_ids = [e for e in env_ids if e not in left_out]
    if not env_ids:
        raise SystemExit(f"no registered env matches {args.envs!r}")
    out = HERE / "out" / "synthesis_throughput"
    runs = []
    print(f"{len(env_ids)} envs x {args.episodes} oracle episodes, in-process backend")
    if left_out:
        print(f"left out (host-backed domains): {', '.join(left_out)}")
    print(
        f"{'noise':10} {'policy':14} {'fsync':>5} {'episodes':>8} {'solved':>7} "
        f"{'eps/min':>9} {'KiB/rec':>8}"
    )
    for noise, policy, fsync in VARIANTS:
        figures = run(env_ids, args.episodes, noise, policy, fsync, out)
        runs.append(figures)
        print(
            f"{noise:10} {policy:14} {fsync!s:>5} {figures['episodes']:>8} {figures['solved']:>7} "
            f"{figures['episodes_per_minute']:>9.0f} {figures['mean_record_kib']:>8.1f}"
        )
    shutil.rmtree(out, ignore_errors=True)
    headline = runs[0]["episodes_per_minute"]
    print(f"goal >= {GOAL_PER_MINUTE}/min: {'met' if headline >= GOAL_PER_MINUTE else 'MISSED'}")
    result = {
        "benchmark": "synthesis_throughput",
        "envs": env_ids,
        "left_out_host_backed": left_out,
        "episodes_per_env": args.episodes,
        "goal_episodes_per_minute": GOAL_PER_MINUTE,
        "goal_met": headline >= GOAL_PER_MINUTE,
        "runs": runs,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "synthesis_throughput.json").write_text(json.dumps(result, indent=2))
    if args.commit:
        (HERE / "results").mkdir(exist_ok=True)
        path = HERE / "results" / "synthesis_throughput.json"
        path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
