"""Call logs: one JSON line per real MCP tool call (append-only).

Every call an :class:`~nexgym.mcp.backend.MCPBackend` makes can be logged: which tool
on which server, how many bytes of arguments, how long it took, whether it worked and
the error text when it did not. :meth:`NoiseProfile.fit
<nexgym.grounding.profile.NoiseProfile.fit>` turns such logs into latency
distributions and error rates per tool.

Example::

    log = CallLog("calls.jsonl")
    log.append(CallRecord(tool="get_current_time", server="mcp-server-time",
                          argument_bytes=28, latency=0.004, ok=True))
    records = list(read_call_log("calls.jsonl"))
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nexgym.error import ConfigError
from nexgym.runtime.arguments import record_json

__all__ = ["CallLog", "CallRecord", "read_call_log", "read_call_logs"]

#: Error texts longer than this are cut in the log (the start says what went wrong).
MAX_ERROR_CHARS = 500


class CallRecord(BaseModel):
    """One tool call as observed by a client.

    Attributes:
        tool: the tool's name as the server knows it.
        server: the server that answered (a domain name or a third-party server name).
        argument_bytes: size of the JSON-encoded arguments in bytes.
        latency: wall-clock seconds from sending the call to receiving its answer.
        ok: False when the server reported an error, timed out or returned garbage.
        timed_out: True when no answer came within the client's timeout.
        error: the error text when ``ok`` is False.
        result_bytes: size of the result text in bytes (0 when there is none).
        timestamp: Unix time the call started.
        policy: what made the call (``oracle``, ``oracle@0.3``, ``random``, ...), if known.
        episode: an id of the episode the call belongs to (for the outage rate), if known.
        failure: why a failed call failed, when the log says: ``"refused"`` (the tool
            answered that the call itself is wrong: bad arguments, an unknown id),
            ``"timeout"``, ``"server_error"`` (no answer: the server died or broke the
            session) or ``"bad_result"`` (an answer that is not a valid result); None
            for a call that worked, and in logs written before this field.
    """

    model_config = ConfigDict(extra="forbid")

    tool: str = Field(min_length=1)
    server: str = ""
    argument_bytes: int = Field(ge=0)
    latency: float = Field(ge=0.0)
    ok: bool
    timed_out: bool = False
    error: str | None = None
    result_bytes: int = Field(default=0, ge=0)
    timestamp: float = Field(default_factory=time.time)
    policy: str = ""
    episode: str | None = None
    failure: str | None = None

    @property
    def outcome(self) -> str:
        """``"ok"``, ``"error"`` or ``"timeout"``."""
        if self.timed_out:
            return "timeout"
        return "ok" if self.ok else "error"


_FIELDS = ", ".join(CallRecord.model_fields)


def _describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:3]:
        field = ".".join(str(p) for p in err["loc"]) or "(record)"
        given = repr(err.get("input"))
        given = given if len(given) <= 60 else given[:57] + "..."
        if err["type"] == "missing":
            parts.append(f"field {field!r}: missing")
        elif err["type"] == "extra_forbidden":
            parts.append(f"field {field!r}: unknown field (expected one of {_FIELDS})")
        else:
            parts.append(f"field {field!r}: {err['msg'].lower()}, got {given}")
    return "; ".join(parts)


def parse_record(data: Any, *, where: str = "call record") -> CallRecord:
    """Validate one record (a dict or a :class:`CallRecord`).

    Raises:
        ConfigError: naming the bad field, e.g. ``field 'latency': input should be ...``.
    """
    if isinstance(data, CallRecord):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(data).__name__}")
    try:
        return CallRecord.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{where}: {_describe(e)}") from None


class CallLog:
    """An append-only JSONL call log; safe to share between threads of one process.

    Each :meth:`append` writes one line and flushes it, so a crash loses at most the
    call in flight and several processes may append to one file (lines are written
    with a single ``write`` on a file opened in append mode).

    Args:
        path: the JSONL file (created with its parent folders if missing).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CallLog({str(self.path)!r})"

    def append(self, record: CallRecord) -> None:
        """Write one record as a line."""
        if record.error is not None and len(record.error) > MAX_ERROR_CHARS:
            record = record.model_copy(update={"error": record.error[:MAX_ERROR_CHARS]})
        line = record_json(record) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)

    def extend(self, records: Iterable[CallRecord]) -> None:
        """Write several records."""
        for record in records:
            self.append(record)

    def records(self) -> list[CallRecord]:
        """Every record in the file, in order."""
        return list(read_call_log(self.path))


def read_call_log(path: str | os.PathLike[str]) -> Iterator[CallRecord]:
    """Yield the records of a JSONL call log; blank lines are skipped.

    Raises:
        ConfigError: if the file is missing or a line is not a valid record; the message
            names the file, the line number and the bad field.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"expected a call log file (JSON lines), got missing path {path}")
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            where = f"call log {path} line {number}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError(f"{where}: expected UTF-8 text, got undecodable bytes") from None
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise ConfigError(
                    f"{where}: expected one JSON object, got invalid JSON ({e.msg})"
                ) from None
            yield parse_record(data, where=where)


def read_call_logs(
    sources: Iterable[CallRecord | dict[str, Any] | str | os.PathLike[str] | CallLog]
    | str
    | os.PathLike[str]
    | CallLog,
) -> list[CallRecord]:
    """Gather records from log paths, :class:`CallLog` objects, dicts and records."""
    if isinstance(sources, str | os.PathLike | CallLog):
        sources = [sources]
    out: list[CallRecord] = []
    for i, item in enumerate(sources):
        if isinstance(item, CallLog):
            out.extend(item.records())
        elif isinstance(item, str | os.PathLike):
            out.extend(read_call_log(item))
        else:
            out.append(parse_record(item, where=f"call record #{i}"))
    return out
