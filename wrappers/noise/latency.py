"""Latency: every tool call takes time on the env's virtual clock, drawn from a noise profile."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
from nexgym.wrappers.noise.middleware import (
    NoiseSource,
    ToolCallWrapper,
    ToolHandler,
    source_attribute,
)

from nexgym.error import ConfigError
from nexgym.grounding.profile import PROFILES_DIR, NoiseProfile
from nexgym.tools import ToolCall, ToolResult

__all__ = ["Latency", "LatencySource", "ProfileLike", "load_profile"]

ProfileLike = NoiseProfile | str | os.PathLike[str] | dict[str, Any]


def load_profile(profile: ProfileLike) -> NoiseProfile:
    """A :class:`NoiseProfile` from itself, a shipped name, a YAML path or a dict.

    Profiles read from files are cached (per path and modification time): a rollout
    builds many wrapped envs, and the profile is only read.
    """
    if isinstance(profile, NoiseProfile):
        return profile
    if isinstance(profile, dict):
        return NoiseProfile.from_dict(profile)
    text = os.fspath(profile)
    if text.endswith((".yaml", ".yml")) or os.sep in text:
        path = Path(text)
    else:
        path = PROFILES_DIR / f"{text}.yaml"
        if not path.is_file():
            return NoiseProfile.named(text)  # raises, naming the shipped profiles
    if not path.is_file():
        return NoiseProfile.load(path)  # raises, saying what is missing
    return _load_cached(path.resolve(), path.stat().st_mtime)


@functools.lru_cache(maxsize=32)
def _load_cached(path: Path, mtime: float) -> NoiseProfile:
    return NoiseProfile.load(path)


class LatencySource(NoiseSource):
    """Each domain tool call takes a latency drawn from a noise profile.

    The latency is added to the call's :class:`~nexgym.tools.ToolResult` and so to the
    runtime's virtual clock (``info["clock"]``); nothing sleeps unless ``real_time``.
    A timed-out call (``meta["fault"] == "timeout"``, set by :class:`ToolFaults`) already
    cost its timeout and gets nothing more.

    ``info`` gains ``virtual_time`` (seconds on the virtual clock so far) and
    ``tool_latency`` (seconds this source added in the episode), plus ``time_left``
    with a ``time_budget``. When the clock reaches the budget the episode ends with
    stop reason ``time_budget``: ``truncated``, scored as the world stands. The call
    that reaches it ends the episode (every view); with a runtime that also charges
    time per turn, the Gymnasium adapter ends it after the step that passes it.

    Args:
        profile: a :class:`NoiseProfile`, a shipped profile name (``"realistic"``),
            a YAML path or a dict.
        time_budget: virtual seconds an episode may last (None: no limit).
        real_time: also sleep for each latency (for tests against real clocks).
        scale: multiply every latency (e.g. 0.1 for a fast network).
    """

    def __init__(
        self,
        profile: ProfileLike = "realistic",
        *,
        time_budget: float | None = None,
        real_time: bool = False,
        scale: float = 1.0,
    ) -> None:
        super().__init__()
        if time_budget is not None and not time_budget > 0:
            raise ConfigError(f"expected time_budget > 0 seconds or None, got {time_budget!r}")
        if not scale >= 0:
            raise ConfigError(f"expected scale >= 0, got {scale!r}")
        self.profile = load_profile(profile)
        self.time_budget = time_budget
        self.real_time = real_time
        self.scale = scale
        self.tool_latency = 0.0

    def on_reset(self) -> None:
        """Start the episode's latency total at zero."""
        self.tool_latency = 0.0

    def on_tool_call(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """Run the call, then add a drawn latency (and end the episode past the budget)."""
        result = call_next(call)
        if result.meta.get("fault") != "timeout":
            seconds = self.scale * self.profile.sample_latency(call.name, self.rng)
            result.latency += seconds
            self.tool_latency += seconds
            if self.real_time and seconds > 0:
                time.sleep(seconds)
        if self.time_budget is not None:
            runtime = self.control
            if runtime.clock + result.latency >= self.time_budget:
                # the call ran (its effects stand) but the agent gets no further turn
                runtime.advance_clock(result.latency)
                result.latency = 0.0
                runtime.stop("time_budget")
        return result

    def step_info(self, info: dict[str, Any]) -> None:
        """The virtual time, this source's latency total and the time left."""
        clock = self.control.clock
        info["virtual_time"] = clock
        info["tool_latency"] = self.tool_latency
        if self.time_budget is not None:
            info["time_left"] = max(0.0, self.time_budget - clock)

    def overdue(self) -> str | None:
        """``time_budget`` once the virtual clock has reached the budget."""
        if self.time_budget is not None and self.control.clock >= self.time_budget:
            return "time_budget"
        return None


class Latency(ToolCallWrapper[LatencySource], gym.utils.RecordConstructorArgs):
    """Each domain tool call takes a latency drawn from a noise profile.

    The Gymnasium adapter of :class:`LatencySource` (see it for ``info`` and the time
    budget); :mod:`nexgym.wrappers.noise.pz` applies the same source to the PettingZoo
    views.

    Args:
        env: a nexgym env (any wrapper stack around :class:`~nexgym.env.NexEnv`).
        profile: a :class:`NoiseProfile`, a shipped profile name (``"realistic"``),
            a YAML path or a dict.
        time_budget: virtual seconds an episode may last (None: no limit).
        real_time: also sleep for each latency (for tests against real clocks).
        scale: multiply every latency (e.g. 0.1 for a fast network).

    Example:
        >>> import gymnasium as gym, nexgym
        >>> env = Latency(gym.make("nex/FileOps-v0"), "realistic", time_budget=120.0)
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        profile: ProfileLike = "realistic",
        *,
        time_budget: float | None = None,
        real_time: bool = False,
        scale: float = 1.0,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self, profile=profile, time_budget=time_budget, real_time=real_time, scale=scale
        )
        source = LatencySource(profile, time_budget=time_budget, real_time=real_time, scale=scale)
        ToolCallWrapper.__init__(self, env, source)

    profile = source_attribute("profile")
    time_budget = source_attribute("time_budget")
    real_time = source_attribute("real_time")
    scale = source_attribute("scale")
    #: seconds this wrapper added in the episode
    tool_latency = source_attribute("tool_latency")
