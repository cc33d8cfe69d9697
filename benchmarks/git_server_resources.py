"""mcp-server-git's child processes and open files over many tool calls.

A ``nex/GitSolo-v0`` env with ``backend="mcp"`` plays the oracle (a new task every
episode, so new repositories keep coming, as in training); after every ``--every``
steps the server's ``git cat-file`` children and its open files are counted with
psutil. The figures show whether the server's resources stay bounded (the backend
replaces the server at a reset once more than ``MAX_SERVER_CHILDREN`` processes run
under it; ``recycles`` counts those).

    python benchmarks/git_server_resources.py --steps 10000 --every 100 \
        --out benchmarks/results/git_server_resources.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import psutil

import nexgym
from nexgym.policies import OraclePolicy

HERE = Path(__file__).resolve().parent


def server_resources(pid: int) -> dict[str, int]:
    """The server's ``git cat-file`` children and open file descriptors."""
    server = psutil.Process(pid)
    cat_files = [p for p in server.children(recursive=True) if "cat-file" in " ".join(p.cmdline())]
    return {"cat_file_children": len(cat_files), "open_fds": server.num_fds()}


def measure(steps: int, every: int) -> dict[str, Any]:
    """Step the oracle ``steps`` times; resources sampled every ``every`` steps."""
    env = gym.make("nex/GitSolo-v0", backend="mcp")
    policy = OraclePolicy(env)
    samples: list[dict[str, int]] = []
    seed = 0
    obs, info = env.reset(seed=seed)
    backend = env.unwrapped.runtime.backend
    start = time.perf_counter()
    try:
        for step in range(1, steps + 1):
            obs, _, terminated, truncated, info = env.step(policy(obs, info))
            if terminated or truncated:
                seed += 1
                obs, info = env.reset(seed=seed)
            if step % every == 0:
                assert backend.pid is not None
                samples.append({"step": step, **server_resources(backend.pid)})
        starts, recycles = backend.starts, getattr(backend, "recycles", 0)
    finally:
        env.close()
    return {
        "steps": steps,
        "episodes": seed + 1,
        "seconds": round(time.perf_counter() - start, 1),
        "server_starts": starts,
        "recycles": recycles,
        "peak_cat_file_children": max(s["cat_file_children"] for s in samples),
        "peak_open_fds": max(s["open_fds"] for s in samples),
        "samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    """Run and print (and with ``--out``, write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--out", default=None, help="a JSON path for the results")
    args = parser.parse_args(argv)
    result = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "nexgym": nexgym.__version__,
        **measure(args.steps, args.every),
    }
    for sample in result["samples"]:
        print(sample)
    print({k: v for k, v in result.items() if k != "samples"})
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
