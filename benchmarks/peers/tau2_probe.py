"""tau2-bench's Gymnasium step, timed: one tool call per step, solo mode, mock domain.

Run by ``benchmarks/peer_speed.py`` with the interpreter of a venv that has tau2
installed from its source (``benchmarks/peers/setup.sh``). Steps that end the
simulation (tau2 returns at once after that) are left out of the timings.
Prints one JSON object: per-step times in microseconds.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def main() -> None:
    rounds, steps = int(sys.argv[1]), int(sys.argv[2])
    from loguru import logger

    logger.remove()  # tau2 logs every step; the logs are not the work
    from tau2.gym.gym_agent import AgentGymEnv

    env = AgentGymEnv(domain="mock", task_id="create_task_1", solo_mode=True)
    action = json.dumps({"name": "get_users", "arguments": {}})
    medians, means, observation = [], [], ""
    for _ in range(rounds):
        times: list[float] = []
        while len(times) < steps:
            env.reset()
            for _ in range(10):
                start = time.perf_counter()
                observation, _, terminated, _, _ = env.step(action)
                elapsed = time.perf_counter() - start
                if terminated:
                    break
                times.append(elapsed)
        medians.append(statistics.median(times) * 1e6)
        means.append(statistics.fmean(times) * 1e6)
    result = {"peer": "tau2", "step_us": min(medians), "mean_us": min(means)}
    result |= {"rounds_us": medians, "observation": observation[:80]}
    result["read_ok"] = "user_1" in observation
    print(json.dumps(result))


if __name__ == "__main__":
    main()
