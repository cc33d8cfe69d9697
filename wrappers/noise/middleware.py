"""The base of the noise wrappers: each installs one middleware on the env's runtime.

A runtime middleware wraps every domain tool call, whichever role makes it (the
controlled role or a teammate inside ``step``), so the noise wrappers act on the tool
calls themselves rather than on the text the policy sees. Each wrapper:

* installs its middleware once, at construction; an outer wrapper's middleware wraps
  an inner one's, as the wrappers themselves nest;
* draws its randomness from its own generator, derived from the env's ``np_random``
  at every ``reset``, so one seed gives one trajectory whatever the stack;
* records its constructor arguments (:class:`gymnasium.utils.RecordConstructorArgs`),
  so ``gym.make(env.spec)`` rebuilds the whole stack.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from nexgym.runtime import Runtime
from nexgym.tools import ToolCall, ToolResult

__all__ = ["ToolCallWrapper", "end_after_step"]

ToolHandler = Any  # Callable[[ToolCall], ToolResult]; kept loose for the runtime's binding


class ToolCallWrapper(gym.Wrapper[str, str, str, str]):
    """A wrapper that acts on the runtime's domain tool calls.

    Subclasses implement :meth:`on_tool_call` and may extend :meth:`on_reset`. The
    generator :attr:`rng` is re-derived from the env's ``np_random`` at every reset.
    """

    def __init__(self, env: gym.Env[str, str]) -> None:
        super().__init__(env)
        self.rng = np.random.default_rng(0)  # replaced at every reset
        self._install()

    @property
    def runtime(self) -> Runtime:
        """The runtime of the wrapped :class:`~nexgym.env.NexEnv`."""
        runtime: Runtime = self.env.get_wrapper_attr("runtime")
        return runtime

    def _install(self) -> None:
        # An outer wrapper is built after the inner ones: putting its middleware first
        # makes it the outermost one, as the wrappers themselves nest. An env rebuilt by
        # unpickling has a fresh runtime, hence the check at every reset too.
        middlewares = self.runtime.middlewares
        if self._middleware not in middlewares:
            middlewares.insert(0, self._middleware)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # An unpickled env has a fresh runtime: hook into it again at once. (The env
        # replays its episode while it is unpickled, before this runs: that replay is
        # noise-free, so a stack is best pickled between episodes.)
        self.__dict__.update(state)
        self._install()

    def _middleware(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        return self.on_tool_call(call, role, call_next)

    def on_tool_call(self, call: ToolCall, role: str, call_next: ToolHandler) -> ToolResult:
        """Handle one domain tool call (``call_next(call)`` runs it); subclasses override."""
        result: ToolResult = call_next(call)
        return result

    def on_reset(self) -> None:
        """Prepare a new episode (the task is known, no tool has run yet)."""

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Reset the env, derive this wrapper's generator from its ``np_random``, prepare."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._install()
        self.rng = np.random.default_rng(int(self.env.np_random.integers(2**63)))
        self.on_reset()
        return obs, info


def end_after_step(
    wrapper: ToolCallWrapper,
    reason: str,
    step: tuple[str, SupportsFloat, bool, bool, dict[str, Any]],
) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
    """End the episode after a step that did not end it, and patch the step's outputs.

    The verifier scores the world as it stands, its score is added to the reward as
    the env itself adds it, and ``info`` gets the end-of-episode keys.
    """
    runtime = wrapper.runtime
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
