"""Vector env throughput: sync and async, in-process and MCP tools; batched vs SyncVectorEnv.

Part 1, scaling: ``gym.make_vec(id, num_envs=n, vectorization_mode="sync" | "async")``
for n in 1, 2, 4, 8, 16, with tools in-process or behind a real MCP server per sub-env
(``backend="mcp"``). Every sub-env plays random well-formed tool calls drawn from its
own seeded generator. Throughput is env steps per wall-clock second after a warm-up
(MCP servers started). A third series, ``mcp+latency``, adds the latency of remote
tools: each call also sleeps for a latency drawn from the shipped ``realistic``
profile (fitted to real MCP calls; median about 20 ms), as a server across a network
would make it wait. Async workers overlap those waits, so throughput grows past the
number of CPU cores; a sync vector env waits for each call in turn.

Part 2, batched vs generic: nexgym's ``vector_entry_point`` (:class:`NexVectorEnv`)
against Gymnasium's ``SyncVectorEnv`` over the same envs, replaying one recorded action
stream in both (their outputs are checked equal), in two settings: tasks drawn from a
training split (``task_seeds``, as RL training does: the batched env generates each task
once and copies its world) and fresh tasks every episode (nothing to reuse). The two
run interleaved, best of ``--repeats``, in this one process.

    python benchmarks/vector_throughput.py              # ~10 minutes
    python benchmarks/vector_throughput.py --quick      # a smoke run

Results: tables on stdout, ``benchmarks/results/vector_throughput.json`` and ``.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import nexgym  # noqa: F401  (registers the catalog)
from nexgym.teammates.random_calls import random_call

HERE = Path(__file__).resolve().parent


def random_actions(
    rngs: list[np.random.Generator], observations: Any, infos: dict[str, Any]
) -> tuple[str, ...]:
    """One random well-formed call per sub-env, from that sub-env's own generator."""
    actions = []
    for i, rng in enumerate(rngs):
        tools = list(infos["tools"][i] or []) if infos.get("_tools", [False] * 99)[i] else []
        actions.append(random_call(rng, tools, observations[i]).to_text() if tools else "x")
    return tuple(actions)


def with_real_latency(env: gym.Env) -> gym.Env:
    """Sleep each tool call's latency, drawn from the shipped profile of real MCP calls."""
    from nexgym.wrappers import Latency

    return Latency(env, "realistic", real_time=True)


def scaling_point(env_id: str, n: int, mode: str, backend: str, steps: int) -> dict[str, Any]:
    vector_kwargs = {"shared_memory": False} if mode == "async" else {}
    wrappers = [with_real_latency] if backend == "mcp+latency" else []
    envs = gym.make_vec(
        env_id,
        num_envs=n,
        vectorization_mode=mode,
        vector_kwargs=vector_kwargs,
        wrappers=wrappers,
        backend="inproc" if backend == "inproc" else "mcp",
        max_turns=8,
    )
    rngs = [np.random.default_rng(1_000 + i) for i in range(n)]
    observations, infos = envs.reset(seed=0)
    for _ in range(3):  # warm-up: MCP servers start on the first tool call
        observations, _, _, _, infos = envs.step(random_actions(rngs, observations, infos))
    start = time.perf_counter()
    for _ in range(steps):
        observations, _, _, _, infos = envs.step(random_actions(rngs, observations, infos))
    seconds = time.perf_counter() - start
    envs.close()
    return {
        "num_envs": n,
        "mode": mode,
        "backend": backend,
        "env_steps": n * steps,
        "seconds": round(seconds, 3),
        "steps_per_second": round(n * steps / seconds, 1),
    }


def record_stream(env_id: str, n: int, steps: int, kwargs: dict[str, Any]) -> list[tuple]:
    envs = gym.make_vec(env_id, num_envs=n, vectorization_mode="sync", **kwargs)
    rngs = [np.random.default_rng(2_000 + i) for i in range(n)]
    observations, infos = envs.reset(seed=0)
    stream = []
    for _ in range(steps):
        actions = random_actions(rngs, observations, infos)
        stream.append(actions)
        observations, _, _, _, infos = envs.step(actions)
    envs.close()
    return stream


def replay(envs: gym.vector.VectorEnv, stream: list[tuple]) -> tuple[float, float, list]:
    envs.reset(seed=0)
    outputs = []
    wall, cpu = time.perf_counter(), time.process_time()
    for actions in stream:
        observations, rewards, terminations, truncations, _ = envs.step(actions)
        outputs.append(
            (observations, rewards.tolist(), terminations.tolist(), truncations.tolist())
        )
    return time.perf_counter() - wall, time.process_time() - cpu, outputs


def batched_vs_sync(
    env_id: str, n: int, steps: int, repeats: int, kwargs: dict[str, Any], setting: str
) -> dict[str, Any]:
    stream = record_stream(env_id, n, steps, kwargs)
    sync = gym.make_vec(env_id, num_envs=n, vectorization_mode="sync", **kwargs)
    batched = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
    best: dict[str, list[float]] = {"sync": [1e9, 1e9], "batched": [1e9, 1e9]}
    equal = True
    for _ in range(repeats):
        results = {}
        for name, envs in (("sync", sync), ("batched", batched)):
            wall, cpu, outputs = replay(envs, stream)
            best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
            results[name] = outputs
        equal &= results["sync"] == results["batched"]
    sync.close()
    batched.close()
    env_steps = n * steps
    return {
        "env_id": env_id,
        "setting": setting,
        "num_envs": n,
        "env_steps": env_steps,
        "outputs_equal": equal,
        "sync_steps_per_second": round(env_steps / best["sync"][0], 1),
        "batched_steps_per_second": round(env_steps / best["batched"][0], 1),
        "speedup_wall": round(best["sync"][0] / best["batched"][0], 2),
        "speedup_cpu": round(best["sync"][1] / best["batched"][1], 2),
    }


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for backend, style in (("inproc", "-"), ("mcp", "--"), ("mcp+latency", ":")):
        for mode, color in (("sync", "tab:blue"), ("async", "tab:orange")):
            points = [
                p for p in results["scaling"] if p["backend"] == backend and p["mode"] == mode
            ]
            if points:
                left.plot(
                    [p["num_envs"] for p in points],
                    [p["steps_per_second"] for p in points],
                    style,
                    marker="o",
                    color=color,
                    label=f"{mode}, {backend}",
                )
    left.axvline(results["machine"]["cpus"], color="gray", ls=":", label="CPU cores")
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("num_envs")
    left.set_ylabel("env steps / s")
    left.set_title(f"make_vec scaling ({results['config']['env']})", fontsize=10)
    left.set_ylim(bottom=20)  # room for the legend under the curves
    left.legend(fontsize=7, ncol=2, loc="lower left")
    left.grid(alpha=0.3, which="both")
    rows = results["batched_vs_sync"]
    labels = [f"{r['env_id'].removeprefix('nex/')}\n{r['setting']}" for r in rows]
    x = np.arange(len(rows))
    right.bar(x - 0.2, [r["sync_steps_per_second"] for r in rows], 0.4, label="SyncVectorEnv")
    right.bar(x + 0.2, [r["batched_steps_per_second"] for r in rows], 0.4, label="NexVectorEnv")
    for i, r in enumerate(rows):
        right.text(
            i + 0.2,
            r["batched_steps_per_second"],
            f"{r['speedup_wall']}x",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    right.set_xticks(x, labels, fontsize=7)
    right.set_ylabel("env steps / s")
    right.set_title(f"batched vector_entry_point vs sync, {rows[0]['num_envs']} envs", fontsize=10)
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="nex/FileOps-v0", help="env of the scaling part")
    parser.add_argument("--batched-envs", nargs="*", default=["nex/FileOps-v0", "nex/FileSolo-v0"])
    parser.add_argument("--num-envs", nargs="*", type=int, default=[1, 2, 4, 8, 16])
    parser.add_argument("--inproc-steps", type=int, default=150, help="vector steps per point")
    parser.add_argument("--mcp-steps", type=int, default=40, help="vector steps per MCP point")
    parser.add_argument("--batched-num-envs", type=int, default=8)
    parser.add_argument("--batched-steps", type=int, default=600)
    parser.add_argument("--split", type=int, default=64, help="task seeds of the training split")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--skip-scaling", action="store_true", help="keep part 1 from the existing results file"
    )
    parser.add_argument("--no-mcp", action="store_true")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--results", default=str(HERE / "results" / "vector_throughput"))
    args = parser.parse_args()
    if args.quick:
        args.num_envs, args.inproc_steps, args.mcp_steps = [1, 2], 10, 3
        args.batched_steps, args.repeats = 20, 1

    results: dict[str, Any] = {
        "config": {k: v for k, v in vars(args).items() if k != "results"},
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "scaling": [],
        "batched_vs_sync": [],
    }
    backends = ["inproc"] if args.no_mcp else ["inproc", "mcp", "mcp+latency"]
    if args.skip_scaling:
        previous = json.loads(Path(f"{args.results}.json").read_text())
        results["scaling"] = previous["scaling"]
        results["machine"]["scaling_measured_under_load"] = previous["machine"]
        backends = []
    print(f"{'backend':12} {'mode':6} {'envs':>5} {'steps/s':>9}")
    for backend in backends:
        steps = args.inproc_steps if backend == "inproc" else args.mcp_steps
        for mode in ("sync", "async"):
            for n in args.num_envs:
                point = scaling_point(args.env, n, mode, backend, steps)
                results["scaling"].append(point)
                print(f"{backend:12} {mode:6} {n:5d} {point['steps_per_second']:9.1f}", flush=True)

    print(f"\n{'env':22} {'setting':14} {'sync/s':>8} {'batched/s':>9} {'wall x':>7} {'cpu x':>6}")
    for env_id in args.batched_envs:
        for setting, kwargs in (
            (f"split of {args.split}", {"task_seeds": range(args.split), "max_turns": 8}),
            ("fresh tasks", {"max_turns": 8}),
        ):
            row = batched_vs_sync(
                env_id, args.batched_num_envs, args.batched_steps, args.repeats, kwargs, setting
            )
            results["batched_vs_sync"].append(row)
            print(
                f"{env_id:22} {setting:14} {row['sync_steps_per_second']:8.1f} "
                f"{row['batched_steps_per_second']:9.1f} {row['speedup_wall']:7.2f} "
                f"{row['speedup_cpu']:6.2f}" + ("" if row["outputs_equal"] else "  OUTPUTS DIFFER"),
                flush=True,
            )
    results["machine"]["load_average_at_end"] = os.getloadavg()
    Path(f"{args.results}.json").parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.results}.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, Path(f"{args.results}.png"))
    print(f"wrote {args.results}.json and .png")


if __name__ == "__main__":
    main()
