"""Load test of ``nexgym serve-env`` on loopback: many concurrent sessions, one server.

A real server process serves one env; an asyncio client opens C sessions at once
(C = 1, 8, 32, 64, 128 by default), and each session plays oracle episodes (actions
recorded from a local env beforehand, seeds 0..9 in turn) for a fixed time. Every
replayed episode's return is compared with the local one, so the figures are for
correct trajectories. Reported per level: steps/s over all sessions, the p50/p99
latency of a step request, the server's resident memory (RSS, children included) and
the number of episodes whose return differed from the local env's (expected 0). The
local in-process step rate of the same actions is the reference.

    python benchmarks/serve_env_load.py                          # about a minute
    python benchmarks/serve_env_load.py --levels 1 32 --seconds 3

Results: a table on stdout and ``benchmarks/results/serve_env_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import httpx
import numpy as np
import psutil

import nexgym
from nexgym.policies import OraclePolicy

Episode = tuple[int, list[str], float]  # seed, actions, return


def record_episodes(env_id: str, seeds: range) -> list[Episode]:
    """Oracle episodes on a local env: the actions and the return of each seed."""
    env = gym.make(env_id)
    out = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        oracle = OraclePolicy(env)
        actions, total, done = [], 0.0, False
        while not done:
            action = oracle(obs, info)
            actions.append(action)
            obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            done = terminated or truncated
        out.append((seed, actions, total))
    env.close()
    return out


def local_rate(env_id: str, episodes: list[Episode], seconds: float) -> float:
    """Steps per second of the same actions on an in-process env (one thread)."""
    env = gym.make(env_id)
    steps, start, i = 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        seed, actions, _ = episodes[i % len(episodes)]
        env.reset(seed=seed)
        for action in actions:
            env.step(action)
        steps += len(actions)
        i += 1
    rate = steps / (time.perf_counter() - start)
    env.close()
    return rate


async def session_worker(
    client: httpx.AsyncClient, episodes: list[Episode], offset: int, until: float
) -> tuple[list[float], int, int]:
    """One session: plays episodes until ``until``; returns step latencies, episodes, misses."""
    answer = (await client.post("/v1/sessions", json={})).json()
    sid = answer["session"]
    latencies: list[float] = []
    played = mismatched = 0
    i = offset
    try:
        while time.perf_counter() < until:
            seed, actions, expected = episodes[i % len(episodes)]
            i += 1
            await client.post(f"/v1/sessions/{sid}/reset", json={"seed": seed})
            total = 0.0
            for action in actions:
                start = time.perf_counter()
                step = await client.post(f"/v1/sessions/{sid}/step", json={"action": action})
                latencies.append(time.perf_counter() - start)
                total += step.json()["reward"]
            played += 1
            mismatched += abs(total - expected) > 1e-9
    finally:
        await client.delete(f"/v1/sessions/{sid}")
    return latencies, played, mismatched


async def ws_session_worker(
    url: str, episodes: list[Episode], offset: int, until: float
) -> tuple[list[float], int, int]:
    """One WebSocket session (its own connection); the same work as :func:`session_worker`."""
    from websockets.asyncio.client import connect

    latencies: list[float] = []
    played = mismatched = 0
    i = offset
    async with connect(url.replace("http", "ws", 1) + "/v1/ws", max_size=None) as socket:

        async def ask(message: dict[str, Any]) -> dict[str, Any]:
            await socket.send(json.dumps(message))
            answer: dict[str, Any] = json.loads(await socket.recv())
            return answer

        await ask({"op": "open"})
        while time.perf_counter() < until:
            seed, actions, expected = episodes[i % len(episodes)]
            i += 1
            await ask({"op": "reset", "seed": seed})
            total = 0.0
            for action in actions:
                start = time.perf_counter()
                step = await ask({"op": "step", "action": action})
                latencies.append(time.perf_counter() - start)
                total += step["reward"]
            played += 1
            mismatched += abs(total - expected) > 1e-9
        await ask({"op": "close"})
    return latencies, played, mismatched


async def run_level(
    url: str, episodes: list[Episode], sessions: int, seconds: float, transport: str
) -> dict[str, Any]:
    start = time.perf_counter()
    until = start + seconds
    if transport == "ws":
        results = await asyncio.gather(
            *(ws_session_worker(url, episodes, k, until) for k in range(sessions))
        )
    else:
        limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120.0) as client:
            results = await asyncio.gather(
                *(session_worker(client, episodes, k, until) for k in range(sessions))
            )
    wall = time.perf_counter() - start
    latencies = np.array([x for lat, _, _ in results for x in lat])
    return {
        "transport": transport,
        "sessions": sessions,
        "steps": int(latencies.size),
        "seconds": round(wall, 2),
        "steps_per_s": round(latencies.size / wall, 1),
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1e3, 2),
        "p99_ms": round(float(np.percentile(latencies, 99)) * 1e3, 2),
        "episodes": sum(p for _, p, _ in results),
        "mismatched_episodes": sum(m for _, _, m in results),
    }


def server_rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    total = process.memory_info().rss + sum(
        c.memory_info().rss for c in process.children(recursive=True)
    )
    return round(total / 2**20, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="nex/FileOps-v0")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32, 64, 128])
    parser.add_argument("--seconds", type=float, default=8.0, help="time per level")
    parser.add_argument(
        "--transports",
        nargs="+",
        choices=["ws", "http"],
        default=["ws", "http"],
        help="ws: one WebSocket per session; http: JSON routes over one pooled HTTP client",
    )
    parser.add_argument("--results", default="benchmarks/results/serve_env_load.json")
    args = parser.parse_args()

    load_before = os.getloadavg()  # other work on the machine shares its cores
    episodes = record_episodes(args.env, range(10))
    reference = local_rate(args.env, episodes, 3.0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "nexgym.cli.main", "serve-env", args.env]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--max-sessions", str(max(args.levels))],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        idle_rss = server_rss_mb(server.pid)
        rows = []
        watched = psutil.Process(server.pid)
        for transport, level in [(t, n) for t in args.transports for n in args.levels]:
            server_cpu, client_cpu = sum(watched.cpu_times()[:2]), time.process_time()
            row = asyncio.run(run_level(url, episodes, level, args.seconds, transport))
            # where the time goes: CPU per step on each side (2 cores are shared by both)
            steps = max(row["steps"], 1)
            row["server_cpu_ms_per_step"] = round(
                (sum(watched.cpu_times()[:2]) - server_cpu) / steps * 1e3, 2
            )
            row["client_cpu_ms_per_step"] = round(
                (time.process_time() - client_cpu) / steps * 1e3, 2
            )
            row["server_rss_mb"] = server_rss_mb(server.pid)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = {
        "env": args.env,
        "local_steps_per_s": round(reference, 1),
        "server_idle_rss_mb": idle_rss,
        "levels": rows,
        "machine": {
            "cpus": psutil.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_before_after": [
                round(load_before[0], 2),
                round(os.getloadavg()[0], 2),
            ],
        },
        "nexgym": nexgym.__version__,
        "command": " ".join(["python", "benchmarks/serve_env_load.py", *sys.argv[1:]]),
    }
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nlocal in-process: {reference:.0f} steps/s; server idle RSS {idle_rss} MB")
    print(
        "| transport | sessions | steps/s | p50 ms | p99 ms | server CPU ms/step "
        "| client CPU ms/step | server RSS MB | episodes | mismatched |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['transport']} | {r['sessions']} | {r['steps_per_s']:.0f} | "
            f"{r['p50_ms']} | {r['p99_ms']} | "
            f"{r['server_cpu_ms_per_step']} | {r['client_cpu_ms_per_step']} | "
            f"{r['server_rss_mb']} | {r['episodes']} | {r['mismatched_episodes']} |"
        )


if __name__ == "__main__":
    main()
