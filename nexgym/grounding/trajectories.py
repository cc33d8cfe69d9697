r"""Grounded trajectories: one record per episode, written crash-safe to JSONL, exported to Parquet.

An :class:`EpisodeRecord` holds what a fine-tuning or analysis job needs: every agent's
chat transcript in the OpenAI tool-calling message format with the tool schemas it
saw, the hierarchy's spans, virtual and wall-clock timings, reward and success. Its
``messages`` and ``tools`` fields are the root agent's conversation in the form TRL's
``SFTTrainer`` reads (``tools`` is JSON text, which TRL decodes; schemas as JSON text
keep the Arrow columns of a catalog-wide dataset uniform).

:class:`TrajectoryWriter` appends records to ``trajectories.jsonl`` so that a run killed
at any moment can be resumed: each record is one complete line, written with a single
``write`` and flushed to disk (``fsync``) before the next episode starts; an episode
left out by ``only_success`` is noted in ``skipped.jsonl`` the same way. On resume a
torn last line (a kill inside the write itself) is cut off, and the keys already on
disk are skipped, so no episode is written twice.

Text is stored as UTF-8, so a lone surrogate (``"\udc80"``, which a model's byte-level
decoding can produce in an action or an answer) cannot be stored as it is: a valid
pair of surrogates becomes the character it encodes, and each lone surrogate is
replaced by U+FFFD (the Unicode replacement character), in JSONL and Parquet alike
(see :func:`record_json`). Tool-call arguments are JSON text with ASCII escapes, so a
surrogate there stays as its ``\udc80`` escape. Writing a record never fails on its text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from nexgym.error import ConfigError, require
from nexgym.runtime.arguments import record_json

__all__ = [
    "SKIPPED_FILE",
    "TRAJECTORIES_FILE",
    "AgentTranscript",
    "EpisodeRecord",
    "NoiseConfig",
    "TrajectoryWriter",
    "export_parquet",
    "keep_only_successful",
    "read_records",
    "record_json",
    "record_key",
]

TRAJECTORIES_FILE = "trajectories.jsonl"
SKIPPED_FILE = "skipped.jsonl"


class AgentTranscript(BaseModel):
    """One agent invocation's chat: OpenAI messages and the tool schemas (JSON text)."""

    model_config = ConfigDict(extra="forbid")

    role: str
    messages: list[dict[str, Any]]
    tools: str


class NoiseConfig(BaseModel):
    """The noise an episode ran under: a name and the wrapper stack, innermost first."""

    model_config = ConfigDict(extra="forbid")

    name: str = "none"
    wrappers: list[str] = []


class SpanRecord(BaseModel):
    """A span of the hierarchy's trace (attributes as JSON text: their keys vary by tool)."""

    model_config = ConfigDict(extra="forbid")

    id: int
    parent: int | None
    kind: str
    name: str
    role: str
    start: float
    end: float | None
    attributes: str


class EpisodeRecord(BaseModel):
    """One episode of one policy on one env.

    Attributes:
        key: ``env_id|policy|episode``, unique within a run (resume skips done keys).
        env_id: the Gymnasium id.
        policy: the policy's name.
        episode: the episode's index within the run for this env and policy.
        seed: the ``reset`` seed (-1 for a reset without one).
        task_seed: the seed of the task the env generated.
        difficulty, control, backend: how the env was made.
        noise: the noise configuration.
        messages: the root agent's chat (the SFT conversation).
        tools: the root agent's tool schemas, JSON text.
        transcripts: every agent invocation, in the order they began.
        spans: the trace.
        reward: the episode's return for the controlled roles.
        score: the verifier's score (partial credit).
        success: whether the task was solved.
        stop_reason: why the episode ended.
        steps: actions of the controlled roles; turns: actions of every role.
        virtual_seconds: the runtime's virtual clock at the end.
        wall_seconds: real time the episode took.
    """

    model_config = ConfigDict(extra="forbid")

    key: str
    env_id: str
    policy: str
    episode: int
    seed: int
    task_seed: int | None
    difficulty: int
    control: str
    backend: str
    noise: NoiseConfig
    messages: list[dict[str, Any]]
    tools: str
    transcripts: list[AgentTranscript]
    spans: list[SpanRecord]
    reward: float
    score: float
    success: bool
    stop_reason: str
    steps: int
    turns: int
    virtual_seconds: float
    wall_seconds: float


def record_key(env_id: str, policy: str, episode: int) -> str:
    """The unique key of an episode in a run."""
    return f"{env_id}|{policy}|{episode}"


def _complete_lines(path: Path, *, repair: bool) -> list[str]:
    """The file's complete lines; a torn tail (no final newline) is dropped or cut off."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data) and repair:
        with open(path, "r+b") as f:
            f.truncate(end)
            f.flush()
            os.fsync(f.fileno())
    return [line for line in data[:end].decode("utf-8").split("\n") if line.strip()]


def read_records(path: str | os.PathLike[str]) -> Iterator[EpisodeRecord]:
    """Records of a JSONL file (or a run directory), skipping a torn last line."""
    path = Path(path)
    if path.is_dir():
        path = path / TRAJECTORIES_FILE
    for number, line in enumerate(_complete_lines(path, repair=False), 1):
        try:
            yield EpisodeRecord.model_validate_json(line)
        except ValueError as e:
            raise ConfigError(
                f"{path}:{number}: expected an episode record, got a malformed line ({e})"
            ) from None


def keep_only_successful(records: Iterable[EpisodeRecord]) -> Iterator[EpisodeRecord]:
    """The records of solved episodes."""
    return (r for r in records if r.success)


class TrajectoryWriter:
    """Appends episode records to ``<out>/trajectories.jsonl``, crash-safe and resumable.

    Args:
        out_dir: the run directory (created if needed).
        only_success: write only solved episodes (the rest are noted in ``skipped.jsonl``
            so that a resumed run does not play them again).
        resume: keep what the directory holds and skip its keys; without it, a
            directory that already holds records is an error (no silent overwrite).
        fsync: flush each record to disk before returning (off only for benchmarks
            of the writing cost itself).
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        only_success: bool = False,
        resume: bool = False,
        fsync: bool = True,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / TRAJECTORIES_FILE
        self.skipped_path = self.out_dir / SKIPPED_FILE
        self.only_success = only_success
        self.fsync = fsync
        self.out_dir.mkdir(parents=True, exist_ok=True)
        existing = [p for p in (self.path, self.skipped_path) if p.exists() and p.stat().st_size]
        if existing and not resume:
            raise ConfigError(
                f"expected an empty output directory, got {self.out_dir} holding "
                f"{existing[0].name}; pass resume=True (--resume) to continue that run "
                "or choose another directory"
            )
        self.done: set[str] = set()
        for path in (self.path, self.skipped_path):
            for line in _complete_lines(path, repair=True):
                try:
                    self.done.add(str(json.loads(line)["key"]))
                except (ValueError, KeyError, TypeError):
                    raise ConfigError(
                        f"{path}: expected JSON lines with a 'key', got {line[:80]!r}; "
                        "is this a nexgym trajectory directory?"
                    ) from None
        self.written = 0
        self.skipped = 0
        self._fds: dict[Path, int] = {}

    def __contains__(self, key: str) -> bool:
        return key in self.done

    def _append(self, path: Path, line: str) -> None:
        fd = self._fds.get(path)
        if fd is None:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._fds[path] = fd
        data = line.encode("utf-8")
        view = memoryview(data)
        while view:  # one write for the whole line; loop only if the OS takes part of it
            view = view[os.write(fd, view) :]
        if self.fsync:
            os.fsync(fd)

    def write(self, record: EpisodeRecord) -> bool:
        """Write a record (or note it as skipped); returns whether it went to the file.

        Raises:
            ConfigError: if the record's key is already in the run.
        """
        if record.key in self.done:
            raise ConfigError(f"expected a new episode, got key {record.key!r} already written")
        if self.only_success and not record.success:
            self._append(self.skipped_path, json.dumps({"key": record.key}) + "\n")
            self.done.add(record.key)
            self.skipped += 1
            return False
        self._append(self.path, record_json(record) + "\n")
        self.done.add(record.key)
        self.written += 1
        return True

    def close(self) -> None:
        """Close the files (idempotent)."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def export_parquet(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str] | None = None,
    *,
    only_success: bool = False,
) -> Path:
    """Write the records of a JSONL file (or run directory) as one Parquet file.

    Args:
        source: ``trajectories.jsonl`` or the run directory holding it.
        target: the Parquet path (default: ``trajectories.parquet`` beside the source).
        only_success: keep only solved episodes.

    Returns:
        The Parquet path.
    """
    pa = require("pyarrow", "llm", "Parquet export")
    pq = require("pyarrow.parquet", "llm", "Parquet export")
    source = Path(source)
    jsonl = source / TRAJECTORIES_FILE if source.is_dir() else source
    target = Path(target) if target is not None else jsonl.with_suffix(".parquet")
    records: Iterable[EpisodeRecord] = read_records(jsonl)
    if only_success:
        records = keep_only_successful(records)
    rows = [r.model_dump(mode="json") for r in records]
    table = pa.Table.from_pylist(rows) if rows else _empty_table(pa)
    tmp = target.with_name(target.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, target)  # a reader never sees a half-written Parquet file
    return target


def _empty_table(pa: Any) -> Any:
    return pa.table({name: pa.array([], pa.null()) for name in EpisodeRecord.model_fields})
