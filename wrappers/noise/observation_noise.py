"""ObservationNoise: tool results come back cut, shuffled, padded with distractors, or stale."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from nexgym.wrappers.noise.middleware import (
    NoiseSource,
    ToolCallWrapper,
    ToolHandler,
    source_attribute,
)

from nexgym.error import ConfigError
from nexgym.tools import ToolCall, ToolResult, render_result

__all__ = ["DISTRACTOR_LINES", "ObservationNoise", "ObservationNoiseSource"]

#: Lines real tool servers add around their answers: logs, notices, cache hints.
DISTRACTOR_LINES = (
    "[notice] this endpoint is deprecated and will be removed in the next API version",
    "[cache] served from a replica; data may lag the primary by a few seconds",
    "[debug] request id 7f3a9c21, shard 3 of 8",
    "warning: rate limit at 80% of quota for this minute",
    "note: some results may be hidden by your access level",
    "[info] connection reused (keep-alive)",
    "hint: results are paginated; pass page=2 for more",
    "[metrics] backend latency p50=41ms p99=380ms",
)
TRUNCATION_MARK = "[... output truncated by the server]"
#: Results shorter than this (in characters) are never truncated.
MIN_TRUNCATE_CHARS = 40


class ObservationNoiseSource(NoiseSource):
    """Successful tool results are altered on the way back, each with its own probability.

    Applied in this order to a result (errors pass unchanged); what happened is listed
    in ``meta["noise"]`` (and so in the tool span):

    * ``stale``: the result of the previous identical call (same tool, same arguments)
      comes back instead of the fresh one, when the two differ (a stale cache);
    * ``reordered``: the items of a list result, or the lines of a text result, are
      shuffled;
    * ``truncated``: only a leading part of the text (30% to 80%) comes back, with a
      marker that it was cut;
    * ``distractor``: a log or notice line is inserted among the lines.

    Results stay what the domain returned unless noise strikes, so every policy sees the
    same world; the noise is in what it reads. Noise changes the text in the chat
    transcripts too: it is what the agent saw.

    Args:
        truncate_rate: probability that a result is cut.
        reorder_rate: probability that a list's items or a text's lines are shuffled.
        distractor_rate: probability that a distractor line is added.
        stale_rate: probability that a repeated call returns its previous result.
    """

    def __init__(
        self,
        *,
        truncate_rate: float = 0.1,
        reorder_rate: float = 0.1,
        distractor_rate: float = 0.1,
        stale_rate: float = 0.1,
    ) -> None:
        super().__init__()
        rates = {
            "truncate_rate": truncate_rate,
            "reorder_rate": reorder_rate,
            "distractor_rate": distractor_rate,
            "stale_rate": stale_rate,
        }
        for name, value in rates.items():
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"expected {name} in [0, 1], got {value!r}")
        self.truncate_rate = truncate_rate
        self.reorder_rate = reorder_rate
        self.distractor_rate = distractor_rate
        self.stale_rate = stale_rate
        self._previous: dict[str, Any] = {}

    def on_reset(self) -> None:
        """Forget the previous episode's results."""
        self._previous = {}

    def on_tool_call(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """Run the call, then alter its result as drawn."""
        result = call_next(call)
        if not result.ok:
            return result
        # one draw per kind and call, whatever happens, so streams stay aligned
        draws = self.rng.random(4)
        kinds: list[str] = []
        content = result.content
        key = call.key()
        previous = self._previous.get(key)
        self._previous[key] = content
        if draws[0] < self.stale_rate and previous is not None and previous != content:
            content = previous
            kinds.append("stale")
        if draws[1] < self.reorder_rate:
            shuffled = self._reorder(content)
            if shuffled != content:
                content = shuffled
                kinds.append("reordered")
        if draws[2] < self.truncate_rate:
            text = render_result(content)
            if len(text) >= MIN_TRUNCATE_CHARS:
                keep = int(len(text) * self.rng.uniform(0.3, 0.8))
                content = f"{text[:keep]}\n{TRUNCATION_MARK}"
                kinds.append("truncated")
        if draws[3] < self.distractor_rate:
            lines = render_result(content).split("\n")
            line = DISTRACTOR_LINES[int(self.rng.integers(len(DISTRACTOR_LINES)))]
            lines.insert(int(self.rng.integers(len(lines) + 1)), line)
            content = "\n".join(lines)
            kinds.append("distractor")
        if kinds:
            result.content = content
            result.meta["noise"] = ",".join(kinds)
        return result

    def _reorder(self, content: Any) -> Any:
        if isinstance(content, list) and len(content) > 1:
            order = self.rng.permutation(len(content))
            return [content[int(i)] for i in order]
        text = render_result(content)
        lines = text.split("\n")
        if len(lines) > 1:
            order = self.rng.permutation(len(lines))
            return "\n".join(lines[int(i)] for i in order)
        return content


class ObservationNoise(ToolCallWrapper[ObservationNoiseSource], gym.utils.RecordConstructorArgs):
    """Successful tool results are altered on the way back, each with its own probability.

    The Gymnasium adapter of :class:`ObservationNoiseSource` (see it for the kinds of
    noise); :mod:`nexgym.wrappers.noise.pz` applies the same source to the PettingZoo
    views.

    Args:
        env: a nexgym env.
        truncate_rate: probability that a result is cut.
        reorder_rate: probability that a list's items or a text's lines are shuffled.
        distractor_rate: probability that a distractor line is added.
        stale_rate: probability that a repeated call returns its previous result.
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        *,
        truncate_rate: float = 0.1,
        reorder_rate: float = 0.1,
        distractor_rate: float = 0.1,
        stale_rate: float = 0.1,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            truncate_rate=truncate_rate,
            reorder_rate=reorder_rate,
            distractor_rate=distractor_rate,
            stale_rate=stale_rate,
        )
        source = ObservationNoiseSource(
            truncate_rate=truncate_rate,
            reorder_rate=reorder_rate,
            distractor_rate=distractor_rate,
            stale_rate=stale_rate,
        )
        ToolCallWrapper.__init__(self, env, source)

    truncate_rate = source_attribute("truncate_rate")
    reorder_rate = source_attribute("reorder_rate")
    distractor_rate = source_attribute("distractor_rate")
    stale_rate = source_attribute("stale_rate")
