"""Record real MCP tool calls and fit the shipped ``realistic`` noise profile from them.

Episodes run with ``backend="mcp"`` and a call log (``NEXGYM_CALL_LOG``), so every
tool call goes over stdio to a real server process and is logged with its wall-clock
latency, argument size, outcome and error text:

* the third-party servers, run as they are: ``mcp-server-time`` (ClockSolo),
  ``mcp-server-git`` on a real repository (GitSolo) and ``mcp-server-fetch`` on the
  env's loopback site (WebSolo);
* nexgym's own domain servers (``nexgym serve-mcp``), one catalog env per domain.

The policy is the oracle with ``--error-rate`` of random well-formed calls, so the
servers also answer calls that fail (missing files, unknown zones, bad revisions) as
real agents make them. The logs are fitted with :meth:`NoiseProfile.fit` and the
profile is written to ``nexgym/grounding/profiles/realistic.yaml`` (``--out``).

    python benchmarks/record_calls.py                     # record, fit, write the profile
    python benchmarks/record_calls.py --episodes 4 --out benchmarks/out/try.yaml
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import nexgym
from nexgym.grounding.calllog import read_call_log
from nexgym.grounding.profile import NoiseProfile
from nexgym.policies import OraclePolicy
from nexgym.registry import load_catalog_spec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THIRD_PARTY = ("nex/ClockSolo-v0", "nex/GitSolo-v0", "nex/WebSolo-v0")


def own_domain_envs() -> list[str]:
    """One catalog env per domain that nexgym serves itself (the first by name)."""
    chosen: dict[str, str] = {}
    for env_id in nexgym.list_envs():
        domain = load_catalog_spec(env_id).domain
        if domain not in {"clock", "gitrepo", "webresearch"}:
            chosen.setdefault(domain, env_id)
    return sorted(chosen.values())


def record(
    env_id: str, log_path: Path, episodes: int, error_rate: float, seed: int, difficulty: int
) -> float:
    """Run oracle episodes with a call log; returns the wall seconds taken."""
    os.environ["NEXGYM_CALL_LOG"] = str(log_path)
    started = time.perf_counter()
    env = gym.make(env_id, backend="mcp", control="all", difficulty=difficulty)
    try:
        for episode in range(episodes):
            obs, info = env.reset(seed=seed + episode)
            policy = OraclePolicy(env, error_rate=error_rate)
            for _ in range(60):
                obs, _, terminated, truncated, info = env.step(policy(obs, info))
                if terminated or truncated:
                    break
    finally:
        env.close()
        del os.environ["NEXGYM_CALL_LOG"]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=12, help="episodes per env")
    parser.add_argument("--error-rate", type=float, default=0.25, help="oracle's random calls")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difficulty", type=int, default=3, help="task difficulty (1-3)")
    parser.add_argument("--logs", type=Path, default=HERE / "out" / "calls", help="log folder")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "nexgym" / "grounding" / "profiles" / "realistic.yaml"
    )
    parser.add_argument("--min-calls", type=int, default=5, help="calls a tool needs for its entry")
    args = parser.parse_args()

    args.logs.mkdir(parents=True, exist_ok=True)
    envs = [*THIRD_PARTY, *own_domain_envs()]
    paths = []
    print(f"{'env':32} {'calls':>6} {'seconds':>8}")
    for env_id in envs:
        path = args.logs / (env_id.split("/")[1].removesuffix("-v0") + ".jsonl")
        path.unlink(missing_ok=True)
        seconds = record(env_id, path, args.episodes, args.error_rate, args.seed, args.difficulty)
        calls = len(list(read_call_log(path))) if path.exists() else 0
        print(f"{env_id:32} {calls:6d} {seconds:8.1f}")
        if calls:
            paths.append(path)

    records = [r for p in paths for r in read_call_log(p)]
    servers = sorted({r.server for r in records})
    description = (
        f"fitted by benchmarks/record_calls.py on {len(records)} real MCP calls over stdio to "
        f"{', '.join(servers)} ({args.episodes} episodes per env, oracle with "
        f"{args.error_rate:g} random calls, difficulty {args.difficulty}; "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs)"
    )
    profile = NoiseProfile.fit(
        paths, name="realistic", description=description, min_calls=args.min_calls
    )
    profile.save(args.out)

    print(f"\n{'tool':28} {'calls':>6} {'median ms':>10} {'p95 ms':>8} {'errors':>7}")
    by_tool: dict[str, list] = {}
    for r in records:
        by_tool.setdefault(r.tool, []).append(r)
    for tool, rs in sorted(by_tool.items()):
        latencies = [r.latency * 1000 for r in rs]
        p95 = float(np.percentile(latencies, 95))
        errors = sum(not r.ok for r in rs) / len(rs)
        print(
            f"{tool:28} {len(rs):6d} {statistics.median(latencies):10.2f} {p95:8.2f} {errors:7.1%}"
        )
    print(f"\n{len(records)} calls, {len(profile.tools)} tools with their own entry -> {args.out}")


if __name__ == "__main__":
    sys.exit(main())
