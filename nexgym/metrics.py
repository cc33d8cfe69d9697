"""Coordination metrics (after "Towards a Science of Scaling Agent Systems", Kim et al., 2025).

Each metric is a pure function of :class:`EpisodeRecord` lists; :func:`record_episode`
builds a record from a finished runtime's trace and message log. Notation, for a
topology run on N tasks and the single-agent run of the same tasks:

* ``s_i`` = 1 if episode i solved its task, else 0; ``S = (1/N) sum_i s_i``;
* ``t_i`` = actions taken in episode i by all agents; ``T = (1/N) sum_i t_i``;
* ``m_i`` = messages between agents in episode i (delegations, sub-agent results,
  hybrid notes, answers shown in debate rounds);
* ``S_1``, ``T_1``: the same for the single-agent baseline.

Peer topologies (``independent``, ``decentralized``) also record, per episode, how many
peers the root called (``q_i``) and how many of them solved the task on their own world
(``c_i``, the verifier run on each peer's world with its answer): :func:`peer_success_rate`
and :func:`combination_loss` tell the peers' work from what the root made of it.

Reliability across repeated trials of one task is :func:`pass_hat_k` (tau-bench's
pass^k); :func:`task_trials` groups records by task for it.

Example:
    >>> a = EpisodeRecord("centralized", "t0", True, 1.0, 10, 4)
    >>> b = EpisodeRecord("single", "t0", True, 1.0, 5, 0)
    >>> overhead([a], [b])
    100.0
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from nexgym.error import ConfigError

__all__ = [
    "EpisodeRecord",
    "combination_loss",
    "efficiency",
    "error_amplification",
    "mean_turns",
    "message_density",
    "overhead",
    "pass_hat_k",
    "peer_success_rate",
    "record_episode",
    "redundancy",
    "success_rate",
    "summarize",
    "summary_table",
    "task_trials",
]


@dataclass(frozen=True)
class EpisodeRecord:
    """What the metrics need from one episode.

    Attributes:
        topology: the coordination topology it ran under.
        task: a key naming the task (e.g. ``"files:17:2"``), to pair it with the
            single-agent run of the same task.
        success: whether the verifier judged the task solved.
        score: the verifier's score in [0, 1].
        turns: actions taken by all agents together.
        messages: messages between agents.
        outputs: per agent, the keys of its successful domain tool calls.
        extra: free-form facts (error rate, domain, stop reason).
    """

    topology: str
    task: str
    success: bool
    score: float
    turns: int
    messages: int
    outputs: dict[str, frozenset[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def record_episode(
    runtime: Any, *, topology: str | None = None, task: str | None = None, **extra: Any
) -> EpisodeRecord:
    """Build a record from a finished :class:`~nexgym.runtime.Runtime`.

    Turns are summed over the agent spans of the trace (each closed frame records its
    turns), outputs come from its tool spans, messages from the runtime's message log.
    A peer team's ``combination`` (what its root kept, how many peers were called and
    solved the task alone) goes into ``extra``.
    """
    if not runtime.done:
        raise ConfigError("expected a finished episode (runtime.done), got one still running")
    spans = list(runtime.trace)
    turns = sum(int(s.attributes.get("turns", 0)) for s in spans if s.kind != "tool")
    outputs: dict[str, set[str]] = {}
    for span in spans:
        if span.kind == "tool" and span.attributes.get("ok"):
            key = span.name + _canonical(span.attributes.get("arguments", {}))
            outputs.setdefault(span.role, set()).add(key)
    verdict = runtime.verdict
    task_key = task
    if task_key is None and runtime.task is not None:
        t = runtime.task
        task_key = f"{t.domain}:{t.seed}:{t.difficulty}"
    return EpisodeRecord(
        topology=topology or runtime.spec.topology,
        task=task_key or "",
        success=bool(verdict and verdict.solved),
        score=float(verdict.score) if verdict else 0.0,
        turns=turns,
        messages=len(runtime.messages),
        outputs={role: frozenset(keys) for role, keys in outputs.items()},
        extra={
            "stop_reason": runtime.stop_reason,
            **getattr(runtime, "combination", {}),
            **extra,
        },
    )


def _canonical(arguments: Any) -> str:
    return json.dumps(arguments, sort_keys=True, default=str)


def _require(records: Sequence[EpisodeRecord], what: str) -> None:
    if not records:
        raise ConfigError(f"expected at least one episode record for {what}, got none")


def success_rate(records: Sequence[EpisodeRecord]) -> float:
    """Success rate ``S = (1/N) sum_i s_i``: the fraction of episodes that solved their task."""
    _require(records, "success_rate")
    return sum(r.success for r in records) / len(records)


def mean_turns(records: Sequence[EpisodeRecord]) -> float:
    """Turns ``T = (1/N) sum_i t_i``: actions per episode, all agents together."""
    _require(records, "mean_turns")
    return sum(r.turns for r in records) / len(records)


def paired(
    records: Sequence[EpisodeRecord], baseline: Sequence[EpisodeRecord]
) -> tuple[list[EpisodeRecord], list[EpisodeRecord]]:
    """The records of both runs restricted to the tasks both ran (matched by ``task``)."""
    _require(records, "the topology")
    _require(baseline, "the single-agent baseline")
    shared = {r.task for r in records} & {r.task for r in baseline}
    if not shared:
        raise ConfigError(
            "expected the topology and the single-agent baseline to share some tasks, "
            f"got {sorted({r.task for r in records})[:3]} and "
            f"{sorted({r.task for r in baseline})[:3]}"
        )
    return [r for r in records if r.task in shared], [r for r in baseline if r.task in shared]


def overhead(records: Sequence[EpisodeRecord], baseline: Sequence[EpisodeRecord]) -> float:
    """Overhead ``O = 100 * (T - T_1) / T_1``, in percent of the single agent's turns.

    Both means are taken over the tasks the two runs share.
    """
    ours, single = paired(records, baseline)
    t1 = mean_turns(single)
    return math.nan if t1 == 0 else 100.0 * (mean_turns(ours) - t1) / t1


def efficiency(records: Sequence[EpisodeRecord], baseline: Sequence[EpisodeRecord]) -> float:
    """Efficiency ``E = S / (T / T_1)``: success per unit of relative turns.

    Equal to ``S`` when the topology takes as many turns as the single agent; halved
    when it takes twice as many. Over the tasks the two runs share.
    """
    ours, single = paired(records, baseline)
    t, t1 = mean_turns(ours), mean_turns(single)
    return math.nan if t == 0 or t1 == 0 else success_rate(ours) / (t / t1)


def error_amplification(
    records: Sequence[EpisodeRecord], baseline: Sequence[EpisodeRecord]
) -> float:
    """Task-level error amplification ``A = (1 - S) / (1 - S_1)``.

    The topology's failure rate over the single agent's, on the tasks both ran: above 1
    the topology amplifies errors, below 1 it contains them. ``inf`` when only the
    topology ever fails, ``nan`` when neither does (the ratio is undefined).
    """
    ours, single = paired(records, baseline)
    failures, baseline_failures = 1.0 - success_rate(ours), 1.0 - success_rate(single)
    if baseline_failures == 0:
        return math.nan if failures == 0 else math.inf
    return failures / baseline_failures


def message_density(records: Sequence[EpisodeRecord]) -> float:
    """Message density ``D = sum_i m_i / sum_i t_i``: messages between agents per turn."""
    _require(records, "message_density")
    turns = sum(r.turns for r in records)
    return 0.0 if turns == 0 else sum(r.messages for r in records) / turns


def episode_redundancy(record: EpisodeRecord) -> float:
    """One episode's redundancy ``R_i``.

    The mean Jaccard overlap ``|C_a & C_b| / |C_a | C_b|`` over pairs of agents a < b,
    where ``C_a`` is the set of agent a's successful tool calls (name and arguments);
    agents without calls are left out, and fewer than two agents with calls give 0.
    """
    sets = [calls for calls in record.outputs.values() if calls]
    pairs = list(combinations(sets, 2))
    if not pairs:
        return 0.0
    return sum(len(a & b) / len(a | b) for a, b in pairs) / len(pairs)


def redundancy(records: Sequence[EpisodeRecord]) -> float:
    """Redundancy ``R = (1/N) sum_i R_i``: how much the agents' outputs overlap.

    ``R_i`` is :func:`episode_redundancy`: 0 when agents did disjoint work (or one
    agent worked), 1 when every agent made exactly the same calls.
    """
    _require(records, "redundancy")
    return sum(episode_redundancy(r) for r in records) / len(records)


def _peer_records(records: Sequence[EpisodeRecord]) -> list[EpisodeRecord]:
    return [r for r in records if r.extra.get("peers_called")]


def peer_success_rate(records: Sequence[EpisodeRecord]) -> float:
    """Peer success ``P = sum_i c_i / sum_i q_i``: how often one peer alone got it right.

    Over the episodes of a peer team whose root called some peer; ``nan`` when there
    are none (another topology, or a root that never called a peer).
    """
    peers = _peer_records(records)
    if not peers:
        return math.nan
    called = sum(r.extra["peers_called"] for r in peers)
    return sum(r.extra["peers_solved"] for r in peers) / called


def combination_loss(records: Sequence[EpisodeRecord]) -> float:
    """Combination loss ``L``: the share of episodes the team failed although a peer solved.

    ``L = #{i: c_i > 0 and s_i = 0} / #{i: c_i > 0}``: what the root's combination (its
    merge or its choice) and its answer threw away. 0 for a root that always keeps a
    right output; ``nan`` when no peer ever solved the task alone.
    """
    solvable = [r for r in _peer_records(records) if r.extra.get("peers_solved")]
    if not solvable:
        return math.nan
    return sum(not r.success for r in solvable) / len(solvable)


def summarize(
    records: Sequence[EpisodeRecord], baseline: Sequence[EpisodeRecord]
) -> dict[str, float]:
    """Every metric of a topology's records against the single-agent run of the same tasks."""
    ours, _ = paired(records, baseline)
    return {
        "episodes": float(len(ours)),
        "success_rate": success_rate(ours),
        "turns": mean_turns(ours),
        "overhead_pct": overhead(records, baseline),
        "efficiency": efficiency(records, baseline),
        "error_amplification": error_amplification(records, baseline),
        "message_density": message_density(ours),
        "redundancy": redundancy(ours),
        "peer_success": peer_success_rate(ours),
        "combination_loss": combination_loss(ours),
    }


def task_trials(records: Iterable[EpisodeRecord]) -> dict[str, list[bool]]:
    """Each task's successes, in order: the trials :func:`pass_hat_k` takes."""
    trials: dict[str, list[bool]] = {}
    for record in records:
        trials.setdefault(record.task, []).append(record.success)
    return trials


def pass_hat_k(trials: Mapping[Hashable, Sequence[bool]], k: int | None = None) -> float:
    """pass^k (tau-bench, Yao et al., 2024): the chance that k trials of a task all succeed.

    For a task with ``c`` successes among ``n >= k`` i.i.d. trials,
    ``C(c, k) / C(n, k)`` is the unbiased estimate of ``p**k`` (``p`` its success
    probability); pass^k is its mean over tasks. ``pass^1`` is the success rate; pass^k
    falls with ``k`` unless every task is solved always or never.

    Example:
        >>> pass_hat_k({"a": [True, True, False, True], "b": [True, False, False, False]}, 2)
        0.25

    Args:
        trials: per task, whether each of its trials succeeded.
        k: trials that must all succeed (default: the fewest trials any task has).

    Raises:
        ConfigError: with no tasks, ``k < 1``, or a task with fewer than ``k`` trials.
    """
    if not trials:
        raise ConfigError("expected trials of at least one task for pass_hat_k, got none")
    fewest = min(len(t) for t in trials.values())
    if k is None:
        k = fewest
    if k < 1:
        raise ConfigError(f"expected k >= 1 for pass_hat_k, got {k}")
    if fewest < k:
        task = next(name for name, t in trials.items() if len(t) < k)
        raise ConfigError(
            f"expected at least k={k} trials of every task, got {fewest} of task {task!r}; "
            "lower k or play more trials"
        )
    total = sum(math.comb(sum(t), k) / math.comb(len(t), k) for t in trials.values())
    return total / len(trials)


def summary_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A Markdown table of summary rows (floats to 3 significant places)."""
    if not rows:
        return ""
    columns = list(columns or rows[0])

    def cell(value: Any) -> str:
        if isinstance(value, float):
            if math.isnan(value):
                return "n/a"
            return "inf" if math.isinf(value) else f"{value:.3g}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
