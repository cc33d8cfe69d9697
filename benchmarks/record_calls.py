"""Record real MCP tool calls of the oracle and fit a noise profile from them.

Episodes run with ``backend="mcp"`` and a call log (``NEXGYM_CALL_LOG``), so every
tool call goes over stdio to a real server process and is logged with its wall-clock
latency, argument size, outcome and error text:

* the third-party servers, run as they are: ``mcp-server-time`` (ClockSolo),
  ``mcp-server-git`` on a real repository (GitSolo) and ``mcp-server-fetch`` on the
  env's loopback site (WebSolo);
* nexgym's own domain servers (``nexgym serve-mcp``), one catalog env per domain.

The policy is the oracle (``--error-rate`` mixes in random calls): the calls are valid,
so the fitted error and timeout rates are the real servers' own failure rates on valid
calls (noise wrappers inject faults at those rates; an agent's own mistakes are not
faults). The logs are fitted with :meth:`NoiseProfile.fit` and the profile is written
to ``benchmarks/out/oracle_calls.yaml`` (``--out``). The shipped ``realistic`` profile
was fitted this way once; it is now fitted by ``benchmarks/record_failures.py`` (erring
policies, servers under load, episode-tagged calls, so the outage rate is fitted too).

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

import numpy as np
from nexgym.envs.domains import domain_class, list_domains

import nexgym
from nexgym.env import NexEnv
from nexgym.grounding.profile import NoiseProfile
from nexgym.mcp.calllog import read_call_log
from nexgym.policies import OraclePolicy
from nexgym.registry import load_catalog_spec
from nexgym.spec import HierarchySpec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THIRD_PARTY = ("ClockSolo", "GitSolo", "WebSolo")
THIRD_PARTY_DOMAINS = frozenset({"clock", "gitrepo", "webresearch"})


def own_domain_specs() -> list[tuple[str, HierarchySpec]]:
    """One hierarchy per domain nexgym serves itself: its first catalog env, or a
    one-agent spec holding every tool when the domain has no catalog env yet."""
    chosen: dict[str, tuple[str, HierarchySpec]] = {}
    for env_id in nexgym.list_envs():
        spec = load_catalog_spec(env_id)
        if spec.domain not in THIRD_PARTY_DOMAINS:
            chosen.setdefault(spec.domain, (spec.name, spec))
    for domain in list_domains():
        if domain in chosen or domain in THIRD_PARTY_DOMAINS:
            continue
        tools = [t.name for t in domain_class(domain).tools]
        spec = HierarchySpec.from_dict(
            {
                "name": domain.title().replace("_", "") + "Probe",
                "domain": domain,
                "topology": "single",
                "root": "agent",
                "agents": [{"name": "agent", "role": "You complete the task.", "tools": tools}],
            }
        )
        chosen[domain] = (spec.name, spec)
    return [chosen[d] for d in sorted(chosen)]


def record(
    spec: HierarchySpec,
    log_path: Path,
    episodes: int,
    error_rate: float,
    seed: int,
    difficulty: int,
) -> float:
    """Run oracle episodes with a call log; returns the wall seconds taken."""
    os.environ["NEXGYM_CALL_LOG"] = str(log_path)
    started = time.perf_counter()
    env = NexEnv(spec, backend="mcp", control="all", difficulty=difficulty)
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
    parser.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        help="probability of a random call instead of the oracle's (their errors count in "
        "the fitted error rates, so the default records valid calls only)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difficulty", type=int, default=3, help="task difficulty (1-3)")
    parser.add_argument("--logs", type=Path, default=HERE / "out" / "calls", help="log folder")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "oracle_calls.yaml")
    parser.add_argument("--min-calls", type=int, default=5, help="calls a tool needs for its entry")
    args = parser.parse_args()

    args.logs.mkdir(parents=True, exist_ok=True)
    specs = [(n, load_catalog_spec(n)) for n in THIRD_PARTY] + own_domain_specs()
    paths = []
    print(f"{'hierarchy':24} {'domain':16} {'calls':>6} {'seconds':>8}")
    for name, spec in specs:
        path = args.logs / f"{name}.jsonl"
        path.unlink(missing_ok=True)
        seconds = record(spec, path, args.episodes, args.error_rate, args.seed, args.difficulty)
        calls = len(list(read_call_log(path))) if path.exists() else 0
        print(f"{name:24} {spec.domain:16} {calls:6d} {seconds:8.1f}", flush=True)
        if calls:
            paths.append(path)

    records = [r for p in paths for r in read_call_log(p)]
    servers = sorted({r.server for r in records})
    description = (
        f"fitted by benchmarks/record_calls.py on {len(records)} real MCP calls over stdio to "
        f"{', '.join(servers)} ({args.episodes} episodes per hierarchy, oracle with "
        f"{args.error_rate:g} random calls, difficulty {args.difficulty}; "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs)"
    )
    profile = NoiseProfile.fit(
        paths, name="oracle_calls", description=description, min_calls=args.min_calls
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
