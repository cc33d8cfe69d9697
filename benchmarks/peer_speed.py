"""nexgym's step against the peers a user would pick instead, side by side in one run.

Comparable work in each: one JSON tool call that reads a small file (nexgym's
``nex/FileSolo-v0``, Meta ARE's ``VirtualFileSystem__cat`` through its
``JsonActionExecutor``), and tau2-bench's Gymnasium step (solo mode, mock domain,
``get_users``: tau2's own env, whose tools are as small). Each figure is the best
round's median time of one step; the peers run in their own interpreters
(``benchmarks/peers/setup.sh`` makes their venvs), one after the other, with
nexgym's rounds interleaved so that the machine's load affects all alike.

Goals (issue: the step overhead goal against peers): nexgym's step at least 10x
faster than ARE's JSON-action tool path, and at least 100x faster than tau2's
gym step.

    bash benchmarks/peers/setup.sh
    TAU2_SRC=~/src/tau2-bench python benchmarks/peer_speed.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym

import nexgym  # noqa: F401  (registers the nex/ ids)

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
GOALS = {"are": 10.0, "tau2": 100.0}


def nexgym_step_us(steps: int) -> tuple[float, float, str]:
    """One read_file step in ``nex/FileSolo-v0``: median and mean time (us), and its text."""
    env = gym.make("nex/FileSolo-v0", max_turns=10**6, max_episode_steps=10**9)
    env.reset(seed=0)
    action = (
        '<tool_call>{"name": "read_file", "arguments": {"path": "/etc/app/cache.conf"}}</tool_call>'
    )
    times = []
    observation = ""
    for _ in range(steps):
        start = time.perf_counter()
        observation, *_ = env.step(action)
        times.append(time.perf_counter() - start)
    env.close()
    return statistics.median(times) * 1e6, statistics.fmean(times) * 1e6, observation


def peer_step_us(name: str, python: str, rounds: int, steps: int) -> dict[str, Any]:
    """Run a peer's probe in its own interpreter; its JSON line."""
    cwd = os.environ.get("TAU2_SRC") if name == "tau2" else None
    done = subprocess.run(
        [python, str(PEERS / f"{name}_probe.py"), str(rounds), str(steps)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=1800,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"peer": name, "error": done.stderr[-800:] or f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000, help="nexgym and ARE steps a round")
    parser.add_argument("--tau2-steps", type=int, default=100, help="tau2 steps a round")
    parser.add_argument("--are-python", default=str(PEERS / ".venv-are/bin/python"))
    parser.add_argument("--tau2-python", default=str(PEERS / ".venv-tau2/bin/python"))
    parser.add_argument("--out", type=Path, default=HERE / "results/peer_speed.json")
    args = parser.parse_args()

    ours: list[tuple[float, float, str]] = []
    peers: dict[str, dict[str, Any]] = {}
    plan = [("are", args.are_python, args.steps), ("tau2", args.tau2_python, args.tau2_steps)]
    for name, python, steps in plan:
        ours.append(nexgym_step_us(args.steps))
        if not Path(python).exists():
            peers[name] = {"peer": name, "error": f"no interpreter at {python}; see peers/setup.sh"}
            continue
        peers[name] = peer_step_us(name, python, args.rounds, steps)
        ours.append(nexgym_step_us(args.steps))
    ours += [nexgym_step_us(args.steps) for _ in range(max(0, args.rounds - len(ours)))]
    step_us, mean_us = min(r[0] for r in ours), min(r[1] for r in ours)
    read_ok = all("pool_size = 21" in r[2] for r in ours)
    print(
        f"nexgym  {step_us:9.1f} us a step, median ({mean_us:.1f} mean; best of {len(ours)} "
        f"rounds; the file read back: {read_ok})"
    )
    checks = {"nexgym's step read the file": read_ok}
    for name, result in peers.items():
        if "error" in result:
            print(f"{name:6}  not measured: {result['error'].strip().splitlines()[-1]}")
            continue
        ratio = result["step_us"] / step_us
        result["ratio"] = ratio
        result["ratio_of_means"] = result["mean_us"] / mean_us
        checks[f"{name}'s step did the work"] = result["read_ok"]
        checks[f"nexgym >= {GOALS[name]:.0f}x faster than {name}"] = ratio >= GOALS[name]
        print(
            f"{name:6}  {result['step_us']:9.1f} us a step, median ({result['mean_us']:.1f} mean): "
            f"nexgym is {ratio:.1f}x faster ({result['ratio_of_means']:.1f}x by means)"
        )
    for check, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {check}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "peer_speed",
                "machine": {"python": platform.python_version(), "load": os.getloadavg()},
                "goals": GOALS,
                "nexgym_step_us": step_us,
                "nexgym_mean_us": mean_us,
                "nexgym_rounds_us": [r[0] for r in ours],
                "peers": peers,
                "checks": checks,
                "python": sys.version.split()[0],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
