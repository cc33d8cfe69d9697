"""Meta ARE's JSON-action tool path, timed: parse an action, call the app's tool, log it.

Run by ``benchmarks/peer_speed.py`` with the interpreter of a venv that has
``meta-agents-research-environments`` (``benchmarks/peers/setup.sh`` makes one).
The work matches nexgym's probe: read a small file through one JSON tool call.
Prints one JSON object: per-action times in microseconds.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time


def main() -> None:
    rounds, steps = int(sys.argv[1]), int(sys.argv[2])
    logging.disable(logging.CRITICAL)  # ARE logs every call; the logs are not the work
    from are.simulation.agents.default_agent.tools.action_executor import AgentAction
    from are.simulation.agents.default_agent.tools.json_action_executor import (
        JsonActionExecutor,
    )
    from are.simulation.apps.virtual_file_system import VirtualFileSystem
    from are.simulation.tool_utils import AppToolAdapter

    fs = VirtualFileSystem()
    fs.mkdir("/etc/app")
    with fs.open("/etc/app/cache.conf", "wb") as f:
        f.write(b"port = 7710\npool_size = 21\n")
    tools = {t.name: t for t in (AppToolAdapter(tool) for tool in fs.get_tools())}
    executor = JsonActionExecutor(tools)
    log: list[object] = []
    action = json.dumps(
        {"action": "VirtualFileSystem__cat", "action_input": {"path": "/etc/app/cache.conf"}}
    )
    medians, means, observation = [], [], ""
    for _ in range(rounds):
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            executor.execute_action(AgentAction("read it", action), log.append, time.time, "a")
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times) * 1e6)
        means.append(statistics.fmean(times) * 1e6)
        observation = str(getattr(log[-1], "content", ""))
        log.clear()
    result = {"peer": "are", "step_us": min(medians), "mean_us": min(means)}
    result |= {"rounds_us": medians, "observation": observation[:80]}
    result["read_ok"] = "pool_size = 21" in observation
    print(json.dumps(result))


if __name__ == "__main__":
    main()
