"""What does the worst single action cost? Time and memory of hostile actions, each bounded.

One action must never cost unbounded time or memory. This measures the actions a fault
audit found unbounded, after their fixes: adversarial action texts at the 64 KiB cap
(parsing), long glob patterns (``find_files``), ``replace_in_file`` amplification, and
agent SQL (endless recursion, millions of rows, huge blobs, wide and long results)
through ``run_query`` and ``save_query_as_table``. Each action runs in a fresh child
process, so its peak memory is its own: the figure is the peak resident size during
the action minus the resident size before it; ``ms`` is the first call, ``warm_ms``
the best of three more.

    python benchmarks/action_bounds.py            # about a minute

Results: a table on stdout and ``benchmarks/results/action_bounds.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

XML = "<tool_use><tool_name>x</tool_name><parameter>"
XML_END = "</parameter></tool_use>"
ENDLESS = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
MILLIONS = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 3000000) "


def _fill(head: str, unit: str, tail: str, length: int = 65_536) -> str:
    return head + unit * ((length - len(head) - len(tail)) // len(unit)) + tail


def _parse(text: str) -> Callable[[], Any]:
    from nexgym.runtime.parsing import parse_action

    return lambda: parse_action(text)


def _tool(domain_name: str, tool: str, **arguments: Any) -> Callable[[], Any]:
    from nexgym.envs.domains import get_domain

    from nexgym.error import ToolError

    domain = get_domain(domain_name)
    world = copy.deepcopy(domain.generate_task(0, 2).world)
    if tool == "replace_in_file":
        world.files[arguments["path"]] = "e" * 60_000

    def act() -> Any:
        try:
            return str(domain.tool(tool)(world, **arguments))[:80]
        except ToolError as e:
            return f"ToolError: {str(e)[:80]}"

    return act


def _find_files(length: int) -> Callable[[], Any]:
    """300 calls of find_files, each with a different pattern of ``length`` characters."""
    from nexgym.envs.domains import get_domain

    from nexgym.error import ToolError

    domain = get_domain("files")
    world = copy.deepcopy(domain.generate_task(0, 2).world)
    patterns = [f"{i:04d}" + ("[ab]*" * (length // 5))[: length - 4] for i in range(300)]

    def act() -> Any:
        refused = 0
        for pattern in patterns:
            try:
                domain.tool("find_files")(world, pattern=pattern)
            except ToolError:
                refused += 1
        return f"{refused}/300 refused"

    return act


def _env_step(env_id: str, name: str, arguments: dict[str, Any]) -> Callable[[], Any]:
    import gymnasium as gym

    from nexgym.tools import ToolCall

    env = gym.make(env_id)
    env.reset(seed=0)
    action = ToolCall(name, arguments).to_text()
    return lambda: env.step(action)[0][-100:].strip()


ACTIONS: dict[str, Callable[[], Callable[[], Any]]] = {
    "parse <think>*9362": lambda: _parse("<think>" * 9362),
    "parse unclosed <a> fields": lambda: _parse(XML + "<a>" * 21814 + XML_END),
    "parse <a></b> fields": lambda: _parse(_fill(XML, "<a></b>", XML_END)),
    "parse unclosed <tool_name>": lambda: _parse(_fill("<tool_use>", "<tool_name>", "")),
    "parse f( ) ) )": lambda: _parse(_fill("f(", ")  ", "")),
    "find_files 300 x 56,000-char patterns": lambda: _find_files(56_000),
    "find_files 300 x 255-char patterns": lambda: _find_files(255),
    "replace_in_file e -> e*30 on 60,000 chars": lambda: _tool(
        "files", "replace_in_file", path="/big.txt", old="e", new="e" * 30
    ),
    "run_query zeroblob(400000000)": lambda: _tool(
        "sqldata", "run_query", sql="SELECT zeroblob(400000000) AS z"
    ),
    "run_query endless recursion": lambda: _tool(
        "sqldata", "run_query", sql=ENDLESS + "SELECT COUNT(*) FROM r"
    ),
    "run_query 3M rows sorted": lambda: _tool(
        "sqldata", "run_query", sql=MILLIONS + "SELECT x FROM r ORDER BY x DESC"
    ),
    "run_query 64 KiB rows sorted": lambda: _tool(
        "sqldata", "run_query", sql=ENDLESS + "SELECT zeroblob(65000) AS z FROM r ORDER BY random()"
    ),
    "run_query 64 x 64 KiB columns": lambda: _tool(
        "sqldata",
        "run_query",
        sql="SELECT " + ", ".join(f"zeroblob(65000) AS c{i}" for i in range(64)),
    ),
    "save_query_as_table endless recursion": lambda: _tool(
        "sqldata", "save_query_as_table", name="t", sql=ENDLESS + "SELECT x FROM r"
    ),
    "save_query_as_table 3M rows": lambda: _tool(
        "sqldata", "save_query_as_table", name="t", sql=MILLIONS + "SELECT x FROM r"
    ),
    "save_query_as_table 64 KiB rows": lambda: _tool(
        "sqldata", "save_query_as_table", name="t", sql=ENDLESS + "SELECT zeroblob(65000) FROM r"
    ),
    "step: run_query zeroblob(400000000)": lambda: _env_step(
        "nex/ConsultingSqldataDesk-v0", "run_query", {"sql": "SELECT zeroblob(400000000) AS z"}
    ),
}


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure_one(name: str) -> dict[str, Any]:
    """Run one action in this process: its time and the memory it added at its peak."""
    act = ACTIONS[name]()
    before = _status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to now
    start = time.perf_counter()
    outcome = act()
    seconds = time.perf_counter() - start
    peak = _status_mib("VmHWM")
    again = []
    for _ in range(3):  # warm repeats (every action here fails or changes nothing)
        start = time.perf_counter()
        act()
        again.append(time.perf_counter() - start)
    return {
        "action": name,
        "ms": round(seconds * 1000, 2),
        "warm_ms": round(min(again) * 1000, 2),
        "peak_added_mib": round(max(0.0, peak - before), 1),
        "rss_after_mib": round(_status_mib("VmRSS"), 1),
        "outcome": str(outcome)[:100],
    }


def main() -> None:
    """Measure every action in its own child process and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument(
        "--results", default=str(Path(__file__).parent / "results" / "action_bounds.json")
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one)))
        return
    rows = []
    print("    first      warm    peak+  action: outcome")
    for name in ACTIONS:
        child = subprocess.run(
            [sys.executable, __file__, "--one", name],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        row = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['ms']:9.2f} ms {row['warm_ms']:9.2f} ms {row['peak_added_mib']:6.1f} MiB"
            f"  {name}: {row['outcome'][:60]}"
        )
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(
        json.dumps(
            {"python": platform.python_version(), "machine": platform.machine(), "actions": rows},
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
