"""MCP parts of ``benchmarks/faults.py``: server kills (SIGKILL) and hangs (SIGSTOP)
mid-episode, servers left after ``close()`` and after the owner exits, and arguments the
client cannot send; plus helpers the other process-level parts share."""

from __future__ import annotations

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

import nexgym  # noqa: F401  (registers the nex/ ids)

HERE = Path(__file__).resolve().parent
NEXGYM = str(Path(sys.executable).with_name("nexgym"))
#: Markers of a server fault in an observation (the MCP backend's error texts).
FAULT_MARKERS = ("restarted", "did not answer", "exited during", "could not be")
#: One env per server kind: two served by nexgym's own server, two third-party servers.
MCP_TARGETS = {
    "files (own)": "nex/FileSolo-v0",
    "sqldata (own)": "nex/BankingSqldataDesk-v0",
    "gitrepo (mcp-server-git)": "nex/GitSolo-v0",
    "clock (mcp-server-time)": "nex/ClockSolo-v0",
}


def live_children() -> list[psutil.Process]:
    """This process's descendants that are running (zombies and stopped ones counted)."""
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def oracle_trajectory(env: Any, seed: int, max_steps: int = 80) -> list[str]:
    """Observations of one oracle episode from ``reset(seed=seed)``."""
    from nexgym.policies import OraclePolicy

    policy = OraclePolicy(env)
    obs, info = env.reset(seed=seed)
    seen = [obs]
    for _ in range(max_steps):
        obs, _, terminated, truncated, info = env.step(policy(obs, info))
        seen.append(obs)
        if terminated or truncated:
            break
    return seen


# -- MCP server kills and hangs -----------------------------------------------------------


def called_tool(action: str) -> str | None:
    """The tool an oracle action calls (the oracle writes the canonical form)."""
    try:
        return str(
            json.loads(action.removeprefix("<tool_call>").removesuffix("</tool_call>"))["name"]
        )
    except (ValueError, KeyError, TypeError):
        return None


def fault_episode(
    env: Any, rng: np.random.Generator, seed: int, how: signal.Signals
) -> dict[str, Any]:
    """Play an oracle episode; signal the server just before a tool call (the first at or
    after a random step, so the fault is met in this episode); play on to the end."""
    from faults import StepHung, timed_step

    from nexgym.policies import OraclePolicy

    policy = OraclePolicy(env)
    backend = env.unwrapped.runtime.backend
    obs, info = env.reset(seed=seed)
    before = int(rng.integers(0, 3))
    tools = set(env.unwrapped.domain.tool_names)
    out: dict[str, Any] = {
        "signalled": False,
        "ended": False,
        "reported": False,
        "hang": False,
        "exception": None,
        "pid": None,
    }
    for step in range(80):
        try:
            action = policy(obs, info)
            signal_now = not out["signalled"] and step >= before and called_tool(action) in tools
            if signal_now and backend.pid is not None:
                out["signalled"], out["pid"] = True, backend.pid
                os.kill(backend.pid, how)
            (obs, _, terminated, truncated, info), _ = timed_step(env.step, action)
        except StepHung:
            out["hang"] = True
            return out
        except Exception as e:  # counted: nothing may escape step
            out["exception"] = f"{type(e).__name__}: {e}"[:300]
            return out
        if signal_now:  # this tool call met the dead or stopped server: it must say so
            out["reported"] = any(m in obs for m in FAULT_MARKERS)
            out["first_result"] = obs[:160]
        if terminated or truncated:
            out["ended"] = True
            break
    return out


def _shm_nexgym() -> set[str]:
    shm = Path("/dev/shm")
    return {p.name for p in shm.iterdir() if p.name.startswith("nexgym")} if shm.exists() else set()


def leaked_after_exit(
    env_ids: list[str], kill_parent: bool, stop_servers: bool = False
) -> dict[str, int]:
    """Start MCP envs in a child Python that exits without ``close()`` (or is SIGKILLed,
    optionally while its servers are stopped); count servers and /dev/shm folders left."""
    shm_before = _shm_nexgym()
    script = (
        "import json, sys, time, gymnasium as gym, nexgym\n"
        f"envs = [gym.make(i, backend='mcp') for i in {env_ids!r}]\n"
        "for e in envs: e.reset(seed=0)\n"
        "print(json.dumps([e.unwrapped.runtime.backend.pid for e in envs]), flush=True)\n"
        + ("time.sleep(600)\n" if kill_parent else "")
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    pids = json.loads(child.stdout.readline() or "[]")
    if stop_servers:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
    if kill_parent:
        child.kill()
    child.wait(timeout=120)
    deadline = time.monotonic() + 5  # servers see EOF on stdin and exit
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if alive(p)]
    for pid in left:  # do not leave them behind for the next part
        os.kill(pid, signal.SIGKILL)
    shm_left = _shm_nexgym() - shm_before
    return {"servers": len(pids), "left": len(left), "shm_left": len(shm_left)}


def healthy_restarts(env: Any, seed: int) -> int:
    """Arguments the client cannot send (a lone surrogate, deep nesting): server restarts."""
    backend = env.unwrapped.runtime.backend
    _obs, info = env.reset(seed=seed)
    starts = backend.starts
    schemas = info["tools"]
    name = next(
        (s["function"]["name"] for s in schemas if s["function"]["name"] != "finish"), "finish"
    )
    deep: Any = "x"
    for _ in range(300):
        deep = [deep]
    for value in ("\udc80", "\ud83d end", deep):
        arguments = {k: value for k in schemas[0]["function"]["parameters"].get("properties", {})}
        env.step(
            "<tool_call>"
            + json.dumps({"name": name, "arguments": arguments or {"x": value}})
            + "</tool_call>"
        )
    return backend.starts - starts


def run_mcp_faults(preset: dict[str, Any], seed: int, root: Path) -> dict[str, Any]:
    import gymnasium as gym

    rng = np.random.default_rng(seed)
    envs = {
        name: gym.make(env_id, backend="mcp", control="all") for name, env_id in MCP_TARGETS.items()
    }
    local = {name: gym.make(env_id, control="all") for name, env_id in MCP_TARGETS.items()}
    per_target: dict[str, dict[str, int]] = {}
    examples: list[str] = []
    totals = dict.fromkeys(
        (
            "faults",
            "episodes_ended",
            "fault_reported",
            "hangs",
            "exceptions",
            "equal_after_restart",
            "restart_checks",
            "signalled_alive",
        ),
        0,
    )
    deadline = time.monotonic() + preset["mcp_seconds"]
    names = list(envs)
    for i in range(3 * preset["mcp_faults"]):  # an episode may have no tool call to fault
        if time.monotonic() > deadline or totals["faults"] >= preset["mcp_faults"]:
            break
        name = names[i % len(names)]
        how = signal.SIGKILL if (i // len(names)) % 2 == 0 else signal.SIGSTOP
        env = envs[name]
        result = fault_episode(env, rng, seed + i, how)
        if not result["signalled"] and not (result["hang"] or result["exception"]):
            continue  # no tool call left after the chosen step: no fault this time
        counts = per_target.setdefault(
            name,
            {
                "SIGKILL": 0,
                "SIGSTOP": 0,
                "ended": 0,
                "reported": 0,
                "signalled_alive": 0,
                "equal_after_restart": 0,
                "restart_checks": 0,
            },
        )
        counts[how.name] += 1
        totals["faults"] += 1
        totals["episodes_ended"] += result["ended"]
        totals["fault_reported"] += result["reported"]

        counts["ended"] += result["ended"]
        counts["reported"] += result["reported"]

        totals["hangs"] += result["hang"]
        if result["signalled"] and not result["reported"]:
            examples.append(f"{name} {how.name}: not reported in {result['first_result']!r}")
        if result["exception"] or result["hang"] or not result["ended"]:
            totals["exceptions"] += result["exception"] is not None
            examples.append(f"{name} {how.name}: {result}")
            env.close()
            env = envs[name] = gym.make(MCP_TARGETS[name], backend="mcp", control="all")
        time.sleep(0.2)
        if result["pid"] is not None and alive(result["pid"]):
            totals["signalled_alive"] += 1  # a server the backend replaced but did not end
            counts["signalled_alive"] += 1
            examples.append(
                f"{name} {how.name}: replaced server {psutil.Process(result['pid']).status()}"
            )
        if env.unwrapped.domain.nondeterministic:
            continue  # real time: two runs differ anyway
        try:
            ours = oracle_trajectory(env, seed + 10_000 + i)
            theirs = oracle_trajectory(local[name], seed + 10_000 + i)
            same = ours == theirs
            if not same:
                first = next(
                    (k for k, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                    min(len(ours), len(theirs)),
                )
                mcp_text = ours[first][-160:] if first < len(ours) else "(ended)"
                local_text = theirs[first][-160:] if first < len(theirs) else "(ended)"
                examples.append(
                    f"{name} after {how.name}: step {first} differs: mcp {mcp_text!r} "
                    f"vs in-process {local_text!r}"
                )
        except Exception as e:
            same = False
            examples.append(f"{name} after restart: {type(e).__name__}: {e}"[:300])
        totals["restart_checks"] += 1
        totals["equal_after_restart"] += same
        counts["restart_checks"] += 1
        counts["equal_after_restart"] += same
    restarts = {}
    for name, env in envs.items():
        try:
            restarts[name] = healthy_restarts(env, seed)
        except Exception as e:
            restarts[name] = -1
            examples.append(f"{name} hostile arguments: {type(e).__name__}: {e}"[:300])
    for env in [*envs.values(), *local.values()]:
        env.close()
    time.sleep(0.5)
    left = live_children()
    for proc in left:
        proc.kill()
    ids = list(MCP_TARGETS.values())
    exit_normal = leaked_after_exit(ids, kill_parent=False)
    exit_killed = leaked_after_exit(ids, kill_parent=True)
    exit_stopped = leaked_after_exit(ids, kill_parent=True, stop_servers=True)
    return {
        **totals,
        "left_after_close": len(left),
        "left_after_close_names": [p.name() for p in left][:10],
        "left_after_exit": exit_normal["left"],
        "left_after_parent_kill": exit_killed["left"],
        "left_after_parent_kill_stopped": exit_stopped["left"],
        "shm_left_after_exit": exit_normal["shm_left"]
        + exit_killed["shm_left"]
        + exit_stopped["shm_left"],
        "restarts_from_unsendable_arguments": sum(max(v, 0) for v in restarts.values()),
        "restarts_by_server": restarts,
        "servers_at_exit": exit_normal["servers"],
        "per_target": per_target,
        "examples": examples[:10],
    }
