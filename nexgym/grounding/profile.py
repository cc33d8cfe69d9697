"""Noise profiles: per-tool latency distributions and failure rates fitted to real calls.

A :class:`NoiseProfile` says, for each tool (and by ``default`` for the rest), how long
a call takes (a log-normal distribution with a floor) and how often it fails or times
out, with the error texts real servers gave. Profiles are fitted from call logs
(:mod:`nexgym.mcp.calllog`), saved and loaded as YAML, and sampled by the noise
wrappers (``Latency``, ``ToolFaults``) with the env's generator::

    profile = NoiseProfile.fit(["calls.jsonl"])
    profile.save("mine.yaml")
    profile = NoiseProfile.named("realistic")       # shipped with nexgym
    seconds = profile.sample_latency("read_file", env.np_random)
    outcome = profile.sample_outcome("read_file", env.np_random)   # .kind, .message
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nexgym.error import ConfigError, UnknownNameError
from nexgym.mcp.calllog import CallLog, CallRecord, read_call_logs

__all__ = [
    "LatencyModel",
    "NoiseProfile",
    "Provenance",
    "SampledOutcome",
    "ToolNoise",
    "profile_names",
]

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
#: Latencies below this are clamped before taking logs (a clock can read 0).
MIN_LOG_SECONDS = 1e-6
#: Distinct error texts kept per tool when fitting.
MAX_ERROR_MESSAGES = 5
DEFAULT_ERROR = "the tool server reported an internal error"
#: Fewest calls :meth:`NoiseProfile.fit` accepts by default (rates from fewer are noise).
MIN_RECORDS = 30
#: Consecutive unanswered calls of one server in an episode that count as an outage.
OUTAGE_RUN = 2


class Provenance(BaseModel):
    """Where a fitted profile's numbers come from.

    Attributes:
        calls: logged calls fitted.
        servers: calls per server.
        policies: calls per policy that made them (``""`` when the log does not say).
        episodes: distinct episodes among the calls (0 when the log has no episode ids).
        outage_episodes: episodes with an outage (see :attr:`NoiseProfile.outage_rate`).
        outcomes: calls per outcome: ``ok``, ``refused`` (the tool answered that the call
            was wrong), ``error`` (the server failed), ``timeout``.
        date: when the calls were recorded (ISO date), if given to :meth:`NoiseProfile.fit`.
        recording: how they were recorded (command, machine, load), if given.
    """

    model_config = ConfigDict(extra="forbid")

    calls: int = Field(ge=0)
    servers: dict[str, int] = Field(default_factory=dict)
    policies: dict[str, int] = Field(default_factory=dict)
    episodes: int = Field(default=0, ge=0)
    outage_episodes: int = Field(default=0, ge=0)
    outcomes: dict[str, int] = Field(default_factory=dict)
    date: str | None = None
    recording: str = ""


class LatencyModel(BaseModel):
    """Seconds a call takes: ``max(min, exp(mu + sigma * z))`` with ``z ~ N(0, 1)``.

    Attributes:
        mu: mean of the log-latency (log seconds); ``exp(mu)`` is the median.
        sigma: standard deviation of the log-latency (0 gives a fixed latency).
        min: floor in seconds (the fastest call observed).
    """

    model_config = ConfigDict(extra="forbid")

    distribution: Literal["lognormal"] = "lognormal"
    mu: float = Field(allow_inf_nan=False)
    sigma: float = Field(ge=0.0, allow_inf_nan=False)
    min: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)

    @classmethod
    def fixed(cls, seconds: float) -> LatencyModel:
        """A latency of exactly ``seconds``."""
        if not seconds > 0:
            raise ConfigError(f"expected a fixed latency > 0 seconds, got {seconds!r}")
        return cls(mu=math.log(seconds), sigma=0.0, min=0.0)

    @classmethod
    def fit(cls, latencies: Iterable[float]) -> LatencyModel:
        """Maximum-likelihood log-normal fit; the floor is the smallest observation."""
        values = np.asarray([max(float(x), MIN_LOG_SECONDS) for x in latencies], dtype=float)
        if values.size == 0:
            raise ConfigError("expected at least one latency to fit, got none")
        logs = np.log(values)
        return cls(mu=float(logs.mean()), sigma=float(logs.std()), min=float(values.min()))

    @property
    def median(self) -> float:
        """The median latency in seconds (ignoring the floor)."""
        return math.exp(self.mu)

    @property
    def mean(self) -> float:
        """The mean latency in seconds (ignoring the floor)."""
        return math.exp(self.mu + self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one latency in seconds."""
        z = float(rng.standard_normal()) if self.sigma > 0 else 0.0
        return max(self.min, math.exp(self.mu + self.sigma * z))


class ToolNoise(BaseModel):
    """The noise of one tool.

    Attributes:
        latency: how long a call takes.
        error_rate: probability that a call fails with one of ``error_messages`` (a
            failure of the server, whatever the call).
        timeout_rate: probability that a call gets no answer in time.
        error_messages: error texts real calls returned (drawn uniformly on failure).
        calls: how many logged calls the numbers were fitted from (0 if written by hand).
        refusal_rate: share of the logged calls the tool refused as wrong (bad
            arguments, unknown ids: the caller's mistake, answered correctly). Observed
            and kept for reference, never injected: a wrong call gets the env's own error.
    """

    model_config = ConfigDict(extra="forbid")

    latency: LatencyModel
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_messages: list[str] = Field(default_factory=list)
    calls: int = Field(default=0, ge=0)
    refusal_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _rates_sum(self) -> ToolNoise:
        if self.error_rate + self.timeout_rate > 1.0 + 1e-9:
            raise ValueError(
                f"expected error_rate + timeout_rate <= 1, got "
                f"{self.error_rate} + {self.timeout_rate}"
            )
        return self


@dataclass(frozen=True, slots=True)
class SampledOutcome:
    """A drawn call outcome: ``kind`` is ``"ok"``, ``"error"`` or ``"timeout"``."""

    kind: Literal["ok", "error", "timeout"]
    message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeds."""
        return self.kind == "ok"


class NoiseProfile(BaseModel):
    """Latency and failure behaviour per tool, with a default for unlisted tools.

    Attributes:
        name: a short name ("realistic").
        description: where the numbers come from.
        timeout_seconds: seconds a timed-out call costs on the virtual clock.
        default: the noise of any tool not in ``tools``.
        tools: tool name -> its noise.
        outage_rate: fraction of logged episodes in which a server left
            ``OUTAGE_RUN`` or more calls in a row unanswered (timeouts, a dead server);
            None when the log has no episode ids. A killed or hung server that the
            client replaces after the one call that met it is no outage: that call is
            counted in the tool's ``timeout_rate`` or ``error_rate``.
        provenance: how many calls from which servers and policies were fitted.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    description: str = ""
    timeout_seconds: float = Field(default=10.0, gt=0.0, allow_inf_nan=False)
    default: ToolNoise
    tools: dict[str, ToolNoise] = Field(default_factory=dict)
    #: fitted probability that an episode meets a server outage (None: not fitted)
    outage_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    provenance: Provenance | None = None

    # -- sampling ----------------------------------------------------------------------

    def noise(self, tool: str) -> ToolNoise:
        """The noise of ``tool`` (the default if the profile does not list it)."""
        return self.tools.get(tool, self.default)

    def sample_latency(self, tool: str, rng: np.random.Generator) -> float:
        """Draw the seconds one call of ``tool`` takes."""
        return self.noise(tool).latency.sample(rng)

    def sample_outcome(self, tool: str, rng: np.random.Generator) -> SampledOutcome:
        """Draw whether one call of ``tool`` succeeds, fails (with a message) or times out."""
        noise = self.noise(tool)
        u = float(rng.random())
        if u < noise.timeout_rate:
            return SampledOutcome(
                "timeout", f"{tool} did not answer within {self.timeout_seconds:g} s"
            )
        if u < noise.timeout_rate + noise.error_rate:
            messages = noise.error_messages or [DEFAULT_ERROR]
            return SampledOutcome("error", messages[int(rng.integers(len(messages)))])
        return SampledOutcome("ok")

    # -- fitting -----------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        call_logs: Iterable[CallRecord | dict[str, Any] | str | os.PathLike[str] | CallLog]
        | str
        | os.PathLike[str]
        | CallLog,
        *,
        name: str = "fitted",
        description: str = "",
        min_calls: int = 5,
        min_records: int = MIN_RECORDS,
        date: str | None = None,
        recording: str = "",
    ) -> NoiseProfile:
        """Fit a profile to logged calls.

        Latency is fitted on calls that got an answer; the error and timeout rates are
        the observed fractions. A call the tool refused as wrong (logged with ``failure
        == "refused"``) is the caller's mistake, not the server's: it counts in
        ``refusal_rate``, not in ``error_rate``. Tools with fewer than ``min_calls`` calls
        get no entry of their own and fall back to ``default``, fitted on every call.

        Args:
            call_logs: JSONL log paths, :class:`CallLog` objects, records or dicts.
            name: the profile's name.
            description: where the logs come from.
            min_calls: calls a tool needs for its own entry.
            min_records: calls the whole log needs; a smaller log is refused.
            date: when the calls were recorded, kept in the provenance.
            recording: how they were recorded, kept in the provenance.

        Raises:
            ConfigError: for a malformed log (naming the file, line and field), or a log
                with fewer than ``min_records`` calls.
        """
        if min_calls < 1 or min_records < 1:
            raise ConfigError(
                f"expected min_calls >= 1 and min_records >= 1, got {min_calls!r} and "
                f"{min_records!r}"
            )
        records = read_call_logs(call_logs)
        if not records:
            raise ConfigError("expected at least one call record to fit a noise profile, got none")
        if len(records) < min_records:
            raise ConfigError(
                f"expected at least {min_records} call records to fit a noise profile, got "
                f"{len(records)}; record more episodes (or lower min_records knowingly: "
                "rates fitted on few calls are mostly noise)"
            )
        by_tool: dict[str, list[CallRecord]] = {}
        for record in records:
            by_tool.setdefault(record.tool, []).append(record)
        timeouts = [r.latency for r in records if r.timed_out]
        timeout_seconds = float(np.median(timeouts)) if timeouts else 10.0
        if not description:
            servers = sorted({r.server for r in records if r.server})
            description = f"fitted on {len(records)} calls" + (
                f" to {', '.join(servers)}" if servers else ""
            )
        provenance, outage_rate = _provenance(records)
        provenance.date, provenance.recording = date, recording
        return cls(
            name=name,
            description=description,
            outage_rate=outage_rate,
            provenance=provenance,
            timeout_seconds=max(timeout_seconds, MIN_LOG_SECONDS),
            default=_fit_tool(records),
            tools={
                tool: _fit_tool(rs) for tool, rs in sorted(by_tool.items()) if len(rs) >= min_calls
            },
        )

    # -- files -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "noise profile") -> NoiseProfile:
        """Validate a profile given as a dict.

        Raises:
            ConfigError: naming the path of each bad field, e.g. ``tools.read.error_rate``.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping, got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ConfigError(f"{source}: {_describe(e)}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NoiseProfile:
        """Load a profile from a YAML file."""
        import yaml

        path = Path(path)
        if not path.is_file():
            raise ConfigError(
                f"expected a noise profile YAML file, got missing path {path}; "
                f"shipped profiles: {', '.join(profile_names())}"
            )
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ConfigError(f"noise profile {path}: expected YAML text, got: {e}") from None
        return cls.from_dict(data, source=f"noise profile {path}")

    @classmethod
    def named(cls, name: str) -> NoiseProfile:
        """A profile shipped with nexgym (``"realistic"``)."""
        path = PROFILES_DIR / f"{name}.yaml"
        if not path.is_file():
            raise UnknownNameError("noise profile", name, profile_names())
        return cls.load(path)

    def to_yaml(self) -> str:
        """The profile as YAML text."""
        import yaml

        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, width=100)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the profile as YAML; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path


def profile_names() -> list[str]:
    """Names of the profiles shipped with nexgym."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def _provenance(records: list[CallRecord]) -> tuple[Provenance, float | None]:
    """The log's provenance, and its outage rate (None without episode ids)."""
    episodes: dict[str, list[CallRecord]] = {}
    for record in records:
        if record.episode is not None:
            episodes.setdefault(record.episode, []).append(record)
    outages = sum(_has_outage(calls) for calls in episodes.values())
    provenance = Provenance(
        calls=len(records),
        servers=dict(sorted(Counter(r.server for r in records).items())),
        policies=dict(sorted(Counter(r.policy for r in records).items())),
        episodes=len(episodes),
        outage_episodes=outages,
        outcomes=dict(sorted(Counter(_outcome(r) for r in records).items())),
    )
    return provenance, (outages / len(episodes) if episodes else None)


def _outcome(record: CallRecord) -> str:
    """``ok``, ``refused`` (the caller's mistake), ``error`` (the server's) or ``timeout``."""
    return "refused" if record.failure == "refused" else record.outcome


def _has_outage(calls: list[CallRecord]) -> bool:
    """Whether one server left ``OUTAGE_RUN`` calls in a row unanswered in this episode.

    Only unanswered calls count (timeouts, a server that died): an error answer may be
    the agent's own mistake (bad arguments), not the server's absence.
    """
    runs: dict[str, int] = {}
    for call in sorted(calls, key=lambda r: r.timestamp):
        unanswered = call.timed_out or call.failure == "server_error"
        runs[call.server] = runs.get(call.server, 0) + 1 if unanswered else 0
        if runs[call.server] >= OUTAGE_RUN:
            return True
    return False


def _fit_tool(records: list[CallRecord]) -> ToolNoise:
    answered = [r.latency for r in records if not r.timed_out]
    n = len(records)
    n_timeout = sum(r.timed_out for r in records)
    failed = [r for r in records if not r.ok and not r.timed_out and r.failure != "refused"]
    n_error = len(failed)
    n_refused = sum(r.failure == "refused" for r in records)
    messages = Counter(r.error.strip() for r in failed if r.error)
    if answered:
        latency = LatencyModel.fit(answered)
    else:  # every call timed out: the answer never came, so only the timeout is known
        latency = LatencyModel.fixed(max(r.latency for r in records) or MIN_LOG_SECONDS)
    return ToolNoise(
        latency=latency,
        error_rate=n_error / n,
        timeout_rate=n_timeout / n,
        error_messages=[m for m, _ in messages.most_common(MAX_ERROR_MESSAGES)],
        calls=n,
        refusal_rate=n_refused / n,
    )


def _describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"]) or "(profile)"
        given = repr(err.get("input"))
        given = given if len(given) <= 60 else given[:57] + "..."
        if err["type"] == "missing":
            parts.append(f"field {field!r}: missing (required)")
        elif err["type"] == "extra_forbidden":
            parts.append(f"field {field!r}: unknown field")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"field {field!r}: {msg[0].lower() + msg[1:]}, got {given}")
    return "; ".join(parts)
