"""Per-agent chat examples for supervised fine-tuning, from episodes or exported trajectories.

An example is one agent invocation's chat, ready for TRL's ``SFTTrainer``::

    {"messages": [...OpenAI-format messages...], "tools": "<JSON list of tool schemas>",
     "env_id": "nex/FileOps-v0", "role": "lead", "task_seed": 17, "score": 1.0}

``tools`` is stored as a JSON string because tool schemas differ from tool to tool and
Arrow would otherwise merge them into one struct full of nulls; ``SFTTrainer`` decodes a
string ``tools`` column itself. Tool-call arguments stay JSON strings, as the OpenAI
format has them, for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError

__all__ = [
    "SFT_FILE",
    "examples_from_records",
    "examples_from_runtime",
    "load_sft_dataset",
    "make_example",
    "oracle_examples",
    "read_examples",
    "write_examples",
]

#: Name of the examples file that ``nexgym train sft`` writes next to its outputs.
SFT_FILE = "sft_examples.jsonl"


def _clean_message(message: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of one message with the keys chat templates read."""
    out: dict[str, Any] = {"role": str(message.get("role", "user"))}
    content = message.get("content")
    out["content"] = "" if content is None else str(content)
    if message.get("tool_calls"):
        calls = []
        for call in message["tool_calls"]:
            fn = call.get("function", call)
            arguments = fn.get("arguments", {})
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, default=str)
            calls.append(
                {
                    "id": str(call.get("id", "")),
                    "type": "function",
                    "function": {"name": str(fn.get("name", "")), "arguments": arguments},
                }
            )
        out["tool_calls"] = calls
    for key in ("tool_call_id", "name"):
        if message.get(key) is not None:
            out[key] = str(message[key])
    return out


def make_example(messages: Sequence[dict[str, Any]], tools: Any, **meta: Any) -> dict[str, Any]:
    """One SFT example; ``tools`` may be a list of schemas or their JSON text."""
    tools_text = tools if isinstance(tools, str) else json.dumps(list(tools or []))
    return {"messages": [_clean_message(m) for m in messages], "tools": tools_text, **meta}


def _has_assistant_turn(messages: Sequence[dict[str, Any]]) -> bool:
    return any(m.get("role") == "assistant" for m in messages)


def examples_from_runtime(
    runtime: Any, *, roles: Iterable[str] | None = None, **meta: Any
) -> list[dict[str, Any]]:
    """The examples of a runtime's episode: one per agent invocation with an assistant turn.

    Args:
        runtime: a :class:`~nexgym.runtime.Runtime` after (or during) an episode.
        roles: keep only these roles (default: every role).
        **meta: fields added to every example (env id, task seed, score...).
    """
    keep = None if roles is None else set(roles)
    out = []
    for role, messages in runtime.transcripts:
        if (keep is None or role in keep) and _has_assistant_turn(messages):
            out.append(make_example(messages, runtime.tool_schemas(role), role=role, **meta))
    return out


def oracle_examples(
    env_id: str,
    *,
    episodes: int,
    seed: int = 0,
    control: str = "root",
    roles: str = "all",
    env_kwargs: dict[str, Any] | None = None,
    successful_only: bool = True,
) -> list[dict[str, Any]]:
    """Play ``episodes`` oracle episodes of ``env_id`` and return their chat examples.

    Args:
        env_id: a registered id, e.g. ``"nex/FileOps-v0"``.
        episodes: how many episodes (seeds ``seed``, ``seed + 1``, ...).
        seed: the first reset seed.
        control: which roles the env treats as controlled (the rest are oracle teammates).
        roles: ``"all"`` keeps every role's transcript (teammates included: they show tool
            use too); ``"controlled"`` keeps only the controlled roles'.
        env_kwargs: extra keyword arguments for ``gym.make``.
        successful_only: drop episodes the oracle did not solve.
    """
    import gymnasium as gym

    from nexgym.policies.oracle import OraclePolicy

    if roles not in ("all", "controlled"):
        raise ConfigError(f"expected roles to be 'all' or 'controlled', got {roles!r}")
    env = gym.make(env_id, control=control, **(env_kwargs or {}))
    try:
        policy = OraclePolicy(env)
        base: Any = env.unwrapped
        out: list[dict[str, Any]] = []
        for episode in range(episodes):
            observation, info = env.reset(seed=seed + episode)
            done = False
            while not done:
                observation, _, terminated, truncated, info = env.step(policy(observation, info))
                done = terminated or truncated
            if successful_only and not info.get("success", False):
                continue
            keep = None if roles == "all" else base.controlled
            out += examples_from_runtime(
                base.runtime,
                roles=keep,
                env_id=env_id,
                task_seed=base.task_seed,
                score=float(info.get("score", 0.0)),
            )
        return out
    finally:
        env.close()


def _record_agents(record: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Any]]:
    """(agent transcript, tools) pairs of one exported episode record, whatever its layout."""
    for key in ("transcripts", "agents"):
        entries = record.get(key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("messages"), list):
                    yield entry, entry.get("tools", record.get("tools", []))


def examples_from_records(
    records: Iterable[dict[str, Any]],
    *,
    roles: Iterable[str] | None = None,
    successful_only: bool = False,
) -> Iterator[dict[str, Any]]:
    """SFT examples from exported records.

    An episode record of ``nexgym rollout`` (:class:`~nexgym.grounding.trajectories.EpisodeRecord`)
    gives one example per agent invocation in its ``transcripts``; a record with only
    ``messages`` (and ``tools``) already is an example.

    Args:
        records: decoded JSONL records.
        roles: keep only these roles.
        successful_only: skip episodes whose record says they were not solved.
    """
    keep = None if roles is None else set(roles)
    for record in records:
        if successful_only and record.get("success") is False:
            continue
        if isinstance(record.get("messages"), list) and not isinstance(
            record.get("transcripts"), list
        ):
            role = record.get("role")
            if keep is None or role in keep:
                meta = {k: v for k, v in record.items() if k not in ("messages", "tools")}
                yield make_example(record["messages"], record.get("tools", []), **meta)
            continue
        meta = {k: record[k] for k in ("env_id", "task_seed", "score", "success") if k in record}
        for entry, tools in _record_agents(record):
            role = entry.get("role", entry.get("agent"))
            if (keep is None or role in keep) and _has_assistant_turn(entry["messages"]):
                yield make_example(entry["messages"], tools, role=role, **meta)


def _jsonl_files(path: str | Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*.jsonl") if p.name not in (SFT_FILE, "skipped.jsonl")
        )
        if not files:
            files = sorted(path.rglob(SFT_FILE))
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError(
            f"expected a JSONL file or a folder of them, got {str(path)!r} (not found)"
        )
    if not files:
        raise ConfigError(
            f"expected *.jsonl files under {str(path)!r}, found none; "
            "write some with `nexgym rollout ENV --out DIR`"
        )
    return files


def read_examples(
    path: str | Path, *, roles: Iterable[str] | None = None, successful_only: bool = False
) -> list[dict[str, Any]]:
    """Read exported trajectories (a JSONL file or a folder of them) as SFT examples."""

    def records() -> Iterator[dict[str, Any]]:
        for file in _jsonl_files(path):
            with file.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as e:
                        raise ConfigError(
                            f"expected one JSON object per line in {file}, line {number} is not "
                            f"valid JSON ({e.msg})"
                        ) from e

    examples = list(examples_from_records(records(), roles=roles, successful_only=successful_only))
    if not examples:
        raise ConfigError(
            f"expected chat transcripts with assistant turns in {str(path)!r}, found none"
        )
    return examples


def write_examples(examples: Iterable[dict[str, Any]], path: str | Path) -> Path:
    """Write examples as JSONL (one example per line); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(example, default=str) + "\n")
    return path


def load_sft_dataset(path: str | Path) -> Any:
    """An examples JSONL file as a ``datasets.Dataset`` with ``messages`` and ``tools`` columns."""
    from nexgym.error import require

    datasets = require("datasets", "llm", "loading SFT examples")
    dataset = datasets.load_dataset("json", data_files=str(path), split="train")
    return dataset.select_columns(["messages", "tools"])
