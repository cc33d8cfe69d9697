"""Ray rollout throughput against the local backend on the same machine, overhead stated.

The same episodes (envs x policies x ``--episodes``, seeded alike) are played three
ways: by :func:`nexgym.rollout.rollout` in this process; by
:func:`nexgym.distributed.rollout_ray` on a local Ray instance that it starts and stops
itself (what a one-off ``rollout --backend ray`` costs: Ray's start-up included); and
on a Ray instance already running (what a long job or a cluster pays per episode). The
records must be equal except for their wall-clock timings; the script checks it.

    python benchmarks/ray_rollout.py                 # ~3 minutes on 2 cores
    python benchmarks/ray_rollout.py --episodes 10   # a smoke run

Results: a table on stdout and ``benchmarks/results/ray_rollout.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import nexgym  # noqa: F401  (registers the catalog)
from nexgym.distributed import rollout_ray
from nexgym.rollout import rollout

HERE = Path(__file__).resolve().parent


def comparable(records: list[Any]) -> list[dict[str, Any]]:
    return [r.model_dump(exclude={"wall_seconds"}) for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", nargs="*", default=["nex/FileOps-v0", "nex/FileSolo-v0"])
    parser.add_argument("--policies", nargs="*", default=["oracle", "random"])
    parser.add_argument("--episodes", type=int, default=100, help="per env and policy")
    parser.add_argument("--episodes-per-task", type=int, default=25)
    parser.add_argument("--num-cpus", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--results", default=str(HERE / "results" / "ray_rollout"))
    args = parser.parse_args()

    import ray

    total = len(args.envs) * len(args.policies) * args.episodes
    common: dict[str, Any] = {"env_kwargs": {"max_turns": 8}}
    ray_args: dict[str, Any] = {"episodes_per_task": args.episodes_per_task}

    list(
        rollout(args.envs, args.policies, 2, **common)
    )  # imports and spec caches, as Ray's warm-up
    start = time.perf_counter()
    local = list(rollout(args.envs, args.policies, args.episodes, **common))
    local_seconds = time.perf_counter() - start

    start = time.perf_counter()
    cold = list(
        rollout_ray(
            args.envs, args.policies, args.episodes, num_cpus=args.num_cpus, **common, **ray_args
        )
    )
    cold_seconds = time.perf_counter() - start

    start = time.perf_counter()
    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    init_seconds = time.perf_counter() - start
    list(rollout_ray(args.envs, args.policies, 2, **common, **ray_args))  # workers import nexgym
    start = time.perf_counter()
    warm = list(rollout_ray(args.envs, args.policies, args.episodes, **common, **ray_args))
    warm_seconds = time.perf_counter() - start
    ray.shutdown()

    equal = comparable(local) == comparable(cold) == comparable(warm)
    rows = [
        ("local (this process)", local_seconds),
        ("ray, started and stopped by the call", cold_seconds),
        ("ray, already running", warm_seconds),
    ]
    results = {
        "config": {k: v for k, v in vars(args).items() if k != "results"},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start_of_write": os.getloadavg(),
        },
        "episodes": total,
        "records_equal_except_wall_time": equal,
        "ray_init_seconds": round(init_seconds, 2),
        "runs": [
            {
                "backend": name,
                "seconds": round(seconds, 2),
                "episodes_per_second": round(total / seconds, 1),
            }
            for name, seconds in rows
        ],
        "overhead": {
            "cold_minus_local_seconds": round(cold_seconds - local_seconds, 2),
            "warm_per_episode_ms_vs_local": round(1000 * (warm_seconds - local_seconds) / total, 2),
        },
    }
    print(f"{total} episodes, {args.num_cpus} Ray CPUs, records equal: {equal}")
    print(f"{'backend':40} {'seconds':>8} {'episodes/s':>11}")
    for run in results["runs"]:
        print(f"{run['backend']:40} {run['seconds']:8.2f} {run['episodes_per_second']:11.1f}")
    print(f"ray.init alone: {init_seconds:.1f} s")
    Path(f"{args.results}.json").parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.results}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.results}.json")


if __name__ == "__main__":
    main()
