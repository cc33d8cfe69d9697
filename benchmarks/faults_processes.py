"""Process-level parts of ``benchmarks/faults.py``: MCP kills and hangs, malformed
JSON-RPC to ``nexgym serve-mcp``, a soak per domain, and kill -9 of ``nexgym rollout``."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import queue
import signal
import subprocess
import sys
import threading
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


# -- serve-mcp fed malformed JSON-RPC ----------------------------------------------------------


class StdioPeer:
    """A ``nexgym serve-mcp`` process, written to and read from line by line."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, raw: bytes) -> bool:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(raw if raw.endswith(b"\n") else raw + b"\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def answer(self, request_id: Any, timeout: float) -> dict[str, Any] | None:
        """The response with ``request_id`` (other lines are dropped), or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                return None
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(message, dict)
                and message.get("id") == request_id
                and ("result" in message or "error" in message)
            ):
                return message
        return None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def call(request_id: Any, method: str, params: Any = None) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message).encode()


def malformed_messages(canary: str) -> list[tuple[str, bytes, Any]]:
    """``(label, raw line, id an answer must carry or None)``."""
    tool = "tools/call"
    huge = b"a" * (10 << 20)
    return [
        ("garbage text", b"hello there", None),
        ("binary", b"\x00\xff\xfe\x80", None),
        ("truncated JSON", b'{"jsonrpc": "2.0", "id": 100, "method": "tools/li', None),
        ("JSON null", b"null", None),
        ("JSON array", b"[1, 2, 3]", None),
        ("batch", b"[" + call(101, "tools/list") + b"]", None),
        ("no method", b'{"jsonrpc": "2.0", "id": 102}', None),
        ("wrong version", b'{"jsonrpc": "1.0", "id": 103, "method": "tools/list"}', None),
        ("huge garbage line", huge, None),
        (
            "huge argument",
            call(104, tool, {"name": "read_file", "arguments": {"path": huge.decode()}}),
            104,
        ),
        ("deep params", call(105, tool, json.loads("[" * 500 + "]" * 500)), 105),
        ("unknown method", call(106, "tools/explode"), 106),
        ("unknown method, string id", call("x-107", "resources/nothing"), "x-107"),
        ("params not an object", call(108, tool, [1, 2]), 108),
        ("params a string", call(109, tool, "read_file"), 109),
        ("unknown tool", call(110, tool, {"name": "rm_rf", "arguments": {}}), 110),
        ("missing arguments", call(111, tool, {"name": "read_file"}), 111),
        (
            "wrong argument type",
            call(112, tool, {"name": "read_file", "arguments": {"path": 7}}),
            112,
        ),
        (
            "extra argument",
            call(113, tool, {"name": "list_dir", "arguments": {"path": "/", "x": 1}}),
            113,
        ),
        (
            "NaN argument",
            call(114, tool, {"name": "read_file", "arguments": {"path": float("nan")}}),
            114,
        ),
        (
            "path traversal",
            call(115, tool, {"name": "read_file", "arguments": {"path": "../../../../etc/passwd"}}),
            115,
        ),
        (
            "absolute host path",
            call(116, tool, {"name": "read_file", "arguments": {"path": "/etc/passwd"}}),
            116,
        ),
        (
            "write to a host path (virtual)",
            call(
                117,
                tool,
                {"name": "write_file", "arguments": {"path": f"{canary}/x", "content": "x"}},
            ),
            117,
        ),
        (
            "surrogate argument",
            call(118, tool, {"name": "read_file", "arguments": {"path": "\ud800"}}),
            118,
        ),
        ("id an object", b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}', None),
        ("notification of unknown method", b'{"jsonrpc": "2.0", "method": "nothing/here"}', None),
    ]


def handshake(peer: StdioPeer) -> bool:
    peer.send(
        call(
            1,
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "faults-benchmark", "version": "0"},
            },
        )
    )
    ok = peer.answer(1, 60) is not None
    peer.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
    return ok


def run_serve_mcp(preset: dict[str, Any], seed: int, root: Path) -> dict[str, Any]:
    canary = root / "serve-canary"
    canary.mkdir(exist_ok=True)
    counts = dict.fromkeys(
        (
            "messages",
            "with_id",
            "answered_errors",
            "answered_ok",
            "unanswered",
            "crashes",
            "host_leaks",
        ),
        0,
    )
    examples: list[str] = []
    alive_at_end = 0
    rounds = preset["serve_rounds"]
    for _ in range(rounds):
        peer = StdioPeer([NEXGYM, "serve-mcp", "files", "--seed", str(seed)])
        try:
            if not handshake(peer):
                counts["crashes"] += 1
                examples.append("no answer to initialize")
                continue
            for label, raw, request_id in malformed_messages(str(canary)):
                counts["messages"] += 1
                peer.send(raw)
                if request_id is not None:
                    counts["with_id"] += 1
                    answer = peer.answer(request_id, preset["serve_answer_seconds"])
                    if answer is None:
                        counts["unanswered"] += 1
                        examples.append(f"no answer to {label}")
                    elif "error" in answer or answer["result"].get("isError"):
                        counts["answered_errors"] += 1
                    else:  # only the virtual write may succeed; the host must not change
                        counts["answered_ok"] += "virtual" not in label
                        if "virtual" not in label:
                            examples.append(f"{label}: answered without an error")
                    if answer is not None and "root:x:0:0" in json.dumps(answer):
                        counts["host_leaks"] += 1
                if peer.proc.poll() is not None:
                    counts["crashes"] += 1
                    examples.append(f"exited after {label} (status {peer.proc.returncode})")
                    break
            else:
                peer.send(call(999, "tools/call", {"name": "list_dir", "arguments": {"path": "/"}}))
                final = peer.answer(999, 30)
                alive_at_end += (
                    final is not None and "result" in final and not final["result"].get("isError")
                )
        finally:
            peer.close()
    return {
        **counts,
        "rounds": rounds,
        "alive_at_end": alive_at_end,
        "host_files_written": len(list(canary.iterdir())),
        "examples": examples[:12],
    }


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
    budget = preset["soak_seconds"] / len(envs)
    rows, total = [], 0
    rng = np.random.default_rng(seed)
    for env_id in envs:
        env = gym.make(env_id)
        policy = OraclePolicy(env)
        oracle_trajectory(env, seed)  # warm-up: caches, lazy imports, loopback servers
        gc.collect()
        before = (
            process.memory_info().rss,
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
                "fds_before": before[1],
                "fds_after": after[1],
                "temp_before": before[2],
                "temp_after": after[2],
                "temp_after_close": closed_tmp,
                "shm_before": before[3],
                "shm_after": after[3],
            }
        )
    return {
        "steps": total,
        "domains": len(rows),
        "rss_growth_mb": round(max(r["rss_mb_after"] - r["rss_mb_before"] for r in rows), 1),
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
