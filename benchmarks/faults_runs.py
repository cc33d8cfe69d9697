"""Soak and rollout parts of ``benchmarks/faults.py``: many steps with resets per
domain (memory, descriptors, temp entries flat), and kill -9 of ``nexgym rollout --out``
then ``--resume`` (no torn record, no duplicate, no committed record lost)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from faults_mcp import NEXGYM, alive, oracle_trajectory

# -- soak ------------------------------------------------------------------------------------


def _count_entries(folder: Path) -> int:
    return sum(len(dirs) + len(files) for _, dirs, files in os.walk(folder))


def _shm_count() -> int:
    shm = Path("/dev/shm")
    return len(list(shm.iterdir())) if shm.exists() else 0


def run_soak(preset: dict[str, Any], seed: int, private_tmp: Path) -> dict[str, Any]:
    import gymnasium as gym
    from faults import sample_envs

    from nexgym.policies import OraclePolicy

    process = psutil.Process()
    envs = sample_envs(15)
    part_deadline = time.monotonic() + preset["soak_seconds"]
    rows, total = [], 0
    rng = np.random.default_rng(seed)
    for index, env_id in enumerate(envs):
        # an even share of the time left: what a fast env leaves goes to the slower ones
        budget = (part_deadline - time.monotonic()) / (len(envs) - index)
        env = gym.make(env_id)
        policy = OraclePolicy(env)
        oracle_trajectory(env, seed)  # warm-up: caches, lazy imports, loopback servers
        gc.collect()
        before = (
            process.memory_info().rss,
            sys.getallocatedblocks(),
            process.num_fds(),
            _count_entries(private_tmp),
            _shm_count(),
        )
        obs, info = env.reset(seed=seed)
        steps, resets, deadline = 0, 0, time.monotonic() + budget
        while steps < preset["soak_steps"] and time.monotonic() < deadline:
            # mostly the oracle, some junk: both the happy path and the error path run
            action = policy(obs, info) if rng.random() < 0.8 else "not a tool call"
            obs, _, terminated, truncated, info = env.step(action)
            steps += 1
            if terminated or truncated:
                obs, info = env.reset()
                resets += 1
        gc.collect()
        after = (
            process.memory_info().rss,
            sys.getallocatedblocks(),
            process.num_fds(),
            _count_entries(private_tmp),
            _shm_count(),
        )
        env.close()
        closed_tmp = _count_entries(private_tmp)
        total += steps
        rows.append(
            {
                "env": env_id,
                "steps": steps,
                "resets": resets,
                "rss_mb_before": round(before[0] / 2**20, 1),
                "rss_mb_after": round(after[0] / 2**20, 1),
                "blocks_before": before[1],
                "blocks_after": after[1],
                "fds_before": before[2],
                "fds_after": after[2],
                "temp_before": before[3],
                "temp_after": after[3],
                "temp_after_close": closed_tmp,
                "shm_before": before[4],
                "shm_after": after[4],
            }
        )
    return {
        "steps": total,
        "domains": len(rows),
        "rss_growth_mb": round(max(r["rss_mb_after"] - r["rss_mb_before"] for r in rows), 1),
        # live Python memory blocks: growth RSS can hide in memory the heap already holds
        "allocated_blocks_growth": max(r["blocks_after"] - r["blocks_before"] for r in rows),
        "fd_growth": max(r["fds_after"] - r["fds_before"] for r in rows),
        "temp_growth": max(r["temp_after"] - r["temp_before"] for r in rows),
        "temp_left_after_close": rows[-1]["temp_after_close"],
        "shm_growth": max(r["shm_after"] - r["shm_before"] for r in rows),
        "per_env": rows,
    }


# -- kill -9 of nexgym rollout --out, then --resume --------------------------------------------


def complete_keys(path: Path) -> tuple[list[str], int]:
    """Keys of the complete lines of a trajectories file, and the count of unreadable lines."""
    if not path.exists():
        return [], 0
    keys, bad = [], 0
    for line in path.read_bytes().split(b"\n")[:-1]:  # the part after the last newline is torn
        try:
            keys.append(str(json.loads(line)["key"]))
        except (ValueError, KeyError, TypeError):
            bad += 1
    return keys, bad


def run_rollout_kills(preset: dict[str, Any], seed: int, root: Path) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    out = root / "rollout"
    episodes = preset["rollout_episodes"]
    base = [
        NEXGYM,
        "rollout",
        "nex/FileOps-v0",
        "--policy",
        "oracle",
        "--episodes",
        str(episodes),
        "--seed",
        str(seed),
        "--out",
        str(out),
        "--quiet",
    ]
    path = out / "trajectories.jsonl"
    committed: set[str] = set()
    kills, orphans, landed_mid_run = 0, 0, 0
    for k in range(preset["rollout_kills"]):
        proc = subprocess.Popen(
            base + (["--resume"] if k else []), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(float(rng.uniform(0.3, preset["rollout_max_delay"])))
        children = []
        with contextlib.suppress(psutil.NoSuchProcess):
            children = psutil.Process(proc.pid).children(recursive=True)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        time.sleep(0.3)
        orphans += sum(alive(c.pid) for c in children)
        keys, _ = complete_keys(path)
        landed_mid_run += 0 < len(set(keys)) < episodes
        committed |= set(keys)
    final = subprocess.run([*base, "--resume"], capture_output=True, text=True, timeout=600)
    keys, bad = complete_keys(path)
    # resuming with other settings must play those episodes or refuse, not skip silently
    other = [
        NEXGYM,
        "rollout",
        "nex/FileOps-v0",
        "--policy",
        "oracle",
        "--episodes",
        "5",
        "--seed",
        str(seed + 1),
        "--out",
        str(out),
        "--quiet",
        "--resume",
    ]
    changed = subprocess.run(other, capture_output=True, text=True, timeout=600)
    after_other, _ = complete_keys(path)
    silent_skip = changed.returncode == 0 and len(after_other) == len(keys)
    tail = path.read_bytes()[-1:] if path.exists() else b"\n"
    return {
        "kills": kills,
        "kills_mid_run": landed_mid_run,
        "episodes": episodes,
        "resume_exit_status": final.returncode,
        "torn_accepted": bad + (tail != b"\n"),
        "duplicates": len(keys) - len(set(keys)),
        "lost": len(committed - set(keys)),
        "complete": len(set(keys)) == episodes,
        "records": len(keys),
        "orphans_after_kill": orphans,
        "resume_other_seed_silently_skipped": silent_skip,
    }
