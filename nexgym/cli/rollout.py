r"""``nexgym rollout``: play policies across envs, print a summary table, write trajectories.

Examples::

    nexgym rollout nex/FileOps-v0 --policy oracle,random --episodes 20
    nexgym rollout --envs 'nex/*' --policy oracle,random --episodes 3
    nexgym rollout --envs 'nex/File*' --policy robust-oracle --noise realistic \
        --episodes 100 --out runs/files --only-success
    nexgym rollout --envs 'nex/*' --policy oracle,random --episodes 100 \
        --backend ray --out runs/catalog            # a local Ray instance, all CPUs
    nexgym rollout --envs 'nex/*' --episodes 1000 --backend ray --ray-address auto \
        --tools mcp --out runs/catalog             # the Ray cluster this machine is in

Episode ``i`` of every env and policy is reset with seed ``--seed + i``, so the
policies of one table play the same tasks. With ``--out DIR`` each episode becomes one
line of ``DIR/trajectories.jsonl`` (per-agent chat transcripts in the OpenAI
tool-calling format with their tool schemas, spans, timings, reward, success), written
crash-safe: a run killed at any moment is continued with ``--resume`` and no episode is
written twice. ``--format parquet`` also writes ``DIR/trajectories.parquet`` at the end.
Load either with ``datasets.load_dataset("json", data_files="DIR/trajectories.jsonl")``.
The settings that shape an episode (``--seed``, ``--difficulty``, ``--control``,
``--tools``, ``--noise``, ``--max-turns``) are kept in ``DIR/run.json``; ``--resume``
with other settings is refused, naming each difference (more episodes, envs or
policies are fine: they add keys).

``--backend`` says where episodes run: ``local`` (this machine, ``--workers``
processes) or ``ray`` (a Ray cluster, ``pip install "nexgym[dist]"``: a local instance
of ``--workers`` CPUs, or the cluster at ``--ray-address``). Both write the same
records (timings aside) in the same order, so ``--out``, ``--resume`` and the table
work alike. ``--tools`` says how tools run: ``inproc`` (in the episode's process) or
``mcp`` (each domain behind an MCP server over stdio). ``--backend inproc`` and
``--backend mcp``, the older spelling of ``--tools``, still work and run locally.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError, UnknownNameError

__all__ = [
    "add_parser",
    "check_run_settings",
    "resolve_backends",
    "run",
    "run_settings",
    "select_envs",
]

POLICIES = ("oracle", "random", "robust-oracle")
#: Where episodes run (``--backend``).
BACKENDS = ("local", "ray")
#: How tools run (``--tools``), passed to ``gym.make(..., backend=)``. ``--backend``
#: named these before Ray came; it still accepts them, meaning local execution.
TOOL_BACKENDS = ("inproc", "mcp")
#: Episodes per job handed to a worker process (the progress bar moves per job).
EPISODES_PER_JOB = 20
#: The run's episode settings, in the output directory (checked by --resume).
RUN_FILE = "run.json"


def add_parser(sub: Any) -> None:
    """Register ``rollout``."""
    parser = sub.add_parser(
        "rollout",
        help="play policies across envs; summary table; grounded trajectories to disk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="env ids (nex/FileOps-v0) or names")
    parser.add_argument(
        "--envs",
        action="append",
        default=[],
        metavar="PATTERN",
        help="glob over the registered ids, e.g. 'nex/*' (repeatable)",
    )
    parser.add_argument(
        "--policy",
        default="oracle",
        help=(
            f"comma-separated policies compared in one table ({', '.join(POLICIES)}, "
            "or hf:DIR for a local checkpoint folder, needs nexgym[llm])"
        ),
    )
    parser.add_argument("--episodes", type=int, default=10, help="episodes per env and policy")
    parser.add_argument(
        "--trials",
        type=int,
        default=1,
        help="episodes per task (episode i plays task seed + i // trials): the table's "
        "pass^k then has k = trials (default 1: each episode a new task, pass^1 = success)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    parser.add_argument("--difficulty", type=int, default=1, help="task difficulty (1-3)")
    parser.add_argument(
        "--control", default="root", help="roles the policy plays: root, all, or role,role"
    )
    parser.add_argument(
        "--backend",
        default="local",
        metavar="{local,ray}",
        help="where episodes run: local (default) or ray (a Ray cluster; "
        'pip install "nexgym[dist]"); inproc and mcp still mean local with that --tools',
    )
    parser.add_argument(
        "--tools",
        default=None,
        choices=TOOL_BACKENDS,
        help="how tools run: inproc (in-process, default) or mcp (MCP servers over stdio)",
    )
    parser.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="with --backend ray: the cluster to join (auto, host:6379, ray://host:10001); "
        "default: start a local Ray instance for the run",
    )
    parser.add_argument("--max-turns", type=int, default=None, help="per-agent turn limit")
    parser.add_argument(
        "--noise",
        default="none",
        help="none, realistic (latency and faults from the shipped profile) or a profile YAML",
    )
    parser.add_argument("--out", default=None, metavar="DIR", help="write trajectories here")
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "parquet"])
    parser.add_argument(
        "--only-success", action="store_true", help="write only episodes that solved the task"
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="episodes played at once: processes (local, default 1), CPUs of the local "
        "Ray instance (default: all), or Ray tasks in flight (with --ray-address)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def select_envs(ids: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """Ids named or matched, in order, without repeats (unknown plain names raise)."""
    import nexgym
    from nexgym.registry import NAMESPACE

    known = nexgym.list_envs()
    chosen: list[str] = []
    for name in ids:
        gid = name if name.startswith(f"{NAMESPACE}/") else f"{NAMESPACE}/{name}"
        if gid not in known and f"{gid}-v0" in known:
            gid = f"{gid}-v0"
        if gid not in known:
            raise UnknownNameError("env", name, known)
        if gid not in chosen:
            chosen.append(gid)
    for pattern in patterns:
        hits = fnmatch.filter(known, pattern)
        if not hits:
            raise ConfigError(
                f"expected --envs to match registered ids, got {pattern!r} matching none; "
                "see `nexgym list`"
            )
        chosen.extend(h for h in hits if h not in chosen)
    if not chosen:
        raise ConfigError("expected env ids or --envs PATTERN, got neither; e.g. --envs 'nex/*'")
    return chosen


def resolve_backends(backend: str, tools: str | None) -> tuple[str, str]:
    """``(where episodes run, tool backend)`` from ``--backend`` and ``--tools``."""
    if backend in TOOL_BACKENDS:  # the older spelling: --backend named the tool backend
        if tools not in (None, backend):
            raise ConfigError(
                f"expected --backend {backend} (the older spelling of --tools {backend}) or "
                f"--tools {tools}, got both; use --backend local --tools {tools}"
            )
        return "local", backend
    if backend not in BACKENDS:
        raise UnknownNameError(
            "backend",
            backend,
            BACKENDS,
            hint="--backend says where episodes run; --tools (inproc, mcp) how tools run.",
        )
    return backend, tools or "inproc"


def _env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    control: Any = args.control
    if control not in ("root", "all"):
        control = [role.strip() for role in control.split(",") if role.strip()]
    kwargs: dict[str, Any] = {
        "difficulty": args.difficulty,
        "control": control,
        "backend": args.tools,
    }
    if args.max_turns is not None:
        kwargs["max_turns"] = args.max_turns
    return kwargs


def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings that change an episode (a record key does not name them)."""
    return {
        "seed": args.seed,
        "difficulty": args.difficulty,
        "control": args.control,
        "tools": args.tools,
        "noise": args.noise,
        "max_turns": args.max_turns,
    }


def _settings_of_records(out_dir: Path) -> dict[str, Any] | None:
    """What a run directory written before ``run.json`` existed says of its settings."""
    from nexgym.grounding.trajectories import TRAJECTORIES_FILE, read_records

    path = out_dir / TRAJECTORIES_FILE
    if not path.exists():
        return None
    first = next(iter(read_records(path)), None)
    if first is None:
        return None
    return {
        "seed": first.seed - first.episode,
        "difficulty": first.difficulty,
        "control": first.control,
        "tools": first.backend,
    }


def check_run_settings(
    out_dir: str | os.PathLike[str], settings: dict[str, Any], *, resume: bool
) -> None:
    """Record the run's settings in ``out_dir``; on resume, refuse other ones.

    A directory written before ``run.json`` existed is checked against its first
    record (seed, difficulty, control and tools).

    Raises:
        ConfigError: naming each setting that differs, with the run's value.
    """
    folder = Path(out_dir)
    path = folder / RUN_FILE
    if resume:
        kept = _kept_settings(folder, path)
        differ = [
            f"--{key.replace('_', '-')} {kept[key]} (got {value})"
            for key, value in settings.items()
            if kept is not None and key in kept and kept[key] != value
        ]
        if differ:
            raise ConfigError(
                f"expected the settings of the run in {folder} to resume it, got other ones: "
                f"it was run with {'; '.join(differ)}; resume with those settings, or write "
                "to another --out"
            )
        if path.exists():
            return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(settings, indent=1) + "\n")
    os.replace(tmp, path)  # never a half-written settings file


def _kept_settings(folder: Path, path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return _settings_of_records(folder)
    try:
        kept = json.loads(path.read_text())
    except ValueError as e:
        kept = e
    if not isinstance(kept, dict):
        raise ConfigError(
            f"expected {path} to hold the run's settings as a JSON object, got "
            f"{kept!r:.80}; delete it to resume without the check"
        )
    return kept


def _jobs(
    env_ids: Sequence[str], policies: Sequence[str], episodes: int, done: set[str]
) -> list[tuple[str, str, list[int]]]:
    from nexgym.grounding.trajectories import record_key

    jobs = []
    for env_id in env_ids:
        for policy in policies:
            todo = [i for i in range(episodes) if record_key(env_id, policy, i) not in done]
            for start in range(0, len(todo), EPISODES_PER_JOB):
                jobs.append((env_id, policy, todo[start : start + EPISODES_PER_JOB]))
    return jobs


def _play_job(job: tuple[str, str, list[int], int, str, dict[str, Any], int]) -> list[str]:
    """Play one job's episodes in a worker process; the records as JSON lines."""
    from nexgym.grounding.trajectories import record_json

    return [record_json(r) for r in _iter_job(job)]


def _records(
    args: argparse.Namespace,
    jobs: list[tuple[str, str, list[int]]],
    env_ids: Sequence[str],
    policies: Sequence[str],
    done: set[str],
) -> Iterator[Any]:
    from nexgym.rollout import EpisodeRecord

    if args.backend == "ray":
        from nexgym.distributed import rollout_ray

        yield from rollout_ray(
            env_ids,
            policies,
            args.episodes,
            seed=args.seed,
            noise=args.noise,
            skip=done,
            env_kwargs=_env_kwargs(args),
            episodes_per_task=EPISODES_PER_JOB,
            address=args.ray_address,
            num_cpus=args.workers if args.ray_address is None else None,
            max_in_flight=args.workers if args.ray_address is not None else None,
        )
        return
    payloads = [
        (e, p, idx, args.seed, args.noise, _env_kwargs(args), args.trials) for e, p, idx in jobs
    ]
    if (args.workers or 1) <= 1:
        for payload in payloads:
            yield from _iter_job(payload)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for lines in pool.imap(_play_job, payloads):
            for line in lines:
                yield EpisodeRecord.model_validate_json(line)


def _iter_job(
    payload: tuple[str, str, list[int], int, str, dict[str, Any], int],
) -> Iterator[Any]:
    from nexgym.rollout import rollout

    env_id, policy, indices, seed, noise, env_kwargs, trials = payload
    chosen = set(indices)
    skip = {f"{env_id}|{policy}|{i}" for i in range(max(indices) + 1) if i not in chosen}
    yield from rollout(
        [env_id],
        [policy],
        max(indices) + 1,
        seed=seed,
        noise=noise,
        skip=skip,
        env_kwargs=env_kwargs,
        trials=trials,
    )


def _progress(total: int, quiet: bool) -> Any:
    if quiet or total <= 1 or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety: nexgym[cli] installs tqdm
        return None
    return tqdm(total=total, unit="ep", desc="rollout", dynamic_ncols=True)


def run(args: argparse.Namespace) -> int:
    """Roll out, write, summarize."""
    from nexgym.grounding.trajectories import TrajectoryWriter, export_parquet
    from nexgym.rollout import episode_outcome, format_summary, summarize

    policies = [p.strip() for p in args.policy.split(",") if p.strip()]
    for policy in policies:
        if policy not in POLICIES and not policy.startswith("hf:"):
            raise UnknownNameError("policy", policy, [*POLICIES, "hf:DIR"])
    if args.episodes < 1:
        raise ConfigError(f"expected --episodes >= 1, got {args.episodes}")
    if args.trials < 1:
        raise ConfigError(f"expected --trials >= 1 (episodes per task), got {args.trials}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"expected --workers >= 1, got {args.workers}")
    args.backend, args.tools = resolve_backends(args.backend, args.tools)
    if args.backend == "ray":
        from nexgym.distributed import check_address
        from nexgym.error import require

        require("ray", "dist", "nexgym rollout --backend ray")
        if args.trials != 1:
            raise ConfigError(
                f"expected --trials 1 with --backend ray, got {args.trials}; "
                "use --backend local to repeat tasks"
            )
        check_address(args.ray_address)  # fail now, not minutes into ray.init
    elif args.ray_address is not None:
        raise ConfigError(
            f"expected --backend ray with --ray-address, got --backend {args.backend}"
        )
    if args.out is None and (args.resume or args.only_success or args.format != "jsonl"):
        raise ConfigError(
            "expected --out DIR with --resume, --only-success or --format parquet, got no --out"
        )
    noise = args.noise
    if noise != "none":
        from nexgym.wrappers.noise.latency import load_profile

        load_profile(noise)  # fail before any episode if the profile is unknown or malformed
        if os.path.exists(noise):
            args.noise = os.path.abspath(noise)  # worker processes may start elsewhere
    env_ids = select_envs(args.ids, args.envs)
    writer = (
        TrajectoryWriter(args.out, only_success=args.only_success, resume=args.resume)
        if args.out
        else None
    )
    if writer is not None:
        check_run_settings(args.out, run_settings(args), resume=args.resume)
    already = len(writer.done) if writer else 0
    done = writer.done if writer else set()
    jobs = _jobs(env_ids, policies, args.episodes, done)
    bar = _progress(sum(len(j[2]) for j in jobs), args.quiet)
    outcomes = []
    try:
        for record in _records(args, jobs, env_ids, policies, done):
            if writer is not None:
                writer.write(record)
            outcomes.append(episode_outcome(record))
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{record.env_id} {record.policy}", refresh=False)
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    print(format_summary(summarize(outcomes)) if outcomes else "No episodes left to play.")
    if writer is not None:
        notes = [f"{writer.written} episodes written to {writer.path}"]
        if writer.skipped:
            notes.append(f"{writer.skipped} unsolved left out")
        if already:
            notes.append(f"{already} done before (resumed)")
        print("; ".join(notes) + ".")
        if args.format == "parquet":
            target = export_parquet(writer.path, only_success=args.only_success)
            print(f"Parquet: {target}")
    return 0
