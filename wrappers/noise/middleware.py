"""A noise source is one runtime middleware; its Gymnasium adapter is :class:`ToolCallWrapper`.

A runtime middleware wraps every domain tool call, whichever role makes it (the
controlled role, a teammate inside ``step``, or any agent of a PettingZoo view), so the
noise acts on the tool calls themselves rather than on the text a policy sees. A
:class:`NoiseSource` holds one kind of noise and its per-episode state, and no env: an
adapter attaches it to an env's runtime through the runtime's one hook,
:meth:`~nexgym.runtime.view.RuntimeControl.add_middleware`, and calls its hooks at every
reset and step. :class:`ToolCallWrapper` is the Gymnasium adapter;
:mod:`nexgym.wrappers.noise.pz` holds the PettingZoo AEC and Parallel ones.

Every adapter:

* attaches its source once, at construction; an outer adapter's middleware wraps an
  inner one's, as the wrappers themselves nest;
* gives the source a generator derived from the env's ``np_random`` at every reset, so
  one seed gives one trajectory whatever the stack, and the same one in every view;
* (Gymnasium) records its constructor arguments
  (:class:`gymnasium.utils.RecordConstructorArgs`), so ``gym.make(env.spec)`` rebuilds
  the whole stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, SupportsFloat, TypeVar

import gymnasium as gym
import numpy as np

from nexgym.error import ConfigError
from nexgym.runtime.view import RuntimeControl, runtime_control
from nexgym.tools import ToolCall, ToolResult

__all__ = ["NoiseSource", "ToolCallWrapper", "ToolHandler", "end_after_step"]

#: What a middleware calls to run the tool call (and the middlewares inside it).
ToolHandler = Callable[[ToolCall], ToolResult]
Step = tuple[str, SupportsFloat, bool, bool, dict[str, Any]]


class NoiseSource:
    """One kind of noise as a runtime middleware, with its per-episode state.

    Subclasses implement :meth:`on_tool_call` and may extend :meth:`on_reset`; the
    other hooks let a source add to what every view reports (``info`` keys, a line in
    the observation) and end an episode. :attr:`rng` is re-derived from the env's
    ``np_random`` at every reset.
    """

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)  # replaced at every reset
        self._control: RuntimeControl | None = None

    # -- attachment -------------------------------------------------------------------

    def attach(self, runtime: RuntimeControl) -> None:
        """Install this source's middleware on ``runtime`` (a no-op if it is there already).

        Adapters call it at construction and at every reset: an env rebuilt by
        unpickling has a fresh runtime.
        """
        self._control = runtime
        runtime.add_middleware(self.handle)

    @property
    def control(self) -> RuntimeControl:
        """The runtime this source is attached to."""
        if self._control is None:
            raise ConfigError(
                f"expected {type(self).__name__} to be attached to an env, got none; "
                "wrap an env with it (e.g. ToolCallWrapper(env, source))"
            )
        return self._control

    def __getstate__(self) -> dict[str, Any]:
        # the runtime is the env's: an unpickled adapter attaches its source again
        return {**self.__dict__, "_control": None}

    # -- per call and per episode ---------------------------------------------------------

    def handle(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """The middleware the runtime calls (see :data:`~nexgym.runtime.view.Middleware`)."""
        return self.on_tool_call(call, role, call_next)

    def on_tool_call(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """Handle one domain tool call (``call_next(call)`` runs it); subclasses override."""
        return call_next(call)

    def on_reset(self) -> None:
        """Prepare a new episode (the task is known, no tool has run yet)."""

    def before_reset(self, seed: int | None, np_random: Callable[[], np.random.Generator]) -> None:
        """Act before the env's reset builds the first prompt (nothing by default)."""

    def after_reset(self, np_random: np.random.Generator) -> None:
        """Derive this episode's generator from the env's ``np_random``, then :meth:`on_reset`."""
        self.rng = np.random.default_rng(int(np_random.integers(2**63)))
        self.on_reset()

    # -- what the views report ----------------------------------------------------------

    def reset_info(self, info: dict[str, Any]) -> None:
        """Add this source's keys to an agent's ``info`` after a reset (default: step's)."""
        self.step_info(info)

    def step_info(self, info: dict[str, Any]) -> None:
        """Add this source's keys to an agent's ``info`` after a step (none by default)."""

    def observation(self, text: str) -> str:
        """An agent's observation text as this source shows it (unchanged by default)."""
        return text

    def overdue(self) -> str | None:
        """A stop reason if the episode must end after this step (None by default)."""
        return None


SourceT = TypeVar("SourceT", bound="NoiseSource")


class ToolCallWrapper(gym.Wrapper[str, str, str, str], Generic[SourceT]):
    """The Gymnasium adapter of a :class:`NoiseSource` (see the module docstring).

    Args:
        env: a nexgym env (any wrapper stack around :class:`~nexgym.env.NexEnv`).
        source: the noise source to attach to its runtime.
    """

    def __init__(self, env: gym.Env[str, str], source: SourceT) -> None:
        super().__init__(env)
        self.source: SourceT = source
        source.attach(runtime_control(env))

    def __setstate__(self, state: dict[str, Any]) -> None:
        # An unpickled env has a fresh runtime: hook into it again at once. (The env
        # replays its episode while it is unpickled, before this runs: that replay is
        # noise-free, so a stack is best pickled between episodes.)
        self.__dict__.update(state)
        self.source.attach(runtime_control(self.env))

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Reset the env; the source derives its generator from ``np_random`` and prepares."""
        source = self.source
        source.attach(runtime_control(self.env))
        source.before_reset(seed, lambda: self.env.np_random)
        obs, info = self.env.reset(seed=seed, options=options)
        source.after_reset(self.env.np_random)
        source.reset_info(info)
        return source.observation(obs), info

    def step(self, action: str) -> Step:
        """Step; the source may end the episode, and adds to ``info`` and the observation."""
        out = self.env.step(action)
        reason = self.source.overdue()
        if reason is not None:
            out = end_after_step(runtime_control(self.env), reason, out)
        obs, reward, terminated, truncated, info = out
        self.source.step_info(info)
        return self.source.observation(obs), reward, terminated, truncated, info


def end_after_step(runtime: RuntimeControl, reason: str, step: Step) -> Step:
    """End the episode after a Gymnasium step that did not end it, and patch its outputs.

    The verifier scores the world as it stands, its score is added to the reward as
    the env itself adds it, and ``info`` gets the end-of-episode keys.
    """
    obs, reward, _, _, info = step
    if runtime.done:
        return step
    runtime.stop(reason)
    verdict = runtime.verdict
    score = verdict.score if verdict else 0.0
    info = dict(info)
    info.update(
        role=None,
        tools=[],
        stop_reason=runtime.stop_reason,
        score=score,
        success=bool(verdict and verdict.solved),
    )
    obs = runtime.observe(runtime.spec.root)
    return obs, float(reward) + score, not runtime.truncated, runtime.truncated, info


def source_attribute(name: str) -> Any:
    """A read-only attribute of an adapter that reads its source's ``name``.

    The named wrappers (``ToolFaults``, ``Latency``, ...) keep their settings and state
    readable as their own (``env.unavailable``, ``get_wrapper_attr("outage_rate")``).
    """

    def read(adapter: Any) -> Any:
        return getattr(adapter.source, name)

    return property(read, doc=f"The noise source's ``{name}`` (read-only).")
