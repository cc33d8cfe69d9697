"""MCP backend overhead, trajectory equality and server starts, measured in one run.

1. **Per-step cost.** For a few envs, one read-only tool call of the oracle plan is
   stepped again and again through ``env.step`` with ``backend="mcp"`` and, on the
   very same server process, sent with a raw ``ClientSession.call_tool``:

   * ``raw async``: awaited back to back inside one ``run_until_complete`` of the
     session's event loop (the cheapest way to drive the SDK);
   * ``raw per call``: one ``loop.run_until_complete(session.call_tool(...))`` per call,
     the loop style the backend uses.

   Rounds interleave the three loops; the figure is the median over rounds of the
   per-call mean. Goal: env step / raw async <= 1.3.
2. **Same seed, same trajectory.** Every deterministic catalog env plays oracle
   episodes with ``backend="inproc"`` and with ``backend="mcp"`` (same seeds); the
   count of equal trajectories is printed.
3. **Server starts.** For each mcp env of (2), ``backend.starts`` after all its
   resets and the number of live server processes it owns (psutil).

    python benchmarks/mcp_overhead.py                 # full run, writes the results JSON
    python benchmarks/mcp_overhead.py --quick         # fewer envs, rounds and calls
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import psutil

import nexgym
from nexgym.policies import OraclePolicy
from nexgym.registry import NONDETERMINISTIC_DOMAINS, load_catalog_spec

HERE = Path(__file__).resolve().parent
STEP_ENVS = ("nex/FileSolo-v0", "nex/ClockSolo-v0", "nex/GitSolo-v0")


def read_only_call(env: Any) -> tuple[str, dict[str, Any]]:
    """Reset to the first task whose plan has a read-only call; returns that call."""
    runtime = env.unwrapped.runtime
    for task_seed in range(1, 100):
        env.reset(seed=0, options={"task_seed": task_seed})
        for plan in runtime.task.plans:
            for step in plan:
                tool = runtime.domain.tool(step.name)
                if not tool.mutates:
                    return step.name, tool.validate(step.arguments)
    raise SystemExit(f"{env.spec.id}: no read-only call in 99 tasks")


def step_cost(env_id: str, calls: int, rounds: int) -> dict[str, Any]:
    """Per-call seconds of env.step (mcp) against raw call_tool on the same server."""
    env = gym.make(env_id, backend="mcp", max_turns=10**7, max_episode_steps=10**7)
    try:
        name, arguments = read_only_call(env)
        backend = env.unwrapped.runtime.backend
        sent = (
            backend.external.to_server(
                nexgym.tools.ToolCall(name, arguments), env.unwrapped.runtime.task.world
            )
            if backend.external
            else nexgym.tools.ToolCall(name, arguments)
        )
        conn = backend._connection
        session, loop = conn._session, conn._driver.loop
        action = nexgym.tools.ToolCall(name, arguments).to_text()

        async def raw_calls() -> float:
            started = time.perf_counter()
            for _ in range(calls):
                await session.call_tool(sent.name, sent.arguments)
            return (time.perf_counter() - started) / calls

        def raw_async_batch() -> float:
            return loop.run_until_complete(raw_calls())

        def raw_per_call_batch() -> float:
            started = time.perf_counter()
            for _ in range(calls):
                loop.run_until_complete(session.call_tool(sent.name, sent.arguments))
            return (time.perf_counter() - started) / calls

        def env_batch() -> float:
            started = time.perf_counter()
            for _ in range(calls):
                _, _, terminated, truncated, _ = env.step(action)
                if terminated or truncated:
                    raise SystemExit(f"{env_id}: the episode ended during the benchmark")
            return (time.perf_counter() - started) / calls

        env_batch()  # warm up every path once
        raw_async_batch()
        per: dict[str, list[float]] = {"env_step": [], "raw_async": [], "raw_per_call": []}
        for _ in range(rounds):
            per["env_step"].append(env_batch())
            per["raw_async"].append(raw_async_batch())
            per["raw_per_call"].append(raw_per_call_batch())
        medians = {k: statistics.median(v) for k, v in per.items()}
        return {
            "env": env_id,
            "server": backend.server.name,
            "tool": name,
            "calls_per_round": calls,
            "rounds": rounds,
            "seconds": medians,
            "ratio_env_over_raw_async": medians["env_step"] / medians["raw_async"],
            "ratio_env_over_raw_per_call": medians["env_step"] / medians["raw_per_call"],
        }
    finally:
        env.close()


def oracle_episode(env: Any, task_seed: int) -> list[Any]:
    obs, info = env.reset(seed=0, options={"task_seed": task_seed})
    policy = OraclePolicy(env)
    steps: list[Any] = [obs]
    for _ in range(100):
        action = policy(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((action, obs, reward, terminated, truncated))
        if terminated or truncated:
            break
    return steps


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def equality_and_starts(env_ids: list[str], seeds: list[int]) -> dict[str, Any]:
    rows = []
    me = psutil.Process()
    for env_id in env_ids:
        started = time.perf_counter()
        local = gym.make(env_id, backend="inproc")
        remote = gym.make(env_id, backend="mcp")
        before = {p.pid for p in me.children()}
        try:
            equal = [oracle_episode(local, s) == oracle_episode(remote, s) for s in seeds]
            backend = remote.unwrapped.runtime.backend
            # Server processes lead their own process group; git helpers and the like
            # that a server or an in-process tool starts do not.
            owned = {p.pid for p in me.children() if p.pid == _group_of(p.pid)} - before
            rows.append(
                {
                    "env": env_id,
                    "equal": sum(equal),
                    "episodes": len(seeds),
                    "resets": len(seeds),
                    "server_starts": backend.starts,
                    "live_server_processes": len(owned),
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
        finally:
            local.close()
            remote.close()
        row = rows[-1]
        print(
            f"{env_id:34} equal {row['equal']}/{row['episodes']}  starts {row['server_starts']}"
            f"  processes {row['live_server_processes']}  {row['seconds']:.1f}s",
            flush=True,
        )
    return {"envs": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per loop and round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=2, help="task seeds per env for equality")
    parser.add_argument("--quick", action="store_true", help="3 envs, 3 rounds of 50 calls")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "mcp_overhead.json")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.rounds = 50, 3

    print(
        f"{'env':20} {'server':18} {'tool':18} {'step ms':>8} {'raw ms':>8} {'call ms':>8} "
        f"{'ratio':>6}"
    )
    costs = []
    for env_id in STEP_ENVS:
        row = step_cost(env_id, args.calls, args.rounds)
        costs.append(row)
        s = row["seconds"]
        print(
            f"{env_id[4:-3]:20} {row['server']:18} {row['tool']:18} {s['env_step'] * 1e3:8.3f} "
            f"{s['raw_async'] * 1e3:8.3f} {s['raw_per_call'] * 1e3:8.3f} "
            f"{row['ratio_env_over_raw_async']:6.2f}",
            flush=True,
        )

    deterministic = [
        e for e in nexgym.list_envs() if load_catalog_spec(e).domain not in NONDETERMINISTIC_DOMAINS
    ]
    if args.quick:
        deterministic = deterministic[:3]
    print()
    equality = equality_and_starts(deterministic, list(range(1, args.seeds + 1)))
    rows = equality["envs"]
    equal = sum(r["equal"] for r in rows)
    total = sum(r["episodes"] for r in rows)
    starts = sum(r["server_starts"] for r in rows)
    print(f"\nsame trajectory inproc vs mcp: {equal}/{total} episodes over {len(rows)} envs")
    print(f"server starts: {starts} for {len(rows)} env instances ({total} resets)")
    results = {
        "machine": {
            "python": platform.python_version(),
            "cpus": psutil.cpu_count(),
            "load_average": list(psutil.getloadavg()),
        },
        "step_cost": costs,
        "max_ratio_env_over_raw_async": max(r["ratio_env_over_raw_async"] for r in costs),
        "trajectories_equal": equal,
        "trajectories_total": total,
        "envs": len(rows),
        "server_starts": starts,
        "equality": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    sys.exit(main())
