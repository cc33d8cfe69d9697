"""What policies and wrappers may see of a running episode, and the few things they may change.

:class:`RuntimeView` is the typed, read-only face of a :class:`~nexgym.runtime.Runtime`:
the task, the hierarchy, each role's menu, history and assignment, the records of the
calls made, the counters and how the episode ended. Policies, teammates and the space
wrappers read an episode through it (:func:`runtime_view`), never through the runtime's
internals.

:class:`RuntimeControl` adds the hooks a noise source needs to act on tool calls:
:meth:`~RuntimeControl.add_middleware` (the one way to wrap every domain tool call),
:meth:`~RuntimeControl.stop`, :meth:`~RuntimeControl.present_tools` and
:meth:`~RuntimeControl.advance_clock`. The noise wrappers get it with
:func:`runtime_control`.

Both are protocols: the runtime (and a peer team's runtime) satisfies them as it is,
and the envs of every view expose theirs as ``env.unwrapped.view``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

from nexgym.envs.domains.kit.base import Domain, Task, Verdict
from nexgym.error import ConfigError
from nexgym.runtime.execution import Middleware
from nexgym.runtime.frames import EpisodeOver, ToolRecord
from nexgym.runtime.trace import Trace
from nexgym.spec import HierarchySpec
from nexgym.tools import ToolCall

if TYPE_CHECKING:  # type hints only: the runtime itself knows nothing of either API
    import gymnasium as gym
    from pettingzoo import AECEnv, ParallelEnv

__all__ = [
    "HierarchyEnv",
    "Middleware",
    "RuntimeControl",
    "RuntimeView",
    "current_task",
    "runtime_control",
    "runtime_view",
]

#: A nexgym env of any view, wrapped or not: what policies are built for.
HierarchyEnv: TypeAlias = "gym.Env[Any, Any] | AECEnv[Any, Any, Any] | ParallelEnv[Any, Any, Any]"


class RuntimeView(Protocol):
    """The read-only view of an episode's runtime (see the module docstring)."""

    # -- the hierarchy and its task -------------------------------------------------

    @property
    def spec(self) -> HierarchySpec:
        """The hierarchy as executed (after its topology re-shaped it)."""
        ...

    @property
    def domain(self) -> Domain:
        """The domain the tools act on (its tools' schemas and flags)."""
        ...

    @property
    def task(self) -> Task | None:
        """The episode's task (None before the first reset); privileged: only oracles read it."""
        ...

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role that ever acts, in declaration order."""
        ...

    @property
    def lead_role(self) -> str:
        """The role that starts the episode and whose ``finish`` answers the task."""
        ...

    @property
    def renames(self) -> Mapping[str, str]:
        """Real tool name -> the name shown to agents (schema drift); unlisted tools keep theirs."""
        ...

    # -- who acts, and what each role sees -------------------------------------------

    @property
    def active_role(self) -> str | None:
        """The role that acts next (None once the episode is over)."""
        ...

    @property
    def ready_roles(self) -> tuple[str, ...]:
        """Every role that may act now."""
        ...

    def observe(self, role: str) -> str:
        """What ``role`` sees now ("" if it is not acting; the end notice once over)."""
        ...

    def history(self, role: str) -> list[dict[str, Any]]:
        """The chat messages of ``role``'s current (or latest) invocation, OpenAI format."""
        ...

    def assignment(self, role: str) -> str:
        """The message that opened ``role``'s current (or latest) invocation (its task)."""
        ...

    def tool_schemas(self, role: str) -> list[dict[str, Any]]:
        """The OpenAI tool schemas ``role`` sees (domain tools, sub-agents, finish)."""
        ...

    def tool_names(self, role: str) -> list[str]:
        """The names ``role`` may call."""
        ...

    def answers_task(self, role: str) -> bool:
        """Whether ``role``'s ``finish`` answers the task."""
        ...

    def combination_calls(self, role: str) -> list[ToolCall]:
        """The calls that combine a peer team's work ``role`` may make now ([] in a tree)."""
        ...

    # -- the worlds ------------------------------------------------------------------

    def world_of(self, role: str) -> int:
        """The index of the world ``role``'s tools act on."""
        ...

    def live_world(self, index: int) -> Any | None:
        """World ``index`` if it lives in this process (None behind a server); read only."""
        ...

    # -- records and counters ----------------------------------------------------------

    @property
    def tool_log(self) -> Sequence[ToolRecord]:
        """Every domain tool call of the episode as executed, in order."""
        ...

    @property
    def trace(self) -> Trace:
        """The spans (agent, sub-agent, tool) on the virtual clock."""
        ...

    @property
    def transcripts(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """``(agent, chat messages)`` of every invocation, in the order they began."""
        ...

    @property
    def turns(self) -> int:
        """Actions taken this episode, by every role."""
        ...

    @property
    def cycles(self) -> int:
        """Cycles completed this episode (one per action in a tree)."""
        ...

    @property
    def clock(self) -> float:
        """Seconds on the virtual clock."""
        ...

    @property
    def depth(self) -> int:
        """Open invocations: the depth of the call stack."""
        ...

    # -- the end ---------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Whether the episode has ended."""
        ...

    @property
    def stop_reason(self) -> str | None:
        """Why it ended (``finished``, ``turn_limit``, ``error_budget``, ...), None before."""
        ...

    @property
    def truncated(self) -> bool:
        """Whether it ended on a time limit."""
        ...

    @property
    def verdict(self) -> Verdict | None:
        """The verifier's verdict once it ended."""
        ...


class RuntimeControl(RuntimeView, Protocol):
    """The view plus the hooks of the noise sources (see the module docstring)."""

    def add_middleware(self, middleware: Middleware) -> None:
        """Wrap every domain tool call in ``middleware``, outermost; no-op if it is installed."""
        ...

    def stop(self, reason: str) -> None:
        """End the episode now with ``reason``; the verifier scores the world as it stands."""
        ...

    def present_tools(
        self, renames: dict[str, str] | None = None, descriptions: dict[str, str] | None = None
    ) -> None:
        """Show domain tools under other names or descriptions, for frames opened afterwards."""
        ...

    def advance_clock(self, seconds: float) -> None:
        """Move the virtual clock forward (time a tool call took, charged at once)."""
        ...


def runtime_view(env: object) -> RuntimeView:
    """The read-only view of the runtime under ``env``.

    Args:
        env: a nexgym env of any view (``gym.make("nex/...")``, ``nexgym.pz.env(...)``,
            ``nexgym.pz.parallel_env(...)``), wrapped or not.

    Raises:
        ConfigError: ``env`` is not a nexgym env.
    """
    view = getattr(getattr(env, "unwrapped", env), "view", None)
    if view is None:
        raise ConfigError(_not_nexgym(env))
    return cast("RuntimeView", view)


def runtime_control(env: object) -> RuntimeControl:
    """The runtime under ``env`` with the noise sources' hooks (see :class:`RuntimeControl`).

    Raises:
        ConfigError: ``env`` is not a nexgym env.
    """
    runtime = getattr(getattr(env, "unwrapped", env), "runtime", None)
    if runtime is None:
        raise ConfigError(_not_nexgym(env))
    return cast("RuntimeControl", runtime)


def current_task(view: RuntimeView) -> Task:
    """The episode's task (privileged: for oracles and the space wrappers' candidates).

    Raises:
        EpisodeOver: no episode has started (call ``reset()`` first).
    """
    task = view.task
    if task is None:
        raise EpisodeOver("expected an episode in progress, got none; call env.reset() first")
    return task


def _not_nexgym(env: object) -> str:
    return (
        f"expected a nexgym env (gym.make('nex/...'), nexgym.pz.env(...) or "
        f"nexgym.pz.parallel_env(...)), possibly wrapped, got {type(env).__name__}"
    )
