r"""``nexgym rollout``: play policies across envs, print a summary table, write trajectories.

Examples::

    nexgym rollout nex/FileOps-v0 --policy oracle,random --episodes 20
    nexgym rollout --envs 'nex/*' --policy oracle,random --episodes 3
    nexgym rollout --envs 'nex/File*' --policy robust-oracle --noise realistic \
        --episodes 100 --out runs/files --only-success

Episode ``i`` of every env and policy is reset with seed ``--seed + i``, so the
policies of one table play the same tasks. With ``--out DIR`` each episode becomes one
line of ``DIR/trajectories.jsonl`` (per-agent chat transcripts in the OpenAI
tool-calling format with their tool schemas, spans, timings, reward, success), written
crash-safe: a run killed at any moment is continued with ``--resume`` and no episode is
written twice. ``--format parquet`` also writes ``DIR/trajectories.parquet`` at the end.
Load either with ``datasets.load_dataset("json", data_files="DIR/trajectories.jsonl")``.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from nexgym.error import ConfigError, UnknownNameError

__all__ = ["add_parser", "run", "select_envs"]

POLICIES = ("oracle", "random", "robust-oracle")
#: Episodes per job handed to a worker process (the progress bar moves per job).
EPISODES_PER_JOB = 20


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
        help=f"comma-separated policies compared in one table ({', '.join(POLICIES)})",
    )
    parser.add_argument("--episodes", type=int, default=10, help="episodes per env and policy")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    parser.add_argument("--difficulty", type=int, default=1, help="task difficulty (1-3)")
    parser.add_argument(
        "--control", default="root", help="roles the policy plays: root, all, or role,role"
    )
    parser.add_argument("--backend", default="inproc", choices=["inproc", "mcp"])
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
    parser.add_argument("--workers", type=int, default=1, help="processes playing episodes")
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


def _env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    control: Any = args.control
    if control not in ("root", "all"):
        control = [role.strip() for role in control.split(",") if role.strip()]
    kwargs: dict[str, Any] = {
        "difficulty": args.difficulty,
        "control": control,
        "backend": args.backend,
    }
    if args.max_turns is not None:
        kwargs["max_turns"] = args.max_turns
    return kwargs


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


def _play_job(job: tuple[str, str, list[int], int, str, dict[str, Any]]) -> list[str]:
    """Play one job's episodes in a worker process; the records as JSON lines."""
    return [r.model_dump_json() for r in _iter_job(job)]


def _records(args: argparse.Namespace, jobs: list[tuple[str, str, list[int]]]) -> Iterator[Any]:
    from nexgym.rollout import EpisodeRecord

    payloads = [(e, p, idx, args.seed, args.noise, _env_kwargs(args)) for e, p, idx in jobs]
    if args.workers <= 1:
        for payload in payloads:
            yield from _iter_job(payload)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for lines in pool.imap(_play_job, payloads):
            for line in lines:
                yield EpisodeRecord.model_validate_json(line)


def _iter_job(payload: tuple[str, str, list[int], int, str, dict[str, Any]]) -> Iterator[Any]:
    from nexgym.rollout import rollout

    env_id, policy, indices, seed, noise, env_kwargs = payload
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
        if policy not in POLICIES:
            raise UnknownNameError("policy", policy, POLICIES)
    if args.episodes < 1:
        raise ConfigError(f"expected --episodes >= 1, got {args.episodes}")
    if args.workers < 1:
        raise ConfigError(f"expected --workers >= 1, got {args.workers}")
    if args.out is None and (args.resume or args.only_success or args.format != "jsonl"):
        raise ConfigError(
            "expected --out DIR with --resume, --only-success or --format parquet, got no --out"
        )
    noise = args.noise
    if noise != "none":
        from nexgym.wrappers.latency import load_profile

        load_profile(noise)  # fail before any episode if the profile is unknown or malformed
        if os.path.exists(noise):
            args.noise = os.path.abspath(noise)  # worker processes may start elsewhere
    env_ids = select_envs(args.ids, args.envs)
    writer = (
        TrajectoryWriter(args.out, only_success=args.only_success, resume=args.resume)
        if args.out
        else None
    )
    already = len(writer.done) if writer else 0
    jobs = _jobs(env_ids, policies, args.episodes, writer.done if writer else set())
    bar = _progress(sum(len(j[2]) for j in jobs), args.quiet)
    outcomes = []
    try:
        for record in _records(args, jobs):
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
