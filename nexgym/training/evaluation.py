"""Many episodes of a local causal LM at once: batched evaluation for benchmarks and training.

:func:`evaluate_model` plays a list of tasks (env id and task seed, each ``trials`` times)
with the model as the root role, every live episode advancing one turn per batched
``generate`` call. It is the same loop as :class:`~nexgym.policies.hf.HFPolicy` (the
chat from the env's own history, the prompt fit to the context, one generation per
turn), batched across episodes so that a GPU is kept busy; on a CPU it is simply
sequential batches.

Each episode gives an :class:`EpisodeOutcome`: success, score, turns and how many of
its actions the env accepted. :func:`summarize` turns a list of them into success,
pass^k (every trial of a task solved), valid-action rate and mean turns, overall or per
group (domain, topology, env).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from nexgym.error import ConfigError

__all__ = ["EpisodeOutcome", "Task", "evaluate_model", "summarize"]

#: A task: a registered env id and the task seed it plays.
Task = tuple[str, int]


@dataclass(slots=True)
class EpisodeOutcome:
    """How one episode went.

    Attributes:
        env_id: the env played.
        task_seed: the task played.
        trial: which repetition of the task (0 for the first).
        domain: the env's domain (world).
        topology: the env's topology.
        success: whether the task was solved.
        score: the task score in [0, 1] (partial credit).
        turns: actions the model took.
        valid: actions the env accepted (not invalid-action observations).
    """

    env_id: str
    task_seed: int
    trial: int
    domain: str
    topology: str
    success: bool = False
    score: float = 0.0
    turns: int = 0
    valid: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass(slots=True)
class _Live:
    env: Any
    outcome: EpisodeOutcome
    info: dict[str, Any] = field(default_factory=dict)
    done: bool = False


def evaluate_model(
    model: Any,
    tokenizer: Any,
    tasks: Sequence[Task],
    *,
    trials: int = 1,
    temperature: float = 0.0,
    max_new_tokens: int = 128,
    max_turns: int = 10,
    max_prompt_tokens: int = 3072,
    batch_size: int = 64,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
) -> list[EpisodeOutcome]:
    """Play every task ``trials`` times with ``model`` as the root role.

    Args:
        model: a loaded causal LM (on the device it should run on).
        tokenizer: its tokenizer (left padding is set for generation).
        tasks: ``(env_id, task_seed)`` pairs.
        trials: repetitions of each task (pass^k's k); with ``temperature == 0`` the
            repetitions are identical, so sample for k > 1.
        temperature: 0 for greedy decoding, else the sampling temperature.
        max_new_tokens: the longest action, in tokens.
        max_turns: actions per episode before it is cut (the env's own limit).
        max_prompt_tokens: longest prompt; older turns are dropped beyond it.
        batch_size: episodes advanced together in one ``generate`` call.
        seed: reset seeds and sampling seeds derive from it.
        env_kwargs: extra ``gym.make`` arguments (``control`` is always ``"root"``).

    Returns:
        One outcome per episode, in the order of ``tasks`` then trials.
    """
    import gymnasium as gym

    from nexgym.catalog import load_catalog_spec
    from nexgym.training.generation import decode, fit_messages, generate_batch

    if trials < 1 or batch_size < 1 or max_turns < 1:
        raise ConfigError(
            "expected trials, batch_size and max_turns >= 1, got "
            f"{trials}, {batch_size} and {max_turns}"
        )
    tokenizer.padding_side = "left"
    kwargs = {**(env_kwargs or {}), "control": "root", "return_history": True}
    kwargs["max_turns"] = max_turns
    outcomes: list[EpisodeOutcome] = []
    plan = [(env_id, task_seed, trial) for env_id, task_seed in tasks for trial in range(trials)]
    for start in range(0, len(plan), batch_size):
        episodes = []
        for index, (env_id, task_seed, trial) in enumerate(plan[start : start + batch_size]):
            spec = load_catalog_spec(env_id)
            env = gym.make(env_id, **kwargs)
            _, info = env.reset(seed=seed + start + index, options={"task_seed": task_seed})
            outcome = EpisodeOutcome(env_id, task_seed, trial, spec.domain, str(spec.topology))
            episodes.append(_Live(env, outcome, info))
        turn = 0
        while True:
            live = [e for e in episodes if not e.done]
            if not live:
                break
            prompts = [
                fit_messages(
                    tokenizer, list(e.info["history"]), e.info.get("tools"), max_prompt_tokens
                )
                for e in live
            ]
            generated = generate_batch(
                model,
                tokenizer,
                prompts,
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                seed=seed * 7919 + start * 131 + turn,
            )
            turn += 1
            for episode, ids in zip(live, generated, strict=True):
                _advance(episode, decode(tokenizer, ids).strip())
        for episode in episodes:
            episode.env.close()
            outcomes.append(episode.outcome)
    return outcomes


def _advance(episode: _Live, action: str) -> None:
    """One step of ``episode`` with ``action``; records validity and the end."""
    _, _, terminated, truncated, info = episode.env.step(action)
    outcome = episode.outcome
    outcome.turns += 1
    outcome.valid += info.get("action_kind") != "invalid"
    episode.info = info
    if terminated or truncated:
        episode.done = True
        outcome.success = bool(info.get("success", False))
        outcome.score = float(info.get("score", 0.0))


def summarize(
    outcomes: Iterable[EpisodeOutcome | dict[str, Any]], key: str | None = None
) -> dict[str, dict[str, float]]:
    """Success, pass^k, valid-action rate and mean turns, overall or grouped by ``key``.

    pass^k is the share of tasks all of whose trials succeeded (k = trials per task).
    """
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in outcomes:
        row = item.as_dict() if isinstance(item, EpisodeOutcome) else dict(item)
        groups["all" if key is None else str(row[key])].append(row)
    out = {}
    for name, rows in sorted(groups.items()):
        by_task: dict[tuple[str, int], list[bool]] = defaultdict(list)
        for row in rows:
            by_task[(row["env_id"], row["task_seed"])].append(bool(row["success"]))
        turns = sum(r["turns"] for r in rows)
        out[name] = {
            "episodes": len(rows),
            "tasks": len(by_task),
            "success": sum(bool(r["success"]) for r in rows) / len(rows),
            "score": sum(float(r["score"]) for r in rows) / len(rows),
            "pass_k": sum(all(v) for v in by_task.values()) / len(by_task),
            "valid": sum(r["valid"] for r in rows) / max(1, turns),
            "turns": turns / len(rows),
        }
    return out
