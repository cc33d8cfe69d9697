"""Step overhead: oracle episodes through ``gym.make`` against the bare tool calls, in one run.

For each env (catalog envs of every domain; a one-agent spec for a domain that has
no catalog env yet; nondeterministic domains skipped):

(a) env: oracle episodes through ``gym.make(id, control="all")``, with every action
    text recorded beforehand, so the policy costs nothing in the timed loop (the
    hierarchy's delegations and ``finish`` calls are steps too);
(b) direct: for the same tasks, a loop that generates the task's world (and, for a peer
    team, copies it for each peer as the env does; the env copies a peer's world at
    the peer's first tool call, the loop at once), calls the same tool functions
    directly (``tool.fn(world, **args)``, each on the world the env ran it on) and
    renders the same results (``ToolResult.render()``); the rendered texts are checked
    equal to the tool messages the env produced. An independent team's merge (its
    peers' changes replayed on a pristine copy) is the same calls again, done too;
    their results reach no agent, so neither loop renders them;
(c) the ratio env / direct, per episode (reset + steps against task generation +
    calls) and per step (steps against calls, task generation left out of both).

It also measures ``import nexgym`` in a fresh interpreter (best of N), ``gym.make``
and ``reset`` (medians: of fresh envs, and of one env reset again and again; the best
of up to three rounds' medians, spread between the episode rounds), and the
oracle's own cost per action. Timings are the best of ``--repeats`` rounds, env and
direct loops interleaved, which keeps figures stable on a shared machine.

    python benchmarks/step_overhead.py                 # table + results JSON
    python benchmarks/step_overhead.py --profile       # plus where the env's time goes
"""

from __future__ import annotations

import argparse
import cProfile
import fnmatch
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
from nexgym.envs.domains import domain_class, get_domain, list_domains

import nexgym
from nexgym.error import NexgymError, ToolError
from nexgym.policies import OraclePolicy
from nexgym.registry import load_catalog_spec
from nexgym.spec import load_spec
from nexgym.tools import ToolCall, ToolResult

HERE = Path(__file__).resolve().parent
#: The env/direct ratio is reported as information; the speed goal against peers is
#: benchmarks/peer_speed.py's.
GOALS = {"import_s": 0.5, "make_ms": 5.0, "reset_ms": 2.0}
#: Rounds of the reset medians (fresh envs, and one env reset again and again).
RESET_ROUNDS = 3
HAND_WRITTEN = ("nex/FileDeepTree-v0", "nex/FileOps-v0", "nex/FileSolo-v0")
HEAVY = ("torch", "transformers", "mcp", "ray", "stable_baselines3")


@dataclass
class Episode:
    """One recorded oracle episode: what the env was given and what the tools did.

    ``worlds`` is how many worlds the env held (1, or one per peer of a peer team, plus
    the merge world of an independent team); ``call_worlds[i]`` is the world
    ``tool_calls[i]`` ran on. ``rendered`` holds the result texts the agents saw, one
    for each of the first ``len(rendered)`` calls (the calls after them are a team's
    merge replays, whose results no agent sees).
    """

    seed: int
    task_seed: int
    actions: list[str]
    tool_calls: list[ToolCall]
    call_worlds: list[int]
    worlds: int
    rendered: list[str]


def solo_spec(domain: str) -> dict[str, Any]:
    """A one-agent spec holding every tool, for a domain with no catalog env."""
    tools = [t.name for t in domain_class(domain).tools]
    name = "Bench" + "".join(part.title() for part in domain.split("_")) + "Solo"
    return {
        "name": name,
        "domain": domain,
        "topology": "single",
        "root": "worker",
        "agents": [
            {"name": "worker", "role": "You do the task.", "tools": tools, "max_turns": 150}
        ],
    }


def choose_envs(per_domain: int) -> list[tuple[str, Any]]:
    """(label, id or spec): per domain, up to ``per_domain`` catalog envs from the deepest
    and the shallowest hierarchies (depth, then agent count), the hand-written
    ``files`` examples always included; an ad hoc one-agent spec for a domain with none.
    """
    chosen: list[tuple[str, Any]] = []
    by_domain: dict[str, list[tuple[int, int, str]]] = {}
    for env_id in nexgym.list_envs():
        if gym.spec(env_id).nondeterministic:
            continue
        spec = load_catalog_spec(env_id)
        by_domain.setdefault(spec.domain, []).append((spec.depth(), len(spec.agents), env_id))
    for domain in list_domains():
        if domain_class(domain).nondeterministic:
            continue
        shapes = sorted(by_domain.get(domain, []))
        if not shapes:
            spec = solo_spec(domain)
            chosen.append((f"{spec['name']} (ad hoc)", spec))
            continue
        picks: list[str] = [i for i in HAND_WRITTEN if any(i == s[2] for s in shapes)]
        ends = [shapes[-1], shapes[0], shapes[len(shapes) // 2]]
        for _, _, env_id in ends:
            if env_id not in picks:
                picks.append(env_id)
        chosen += [(env_id, env_id) for env_id in picks[: max(per_domain, 1)]]
    return chosen


def load_spec_of(target: Any) -> Any:
    return load_catalog_spec(target) if isinstance(target, str) else load_spec(target)


def make(target: Any, **kwargs: Any) -> gym.Env:
    return (
        gym.make(target, **kwargs) if isinstance(target, str) else nexgym.make_env(target, **kwargs)
    )


def record(
    target: Any, episodes: int, difficulty: int, seconds: float = float("inf")
) -> tuple[list[Episode], float, int]:
    """Play oracle episodes once (at least 3, then as many as fit in ``seconds``).

    Returns the episodes, the oracle's time and its action count.
    """
    env = make(target, control="all", difficulty=difficulty)
    policy = OraclePolicy(env)
    runtime = env.unwrapped.runtime
    out, policy_time, policy_calls = [], 0.0, 0
    started = time.perf_counter()
    for seed in range(episodes):
        if seed >= 3 and time.perf_counter() - started > seconds:
            break
        obs, info = env.reset(seed=seed)
        worlds = len(runtime.backend.worlds)  # forked at reset, one kept at the end
        actions = []
        while True:
            start = time.perf_counter()
            action = policy(obs, info)
            policy_time += time.perf_counter() - start
            policy_calls += 1
            actions.append(action)
            obs, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        if not info.get("success"):
            raise RuntimeError(f"the oracle did not solve {target!r} seed {seed}: {info}")
        tool_messages = _tool_messages(runtime)
        calls = [r.call for r in runtime.tool_log]
        call_worlds = [r.world for r in runtime.tool_log]
        out.append(
            Episode(seed, info["task_seed"], actions, calls, call_worlds, worlds, tool_messages)
        )
    env.close()
    return out, policy_time, policy_calls


def _tool_messages(runtime: Any) -> list[str]:
    """The domain tools' result texts from every agent's history, in call order."""
    domain_tools = set(runtime.domain.tool_names)
    by_id = {
        m["tool_call_id"]: m["content"]
        for _, history in runtime.transcripts
        for m in history
        if m["role"] == "tool" and m["name"] in domain_tools
    }
    return [by_id[i] for i in sorted(by_id, key=lambda i: int(i.split("_")[1]))]


#: Seconds of one episode: (whole wall, second part wall, whole CPU, second part CPU,
#: first part wall); the first part is the reset (env) or the task generation, with a peer
#: team's world copies (direct).
Timing = tuple[float, float, float, float, float]


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _timing(start: tuple[float, float], middle: tuple[float, float]) -> Timing:
    end = _now()
    return (
        end[0] - start[0],
        end[0] - middle[0],
        end[1] - start[1],
        end[1] - middle[1],
        middle[0] - start[0],
    )


def time_env(target: Any, episodes: list[Episode], difficulty: int) -> list[Timing]:
    """Replay the recorded actions; the second part of each timing is the steps alone."""
    env = make(target, control="all", difficulty=difficulty)
    env.reset(seed=0)  # first reset outside the timing (lazy imports, caches)
    out = []
    for episode in episodes:
        start = _now()
        env.reset(seed=episode.seed)
        after_reset = _now()
        for action in episode.actions:
            env.step(action)
        out.append(_timing(start, after_reset))
    env.close()
    return out


def direct(domain: Any, episode: Episode, difficulty: int) -> tuple[list[str], Timing]:
    """Generate the task (its world copied for each peer of a team), call the same tools on
    the same worlds, render the results the agents saw; the calls are timed apart."""
    start = _now()
    world = domain.generate_task(episode.task_seed, difficulty).world
    worlds = [world] + [domain.copy_world(world) for _ in range(episode.worlds - 1)]
    after_generation = _now()
    texts = []
    shown = len(episode.rendered)
    for i, (call, index) in enumerate(zip(episode.tool_calls, episode.call_worlds, strict=True)):
        tool = domain.tool(call.name)
        try:
            result = ToolResult(ok=True, content=tool.fn(worlds[index], **call.arguments))
        except ToolError as e:
            result = ToolResult.failure(str(e))
        if i < shown:
            texts.append(result.render())
    del world, worlds  # the loop is done with its worlds too (the env frees them at reset)
    return texts, _timing(start, after_generation)


def time_direct(domain_name: str, episodes: list[Episode], difficulty: int) -> list[Timing]:
    """The direct loop; checks that it renders the very texts the env's agents saw."""
    domain = get_domain(domain_name)
    out = []
    for episode in episodes:
        texts, timing = direct(domain, episode, difficulty)
        out.append(timing)
        if [t[:8000] for t in texts] != [t[:8000] for t in episode.rendered]:
            raise RuntimeError(f"direct results differ from the env's for task {episode.task_seed}")
    domain.close()
    return out


def _best(rounds: list[list[Timing]]) -> Timing:
    """Per figure, the sum over episodes of each episode's fastest round.

    Taking each episode's minimum filters out the rounds in which another process held
    the CPU, which keeps the figures stable on a shared machine.
    """
    per_episode = list(zip(*rounds, strict=True))
    return tuple(  # type: ignore[return-value]
        sum(min(run[k] for run in runs) for runs in per_episode) for k in range(5)
    )


def time_make_and_reset(target: Any, n: int, seconds: float) -> tuple[float, float, float, float]:
    """Median ``gym.make``, first ``reset`` and later ``reset`` times, and median ``gym.make``
    CPU time, in milliseconds.

    The first reset after ``gym.make`` includes Gymnasium's passive env checker, which
    tests the first observation character by character; later resets (what a training
    loop pays) do not. ``gym.make``'s CPU time is not inflated by other processes holding
    the CPU, which its wall time on a shared machine is.
    """
    make(target).close()  # warm-up: the domain's module and caches
    makes, make_cpus, firsts, resets = [], [], [], []
    started = time.perf_counter()
    for i in range(n):
        if i >= 5 and time.perf_counter() - started > seconds:
            break
        start, start_cpu = _now()
        env = make(target)
        makes.append(time.perf_counter() - start)
        make_cpus.append(time.process_time() - start_cpu)
        start = time.perf_counter()
        env.reset(seed=i)
        firsts.append(time.perf_counter() - start)
        for j in range(3):
            start = time.perf_counter()
            env.reset(seed=n + 3 * i + j)
            resets.append(time.perf_counter() - start)
        env.close()
    return tuple(1e3 * statistics.median(x) for x in (makes, firsts, resets, make_cpus))  # type: ignore[return-value]


def time_steady_reset(target: Any, n: int, seconds: float) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``reset`` on one env reset again and again.

    What a training loop pays: the warm-up resets fill the domain's keep of old worlds
    (the gitrepo domain keeps 8 repositories on disk), so the timed resets also delete
    the oldest one.
    """
    env = make(target)
    for seed in range(12):
        env.reset(seed=seed)
    walls, cpus = [], []
    started = time.perf_counter()
    for i in range(n):
        if i >= 20 and time.perf_counter() - started > seconds:
            break
        start, start_cpu = _now()
        env.reset(seed=100 + i)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    env.close()
    return 1e3 * statistics.median(walls), 1e3 * statistics.median(cpus)


def time_import(n: int) -> dict[str, Any]:
    """``import nexgym`` in fresh interpreters: best wall and CPU seconds, heavy modules seen."""
    probe = (
        "import json, sys, time\n"
        "w, c = time.perf_counter(), time.process_time()\n"
        "import nexgym\n"
        "w, c = time.perf_counter() - w, time.process_time() - c\n"
        f"print(json.dumps([w, c, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n"
    )
    walls, cpus, heavy = [], [], set()
    for _ in range(n):
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        wall, cpu, seen = json.loads(done.stdout)
        walls.append(wall)
        cpus.append(cpu)
        heavy.update(seen)
    return {"import_s": min(walls), "import_cpu_s": min(cpus), "heavy_modules": sorted(heavy)}


def profile_env(target: Any, episodes: list[Episode], difficulty: int, top: int) -> str:
    """cProfile (on CPU time, over three rounds) of the env replay loop, by own time."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(3):
        time_env(target, episodes, difficulty)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


def measure(label: str, target: Any, args: argparse.Namespace) -> dict[str, Any]:
    budget = args.seconds_per_env / (2 * args.repeats + 1)  # recording + timed rounds
    started = time.perf_counter()
    episodes, policy_time, policy_calls = record(target, args.episodes, args.difficulty, budget)
    domain_name = load_spec_of(target).domain
    env_rounds, direct_rounds = [], []
    make_rounds: list[tuple[float, ...]] = []
    steady_rounds: list[tuple[float, ...]] = []
    rounds = 0
    while rounds < args.repeats:  # interleaved; slow envs get fewer rounds
        rounds += 1
        env_rounds.append(time_env(target, episodes, args.difficulty))
        direct_rounds.append(time_direct(domain_name, episodes, args.difficulty))
        if rounds <= RESET_ROUNDS:  # the reset medians too, a share of the budget each round
            share = budget / RESET_ROUNDS
            make_rounds.append(time_make_and_reset(target, args.make_samples, share))
            steady_rounds.append(time_steady_reset(target, 4 * args.make_samples, share))
        if rounds >= 2 and time.perf_counter() - started > args.seconds_per_env:
            break
    env_wall, env_steps_wall, env_cpu, env_steps_cpu, env_reset = _best(env_rounds)
    direct_wall, direct_calls_wall, direct_cpu, direct_calls_cpu, generation = _best(direct_rounds)
    steps = sum(len(e.actions) for e in episodes)
    # each figure is its best round's median, as the episode timings are each episode's best
    best_make = [min(x) for x in zip(*make_rounds, strict=True)]
    make_ms, first_reset_ms, reset_ms, make_cpu_ms = best_make
    steady_ms, steady_cpu_ms = (min(x) for x in zip(*steady_rounds, strict=True))
    n_calls = sum(len(e.tool_calls) for e in episodes)
    n = len(episodes)
    return {
        "env": label,
        "domain": domain_name,
        "episodes": n,
        "rounds": rounds,
        "steps": steps,
        "tool_calls": n_calls,
        "env_episode_us": 1e6 * env_wall / n,
        "direct_episode_us": 1e6 * direct_wall / n,
        "ratio_episode": env_wall / direct_wall,
        "ratio_episode_cpu": env_cpu / direct_cpu,
        "env_step_us": 1e6 * env_steps_wall / steps,
        "direct_call_us": 1e6 * direct_calls_wall / max(n_calls, 1),
        "ratio_steps": env_steps_wall / direct_calls_wall,
        "ratio_steps_cpu": env_steps_cpu / max(direct_calls_cpu, 1e-9),
        "oracle_action_us": 1e6 * policy_time / policy_calls,
        # reset minus the domain's task generation: what the env itself adds to a reset
        "reset_in_episode_us": 1e6 * env_reset / n,
        "task_generation_us": 1e6 * generation / n,
        "reset_overhead_us": 1e6 * (env_reset - generation) / n,
        "make_ms": make_ms,
        "make_cpu_ms": make_cpu_ms,
        "first_reset_ms": first_reset_ms,
        "reset_ms": reset_ms,
        "steady_reset_ms": steady_ms,
        "steady_reset_cpu_ms": steady_cpu_ms,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """One row per env; ratios as wall (CPU) time, env over direct."""
    header = (
        f"{'env':<32} {'steps':>5} {'calls':>5} {'env us/ep':>9} {'direct':>8} "
        f"{'ratio ep wall(cpu)':>18} {'ratio no-taskgen':>17} {'step us':>7} {'call us':>7} "
        f"{'make ms':>7} {'reset ms':>8} {'steady':>6} {'first':>6} {'own us':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        n = r["episodes"]
        lines.append(
            f"{r['env'][:32]:<32} {r['steps'] / n:>5.1f} {r['tool_calls'] / n:>5.1f} "
            f"{r['env_episode_us']:>9.0f} {r['direct_episode_us']:>8.0f} "
            f"{r['ratio_episode']:>8.2f}x ({r['ratio_episode_cpu']:>5.2f}x) "
            f"{r['ratio_steps']:>7.1f}x ({r['ratio_steps_cpu']:>5.1f}x) "
            f"{r['env_step_us']:>7.1f} {r['direct_call_us']:>7.1f} "
            f"{r['make_ms']:>7.2f} {r['reset_ms']:>8.3f} {r['steady_reset_ms']:>6.3f} "
            f"{r['first_reset_ms']:>6.2f} "
            f"{r['reset_overhead_us']:>6.0f}"
        )
    lines.append(
        "steps, calls: per episode (steps include delegations and finish); direct: the bare "
        "tool loop, task generation included;\nno-taskgen: steps against tool calls alone; "
        "us/ep, step us, call us: wall microseconds (best round per episode);\n"
        "make ms, reset ms: medians (reset: the 2nd to 4th of fresh envs); steady: median "
        "reset of one env reset again and again;\nfirst: the first reset after gym.make "
        "(env checker); each the best of up to 3 rounds' medians; own us: reset minus task "
        "generation."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=40, help="oracle tasks per env")
    parser.add_argument("--difficulty", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="timing rounds (best is kept)")
    parser.add_argument("--per-domain", type=int, default=3, help="catalog envs per domain")
    parser.add_argument(
        "--seconds-per-env", type=float, default=20.0, help="time budget of one env's rounds"
    )
    parser.add_argument("--only", default="*", help="glob on the env labels, e.g. 'nex/File*'")
    parser.add_argument("--make-samples", type=int, default=50)
    parser.add_argument("--import-runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest env")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "step_overhead.json")
    args = parser.parse_args()

    rows, skipped = [], {}
    targets = choose_envs(args.per_domain)
    for label, target in targets:
        if not fnmatch.fnmatch(label, args.only):
            continue
        print(f"measuring {label} ...", file=sys.stderr, flush=True)
        try:
            rows.append(measure(label, target, args))
        except (RuntimeError, OSError, NexgymError) as e:  # reported, not timed
            skipped[label] = f"{type(e).__name__}: {e}"
            print(f"skipped {label}: {e}", file=sys.stderr)
    imports = time_import(args.import_runs)
    print(table(rows))
    if not rows:
        sys.exit("no env was measured (check --only)")
    worst = max(rows, key=lambda r: r["ratio_episode"])
    summary = {
        "load_average_1min": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
        "ratio_episode_max": worst["ratio_episode"],
        "ratio_episode_cpu_max": max(r["ratio_episode_cpu"] for r in rows),
        "ratio_episode_median": statistics.median(r["ratio_episode"] for r in rows),
        "ratio_steps_max": max(r["ratio_steps"] for r in rows),
        "make_ms_max": max(r["make_ms"] for r in rows),
        "make_cpu_ms_max": max(r["make_cpu_ms"] for r in rows),
        "reset_ms_max": max(r["reset_ms"] for r in rows),
        "steady_reset_ms_max": max(r["steady_reset_ms"] for r in rows),
        "steady_reset_cpu_ms_max": max(r["steady_reset_cpu_ms"] for r in rows),
        "reset_overhead_us_max": max(r["reset_overhead_us"] for r in rows),
        **imports,
    }
    heavy = imports["heavy_modules"] or "none"
    print(
        f"\nimport nexgym: {imports['import_s']:.3f} s wall, {imports['import_cpu_s']:.3f} s CPU "
        f"(best of {args.import_runs}); heavy modules imported: {heavy}"
    )
    median_own = statistics.median(r["reset_overhead_us"] for r in rows)
    checks = {
        "import < 0.5 s (wall)": imports["import_s"] < GOALS["import_s"],
        "import < 0.5 s (CPU)": imports["import_cpu_s"] < GOALS["import_s"],
        "gym.make < 5 ms (every env, wall)": summary["make_ms_max"] < GOALS["make_ms"],
        "gym.make < 5 ms (every env, CPU)": summary["make_cpu_ms_max"] < GOALS["make_ms"],
        "reset < 2 ms (every env, task generation included)": summary["reset_ms_max"]
        < GOALS["reset_ms"],
        "reset < 2 ms (every env, steady: one env reset again and again, wall)": summary[
            "steady_reset_ms_max"
        ]
        < GOALS["reset_ms"],
        "reset < 2 ms (every env, steady, CPU)": summary["steady_reset_cpu_ms_max"]
        < GOALS["reset_ms"],
        "reset < 2 ms (the env's part, task generation excluded, median env)": median_own
        < 1e3 * GOALS["reset_ms"],
    }
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    if args.profile:
        label, target = next((lbl, t) for lbl, t in targets if lbl == worst["env"])
        episodes, _, _ = record(target, args.episodes, args.difficulty, args.seconds_per_env)
        print(f"\nprofile of the env loop for {label} (sorted by own time):")
        print(profile_env(target, episodes, args.difficulty, args.top))
    result = {
        "benchmark": "step_overhead",
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "goals": GOALS,
        "summary": summary,
        "checks": checks,
        "envs": rows,
        "skipped": skipped,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
