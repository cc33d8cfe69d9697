"""``nexgym bench``: quick speed figures for catalog envs under the oracle policy.

The full benchmarks (ratios against direct tool calls, MCP overhead, vector envs,
learning curves) live in the repository's ``benchmarks/`` folder; this command gives
the figures a user wants before training: make, reset and step times, episodes/s.
"""

from __future__ import annotations

import argparse
import fnmatch
import statistics
import time
from typing import Any

from nexgym.error import UnknownNameError


def add_parser(sub: Any) -> None:
    """Register ``bench``."""
    parser = sub.add_parser(
        "bench",
        help="measure make/reset/step speed of envs under the oracle policy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("envs", nargs="*", default=["nex/*"], help="ids or glob patterns")
    parser.add_argument("--episodes", type=int, default=20, help="oracle episodes per env")
    parser.add_argument("--difficulty", type=int, default=1)
    parser.add_argument("--backend", default="inproc", choices=["inproc", "mcp"])
    parser.add_argument("--limit", type=int, default=20, help="at most this many envs")
    parser.set_defaults(func=run)


def select_envs(patterns: list[str]) -> list[str]:
    """Expand ids and glob patterns against the registry (unknown plain ids raise)."""
    import nexgym

    known = nexgym.list_envs()
    chosen: list[str] = []
    for pattern in patterns:
        hits = fnmatch.filter(known, pattern)
        if not hits and not any(c in pattern for c in "*?["):
            raise UnknownNameError("env", pattern, known)
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def measure(env_id: str, episodes: int, **kwargs: Any) -> dict[str, float]:
    """Median make/reset times, mean step time and oracle episodes per second."""
    import gymnasium as gym

    from nexgym.policies import OraclePolicy

    makes = []
    for _ in range(5):
        start = time.perf_counter()
        env = gym.make(env_id, **kwargs)
        makes.append(time.perf_counter() - start)
        env.close()
    env = gym.make(env_id, **kwargs)
    policy = OraclePolicy(env)
    resets, steps, step_time = [], 0, 0.0
    start_all = time.perf_counter()
    for episode in range(episodes):
        start = time.perf_counter()
        obs, info = env.reset(seed=episode)
        resets.append(time.perf_counter() - start)
        done = False
        while not done:
            action = policy(obs, info)
            start = time.perf_counter()
            obs, _, terminated, truncated, info = env.step(action)
            step_time += time.perf_counter() - start
            steps += 1
            done = terminated or truncated
    total = time.perf_counter() - start_all
    env.close()
    return {
        "make_ms": 1e3 * statistics.median(makes),
        "reset_ms": 1e3 * statistics.median(resets),
        "step_us": 1e6 * step_time / max(steps, 1),
        "episodes_per_s": episodes / total,
    }


def run(args: argparse.Namespace) -> int:
    """Print one row of figures per env."""
    env_ids = select_envs(args.envs)[: args.limit]
    header = f"{'env':<44} {'make ms':>8} {'reset ms':>9} {'step us':>9} {'episodes/s':>11}"
    print(header)
    print("-" * len(header))
    for env_id in env_ids:
        row = measure(env_id, args.episodes, difficulty=args.difficulty, backend=args.backend)
        print(
            f"{env_id:<44} {row['make_ms']:>8.2f} {row['reset_ms']:>9.2f} "
            f"{row['step_us']:>9.1f} {row['episodes_per_s']:>11.1f}"
        )
    return 0
