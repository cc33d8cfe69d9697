"""Faults and abuse, measured: hostile actions, MCP server kills and hangs, malformed
JSON-RPC to ``nexgym serve-mcp``, a soak, and kill -9 of ``nexgym rollout --out``.

1. **Hostile actions** (:mod:`faults_hostile`): envs of every domain, each played
   through the Gymnasium view (``control="all"``), the PettingZoo AEC view and the
   Parallel view. Counts: exceptions out of ``step``, steps over 1 s, observations
   outside the space, broken world invariants, and anything created or changed on the
   host outside the env's sandbox (a canary folder, the temp folders, ``/dev/shm``).
2. **MCP faults** (:mod:`faults_mcp`): SIGKILL and SIGSTOP of the env's MCP
   server mid-episode, own servers and third-party ones (mcp-server-git, -time).
3. **serve-mcp**: malformed JSON-RPC on its stdin; it must answer errors and stay up.
4. **Soak**: many steps with resets on one env per domain; RSS, open file
   descriptors, temp and /dev/shm entries before and after.
5. **Rollout kill -9**: ``nexgym rollout --out`` killed at random moments, then
   ``--resume``: no torn record, no duplicate, no committed record lost.

Every part is bounded in time and runs on loopback only (web fetches go to the
env's own loopback server or to refused loopback ports). The envs' temp files go to
a private temp folder, so what is left there after ``close()`` is counted exactly.

    python benchmarks/faults.py                 # full run, 40 min at most (results/faults.*)
    python benchmarks/faults.py --quick         # about 10 min here (results/faults_quick.*)
    python benchmarks/faults.py --parts hostile,serve --quick
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: Seconds after which a single step counts as hung (and is interrupted).
HANG_SECONDS = 30
#: Address-space limit of the benchmark process and its children: an action that asks
#: for unbounded memory meets a MemoryError (counted) instead of the machine's limit.
MEMORY_LIMIT_GB = 6
SLOW_SECONDS = 1.0
PARTS = ("hostile", "mcp", "serve", "soak", "rollout")
PRESETS: dict[str, dict[str, Any]] = {
    "full": {
        "hostile_envs": 60,
        "hostile_actions": 100_000,
        "hostile_seconds": 900,
        "hostile_huge_every": 2000,
        "mcp_faults": 100,
        "mcp_seconds": 1500,
        "serve_rounds": 3,
        "serve_answer_seconds": 10,
        "soak_steps": 7_000,
        "soak_seconds": 900,
        "rollout_kills": 20,
        "rollout_episodes": 6_000,
        "rollout_max_delay": 4.0,
    },
    "quick": {
        "hostile_envs": 15,
        "hostile_actions": 6_000,
        "hostile_seconds": 180,
        "hostile_huge_every": 1000,
        "mcp_faults": 12,
        "mcp_seconds": 120,
        "serve_rounds": 1,
        "serve_answer_seconds": 10,
        "soak_steps": 400,
        "soak_seconds": 90,
        "rollout_kills": 4,
        "rollout_episodes": 1_500,
        "rollout_max_delay": 3.0,
    },
    "ci": {
        "hostile_envs": 15,
        "hostile_actions": 240,
        "hostile_seconds": 20,
        "hostile_huge_every": 60,
        "mcp_faults": 2,
        "mcp_seconds": 30,
        "serve_rounds": 1,
        "serve_answer_seconds": 3,
        "soak_steps": 40,
        "soak_seconds": 10,
        "rollout_kills": 2,
        "rollout_episodes": 300,
        "rollout_max_delay": 1.5,
    },
}


class StepHung(Exception):
    """A step ran past :data:`HANG_SECONDS` (raised by the alarm handler)."""


def _alarm(signum: int, frame: Any) -> None:
    raise StepHung(f"step ran over {HANG_SECONDS} s")


def private_temp_folder(root: Path) -> Path:
    """Point every temp file of this process and its children at ``root/tmp``."""
    folder = root / "tmp"
    folder.mkdir()
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # recomputed from TMPDIR on next use
    return folder


def sample_envs(count: int) -> list[str]:
    """``count`` catalog ids, round-robin over domains so every domain is in."""
    import nexgym
    from nexgym.registry import load_catalog_spec

    by_domain: dict[str, list[str]] = {}
    for env_id in nexgym.list_envs():
        by_domain.setdefault(load_catalog_spec(env_id).domain, []).append(env_id)
    chosen: list[str] = []
    while len(chosen) < count and any(by_domain.values()):
        for ids in by_domain.values():
            if ids and len(chosen) < count:
                chosen.append(ids.pop(0))
    return chosen


def domain_of(env_id: str) -> str:
    from nexgym.registry import load_catalog_spec

    return load_catalog_spec(env_id).domain


# -- part 1: hostile actions ----------------------------------------------------------------


class Tally:
    """Counts of one part, with a few examples of each failure."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def fail(self, what: str, example: str) -> None:
        self.counts[what] += 1
        examples = self.examples.setdefault(what, [])
        if len(examples) < 8:
            examples.append(example[:300])


def limit_memory(gigabytes: float) -> None:
    import resource

    limit = int(gigabytes * 2**30)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def timed_step(step: Any, action: Any) -> tuple[Any, float]:
    """``step(action)`` under the hang alarm; returns its result and seconds."""
    signal.alarm(HANG_SECONDS)
    started = time.perf_counter()
    try:
        return step(action), time.perf_counter() - started
    finally:
        signal.alarm(0)


class ViewPlayer:
    """Plays hostile actions through one view of one env id."""

    def __init__(self, view: str, env_id: str, seed: int, records: Path) -> None:
        import gymnasium as gym
        from nexgym.wrappers import RecordTrajectories

        import nexgym
        from nexgym.policies import OraclePolicy

        self.view, self.env_id, self.seed = view, env_id, seed
        if view in ("gym", "recorded"):
            self.env: Any = gym.make(env_id, control="all")
            if view == "recorded":
                folder = records / f"{env_id.replace('/', '_')}-{seed}"
                self.env = RecordTrajectories(self.env, folder, resume=True)
            self.runtime = self.env.unwrapped.runtime
        else:
            make = nexgym.pz.env if view == "aec" else nexgym.pz.parallel_env
            self.env = make(env_id)
            self.runtime = self.env.runtime
        self.oracle = OraclePolicy(self.env)
        self.space = (
            self.env.observation_space
            if view in ("gym", "recorded")
            else self.env.observation_space(self.env.possible_agents[0])
        )
        self.episodes = 0
        self.reset()

    def reset(self) -> None:
        self.episodes += 1
        seed = self.seed + self.episodes
        if self.view in ("gym", "recorded"):
            self.obs, self.info = self.env.reset(seed=seed)
        elif self.view == "aec":
            self.env.reset(seed=seed)
        else:
            self.obs, self.infos = self.env.reset(seed=seed)

    def play(self, hostile: Any, tally: Tally) -> int:
        """One step of the view with hostile actions; returns the number of actions sent."""
        if self.view in ("gym", "recorded"):
            role = self.info["role"]
            kind, action = hostile.draw(self.runtime, role, self.obs, self.oracle, self.info)
            tally.kinds[kind] += 1
            result, seconds = timed_step(self.env.step, action)
            self.obs, _, terminated, truncated, self.info = result
            observations = [self.obs]
            done = terminated or truncated
            sent = [(kind, action)]
        elif self.view == "aec":
            agent = self.env.agent_selection
            if self.env.terminations[agent] or self.env.truncations[agent]:
                self.env.step(None)
                if not self.env.agents:
                    self.reset()
                return 0
            text = self.env.observe(agent)["text"]
            info = {**self.env.infos[agent], "role": agent}
            kind, action = hostile.draw(self.runtime, agent, text, self.oracle, info)
            tally.kinds[kind] += 1
            _, seconds = timed_step(self.env.step, {"text": action})
            observations = [self.env.observe(a)["text"] for a in self.env.agents]
            done = not self.env.agents or all(
                self.env.terminations[a] or self.env.truncations[a] for a in self.env.agents
            )
            sent = [(kind, action)]
        else:
            actions, sent = {}, []
            for agent in self.env.agents:
                info = {**self.infos.get(agent, {}), "role": agent}
                text = self.obs[agent]["text"]
                kind, action = hostile.draw(self.runtime, agent, text, self.oracle, info)
                tally.kinds[kind] += 1
                actions[agent] = {"text": action}
                sent.append((kind, action))
            result, seconds = timed_step(self.env.step, actions)
            self.obs, _, _, _, self.infos = result
            observations = [o["text"] for o in self.obs.values()]
            done = not self.env.agents
        label = f"{self.view} {self.env_id} {','.join(k for k, _ in sent)}"
        if seconds > SLOW_SECONDS:
            tally.fail("steps_over_1s", f"{label} {seconds:.2f}s {describe(sent[0][1])}")
        for text in observations:
            if not self.space.contains(
                text
                if isinstance(text, str) and self.view in ("gym", "recorded")
                else {"text": text}
            ):
                tally.fail("observation_outside_space", f"{label} {describe(text)}")
        broken = self.runtime.check_invariants()
        if broken:
            tally.fail("invariants_broken", f"{label} {broken[:2]}")
        if done:
            self.reset()
        return len(sent)

    def close(self) -> None:
        self.env.close()


def describe(action: Any) -> str:
    """A short, printable description of an action."""
    if isinstance(action, str | bytes):
        head = action[:60]
        return f"{type(action).__name__}[{len(action)}] {head!r}"
    return f"{type(action).__name__} {action!r}"[:80]


def run_hostile(preset: dict[str, Any], seed: int, root: Path, private_tmp: Path) -> dict[str, Any]:
    import numpy as np
    from faults_hostile import HostileActions, HostWatch, make_canary

    token = f"nexgym-pwned-{uuid.uuid4().hex[:8]}"
    canary = make_canary(root / "host")
    watch = HostWatch(canary, token, private_tmp)
    env_ids = sample_envs(preset["hostile_envs"])
    hostile = HostileActions(
        np.random.default_rng(seed), canary, token, huge_every=preset["hostile_huge_every"]
    )
    views = ("gym", "aec", "parallel", "recorded")
    per_view = math.ceil(preset["hostile_actions"] / (len(env_ids) * len(views)))
    records = root / "records"
    tally = Tally()
    deadline = time.monotonic() + preset["hostile_seconds"]
    sent_total, views_played, started = 0, 0, time.perf_counter()
    watch.start()
    for index, env_id in enumerate(env_ids):
        for view in views:
            if time.monotonic() > deadline:
                break
            player = ViewPlayer(view, env_id, seed + 1000 * index, records)
            views_played += 1
            sent = 0
            while sent < per_view and time.monotonic() < deadline:
                try:
                    sent += player.play(hostile, tally)
                except StepHung as e:
                    sent += 1
                    tally.fail("hangs", f"{view} {env_id}: {e}")
                    player.close()
                    player = ViewPlayer(view, env_id, seed + 1000 * index + 500, records)
                except Exception as e:  # what the benchmark counts: nothing may escape step
                    sent += 1
                    tally.fail("exceptions", f"{view} {env_id}: {type(e).__name__}: {e}")
                    tally.counts[f"exceptions in {view}"] += 1
                    player.close()
                    player = ViewPlayer(view, env_id, seed + 1000 * index + 500, records)
            player.close()
            sent_total += sent
    seconds = time.perf_counter() - started
    host = watch.changes()
    return {
        "envs": len(env_ids),
        "domains": len({domain_of(e) for e in env_ids}),
        "views_played": views_played,
        "actions": sent_total,
        "seconds": round(seconds, 1),
        "by_kind": dict(sorted(tally.kinds.items())),
        "exceptions": tally.counts["exceptions"],
        "exceptions_by_view": {v: tally.counts[f"exceptions in {v}"] for v in views},
        "hangs": tally.counts["hangs"],
        "steps_over_1s": tally.counts["steps_over_1s"],
        "observation_outside_space": tally.counts["observation_outside_space"],
        "invariants_broken": tally.counts["invariants_broken"],
        "host_changes": len(host["canary_changed"]) + len(host["token_hits"]),
        "temp_left_after_close": host["private_tmp_left_count"],
        "host": host,
        "examples": tally.examples,
    }


# -- the run ----------------------------------------------------------------------------------


def run(parts: list[str], preset_name: str, seed: int) -> dict[str, Any]:
    """Run the chosen parts; returns the results (also what the JSON file holds)."""
    import faults_mcp
    import faults_runs
    import faults_serve

    preset = PRESETS[preset_name]
    root = Path(tempfile.mkdtemp(prefix="nexgym-faults-"))
    private_tmp = private_temp_folder(root)
    os.environ.setdefault("NEXGYM_MCP_TIMEOUT", "3")
    limit_memory(MEMORY_LIMIT_GB)
    signal.signal(signal.SIGALRM, _alarm)
    results: dict[str, Any] = {
        "preset": preset_name,
        "seed": seed,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "mcp_timeout_s": float(os.environ["NEXGYM_MCP_TIMEOUT"]),
        "memory_limit_gb": MEMORY_LIMIT_GB,
        "hang_seconds": HANG_SECONDS,
    }
    runners = {
        "hostile": lambda: run_hostile(preset, seed, root, private_tmp),
        "mcp": lambda: faults_mcp.run_mcp_faults(preset, seed, root),
        "serve": lambda: faults_serve.run_serve_mcp(preset, seed, root),
        "soak": lambda: faults_runs.run_soak(preset, seed, private_tmp),
        "rollout": lambda: faults_runs.run_rollout_kills(preset, seed, root),
    }
    for part in parts:
        started = time.perf_counter()
        print(f"[faults] {part} ...", flush=True)
        results[part] = runners[part]()
        results[part]["part_seconds"] = round(time.perf_counter() - started, 1)
        print(f"[faults] {part}: {summary_line(part, results[part])}", flush=True)
    return results


def summary_line(part: str, r: dict[str, Any]) -> str:
    keys = {
        "hostile": (
            "actions",
            "envs",
            "exceptions",
            "hangs",
            "steps_over_1s",
            "invariants_broken",
            "observation_outside_space",
            "host_changes",
            "temp_left_after_close",
        ),
        "mcp": (
            "faults",
            "episodes_ended",
            "fault_reported",
            "hangs",
            "exceptions",
            "left_after_close",
            "left_after_exit",
            "equal_after_restart",
        ),
        "serve": ("messages", "answered_errors", "unanswered", "crashes", "alive_at_end"),
        "soak": (
            "steps",
            "domains",
            "rss_growth_mb",
            "allocated_blocks_growth",
            "fd_growth",
            "temp_growth",
            "shm_growth",
        ),
        "rollout": ("kills", "torn_accepted", "duplicates", "lost", "complete"),
    }[part]
    return ", ".join(f"{k}={r.get(k)}" for k in keys)


def write_results(results: dict[str, Any], stem: str) -> None:
    from faults_report import markdown

    out = HERE / "results"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out / f"{stem}.md").write_text(markdown(results))
    print(f"[faults] wrote {out / stem}.json and .md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick preset (minutes)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {PARTS}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="write no results page")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    preset = args.preset or ("quick" if args.quick else "full")
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"expected parts among {PARTS}, got {unknown}")
    results = run(parts, preset, args.seed)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    if not args.no_write:
        write_results(results, "faults" if preset == "full" else f"faults_{preset}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
