"""``reset`` time of every in-process catalog env (issue 13's goal: under 2 ms each).

Each env is made, reset once (warm-up), then reset with seeds 1..7; the median of those
seven is the env's figure. Envs on external servers (clock, git, web fetch, your own MCP
servers) are skipped: their reset waits on a process.

    python benchmarks/reset_sweep.py            # writes benchmarks/results/reset_sweep.json
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import gymnasium as gym
from nexgym.envs.domains import domain_class

import nexgym
from nexgym.catalog import load_catalog_spec

EXTERNAL = ("clock", "gitrepo", "webresearch")


def main() -> None:
    medians: list[tuple[float, str]] = []
    skipped = 0
    started = time.perf_counter()
    for env_id in nexgym.list_envs():
        spec = load_catalog_spec(env_id)
        if domain_class(spec.domain).nondeterministic or spec.domain in EXTERNAL:
            skipped += 1
            continue
        env = gym.make(env_id)
        env.reset(seed=0)
        times = []
        for seed in range(1, 8):
            t0 = time.perf_counter()
            env.reset(seed=seed)
            times.append(time.perf_counter() - t0)
        env.close()
        medians.append((statistics.median(times) * 1000, env_id))
    medians.sort()
    values = [m for m, _ in medians]
    result = {
        "envs": len(medians),
        "skipped_external": skipped,
        "median_ms": round(statistics.median(values), 3),
        "p99_ms": round(values[int(len(values) * 0.99)], 3),
        "worst": [(round(m, 3), e) for m, e in medians[-5:]],
        "under_2ms": sum(v < 2.0 for v in values),
        "load": os.getloadavg(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=1))
    out = Path(__file__).resolve().parent / "results" / "reset_sweep.json"
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
