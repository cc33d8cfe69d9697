"""Record the calls of policies that make mistakes, and fit a noise profile with provenance.

Episodes run with ``backend="mcp"`` (every tool call goes over stdio to a real server
process and is logged); the policies are an erring oracle (``OraclePolicy(env,
error_rate=0.3)``: a random well-formed call instead of the plan's, 30% of the time)
and ``RandomPolicy``, each playing every role (``control="all"``). Each call is tagged
with its policy and episode, so the fitted profile's error rates come from observed
failures (agents' bad calls and servers' error answers), its outage rate from episodes
where a server left calls unanswered, and its ``provenance`` says how many calls from
which servers and policies it rests on.

    python benchmarks/record_failures.py                                # about a minute
    python benchmarks/record_failures.py --episodes 3 --envs nex/FileOps-v0
    python benchmarks/record_failures.py --parallel 8 \
        --out benchmarks/results/noise_failures_load8.yaml

``--parallel K`` plays K copies of each (env, policy) job at once, each with its own
server process: the servers answer under load, and the fitted latencies show it.

Results: ``benchmarks/results/noise_failures.yaml`` (the profile) and a summary on stdout.
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gymnasium as gym

import nexgym
from nexgym.mcp.calllog import CallLog
from nexgym.grounding.profile import NoiseProfile
from nexgym.policies import OraclePolicy, RandomPolicy

POLICIES = {
    "oracle@0.3": lambda env: OraclePolicy(env, error_rate=0.3),
    "random": lambda env: RandomPolicy(env),
}


def record(
    env_id: str, policy_name: str, episodes: int, out: CallLog, workdir: Path, copy: int = 0
) -> int:
    """Play ``episodes`` episodes; append their calls to ``out`` tagged; returns the calls."""
    raw = CallLog(workdir / f"{env_id.replace('/', '_')}-{policy_name}-{copy}.jsonl")
    env = gym.make(env_id, backend="mcp", control="all", backend_options={"call_log": raw})
    seen = 0
    try:
        for episode in range(episodes):
            obs, info = env.reset(seed=episode)
            policy: Any = POLICIES[policy_name](env)
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(policy(obs, info))
                done = terminated or truncated
            fresh = raw.records()[seen:] if Path(raw.path).exists() else []
            seen += len(fresh)
            tag = f"{env_id}/{policy_name}/{copy}/{episode}"
            out.extend(r.model_copy(update={"policy": policy_name, "episode": tag}) for r in fresh)
    finally:
        env.close()
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--envs", nargs="+", default=["nex/FileOps-v0", "nex/BookstoreTravelDesk-v0"]
    )
    parser.add_argument("--episodes", type=int, default=20, help="episodes per env and policy")
    parser.add_argument("--out", default="benchmarks/results/noise_failures.yaml")
    parser.add_argument("--parallel", type=int, default=1, help="copies of each job at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        logs = [CallLog(Path(tmp) / f"tagged-{k}.jsonl") for k in range(args.parallel)]
        for env_id in args.envs:
            for policy_name in POLICIES:
                with ThreadPoolExecutor(args.parallel) as pool:
                    jobs = [
                        pool.submit(
                            record, env_id, policy_name, args.episodes, logs[k], Path(tmp), k
                        )
                        for k in range(args.parallel)
                    ]
                    calls = sum(job.result() for job in jobs)
                print(f"{env_id} {policy_name}: {calls} calls", flush=True)
        records = [r for log in logs if Path(log.path).exists() for r in log.records()]
        load = f", {args.parallel} copies at once" if args.parallel > 1 else ""
        profile = NoiseProfile.fit(
            records,
            name="failures" if args.parallel == 1 else f"failures_load{args.parallel}",
            description=f"fitted on calls of erring policies ({', '.join(POLICIES)}) over "
            f"real MCP servers (backend='mcp'), {args.episodes} episodes per env and policy"
            f"{load}",
        )
    path = profile.save(args.out)
    assert profile.provenance is not None
    print(
        f"\nwrote {path}: {profile.provenance.calls} calls, {profile.provenance.episodes} "
        f"episodes, outage rate {profile.outage_rate}"
    )
    print(f"policies: {profile.provenance.policies}; servers: {profile.provenance.servers}")
    print(
        f"default error rate {profile.default.error_rate:.3f}, "
        f"timeout rate {profile.default.timeout_rate:.3f}, "
        f"median latency {profile.default.latency.median * 1e3:.2f} ms"
    )
    worst = sorted(profile.tools.items(), key=lambda kv: -kv[1].error_rate)[:5]
    for tool, noise in worst:
        print(f"  {tool}: error rate {noise.error_rate:.2f} over {noise.calls} calls")
    print(f"nexgym {nexgym.__version__}")


if __name__ == "__main__":
    main()
