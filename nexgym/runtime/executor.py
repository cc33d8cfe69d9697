"""The agent runtime (after NexAU): a hierarchy executed as a turn-based process over roles.

The runtime keeps a call stack of agent frames, each with its own chat history. An
agent acts by calling one tool per turn; calling a sub-agent pushes a frame, and the
sub-agent's ``finish`` pops it and becomes the caller's tool result. The root's
``finish`` ends the episode and the task's verifier scores it.

It knows nothing of Gymnasium or PettingZoo: the views call :meth:`Runtime.reset`,
read :attr:`Runtime.active_role` (or :attr:`Runtime.ready_roles`) and
:meth:`Runtime.observe`, and pass action texts to :meth:`Runtime.act`. Stop reasons:
``finished``, ``turn_limit``, ``error_budget`` (too many invalid actions),
``max_cycles`` (a PettingZoo view's limit), or one a wrapper sets with :meth:`Runtime.stop`.

It runs any tree; a topology (:mod:`nexgym.topology`) configures it through two options
(``worker_messages``, ``assignment_limit``) or a subclass (the peer teams'
:class:`~nexgym.topology.peers.PeerRuntime`). :func:`nexgym.topology.build_runtime` picks
both from a spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from nexgym.envs.domains.kit.base import Domain, Task, Verdict
from nexgym.error import ArgumentError
from nexgym.runtime.backends import InProcessBackend, ToolBackend
from nexgym.runtime.callstack import CallStack
from nexgym.runtime.execution import Middleware, run_call
from nexgym.runtime.frames import (
    AGENT,
    DELEGATE,
    FINISH,
    MESSAGE,
    ActOutcome,
    EpisodeOver,
    Frame,
    ToolCallTurn,
    ToolRecord,
    encode_arguments,
)
from nexgym.runtime.menus import build_menus, siblings
from nexgym.runtime.messaging import MessageBoard, MessageRecord
from nexgym.runtime.parsing import InvalidAction, parse_action
from nexgym.runtime.prompts import invalid_action_text
from nexgym.runtime.trace import Trace
from nexgym.spec import HierarchySpec
from nexgym.tools import ToolCall, ToolResult

__all__ = [
    "ActOutcome",
    "EpisodeOver",
    "Frame",
    "MessageRecord",
    "Middleware",
    "Runtime",
    "ToolRecord",
]

#: Stop reasons that are time limits (the env reports them as ``truncated``).
TIME_LIMITS = frozenset({"turn_limit", "time_budget", "max_cycles"})
MAX_RESULT_CHARS = 8_000
MAX_ECHO_CHARS = 2_000
_NO_CAP = 10**9  # the rounds limit of a topology that has none
#: The built-in tool that validates the arguments of each non-domain menu entry kind.
_BUILT_IN = {"subagent": DELEGATE, "agent_tool": AGENT, "finish": FINISH, "message": MESSAGE}
#: The one argument of the built-in tools that take one.
_SOLE = {"subagent": "task", "finish": "answer"}
#: Argument values no tool can change (a call's own dict is not the tool's: it gets **kwargs).
_ATOMS = frozenset({str, int, float, bool, type(None)})
#: The outcomes of valid actions, built once (they are frozen; building one costs ~1 us).
_FINISHED = ActOutcome("finish")
_MESSAGED = ActOutcome("message")
_DELEGATED = ActOutcome("subagent")
_TOOL_OK = ActOutcome("tool", detail="ok")
_TOOL_ERROR = ActOutcome("tool", detail="error")


class Runtime(CallStack):
    """Executes a :class:`HierarchySpec` on a domain.

    Args:
        spec: the hierarchy.
        domain: the domain instance the tools act on.
        backend: where domain tools run (in-process by default).
        difficulty: task difficulty for :meth:`reset`.
        invalid_penalty: reward subtracted from a role for each invalid action.
        max_turns: if given, overrides every agent's per-invocation turn limit.
        turn_seconds: virtual seconds each action costs (tool latency comes on top).
        worker_messages: give every agent a ``message`` tool to note its siblings
            (the ``hybrid`` topology).
        assignment_limit: how many times one sub-task (a worker and a task text) may be
            assigned: a first try, then re-assignments after checking the report
            (``topology_params.rounds`` of ``centralized`` and ``hybrid``).
    """

    def __init__(
        self,
        spec: HierarchySpec,
        domain: Domain,
        backend: ToolBackend | None = None,
        *,
        difficulty: int = 1,
        invalid_penalty: float = 0.02,
        max_turns: int | None = None,
        turn_seconds: float = 0.0,
        worker_messages: bool = False,
        assignment_limit: int | None = None,
    ) -> None:
        self.spec = spec
        self.domain = domain
        self.backend = backend or InProcessBackend(domain)
        self.difficulty = domain.check_difficulty(difficulty)
        self.invalid_penalty = invalid_penalty
        self.max_turns = max_turns
        self.turn_seconds = turn_seconds
        self.middlewares: list[Middleware] = []
        self.renames: dict[str, str] = {}
        self.descriptions: dict[str, str] = {}
        self._agents = {a.name: a for a in spec.agents}
        #: no penalty for anyone: what :meth:`collect_penalties` returns (this very object)
        #: when nothing was charged since the last collection
        self.zero_penalties: Mapping[str, float] = MappingProxyType(
            dict.fromkeys(self._agents, 0.0)
        )
        #: roles that ever act, in order (the PettingZoo views' ``possible_agents``).
        self.roles: tuple[str, ...] = spec.agent_names
        #: the role that starts the episode and whose ``finish`` answers the task.
        self.lead_role: str = spec.root
        self._siblings = siblings(spec) if worker_messages else {}
        self._rounds_cap = _NO_CAP if assignment_limit is None else assignment_limit
        self._build_menus()
        self.task: Task | None = None
        self._clear()

    # -- presentation ---------------------------------------------------------------

    def present_tools(
        self, renames: dict[str, str] | None = None, descriptions: dict[str, str] | None = None
    ) -> None:
        """Show domain tools under other names or descriptions (schema drift).

        Calls must then use the shown names. Takes effect for frames opened afterwards.
        """
        self.renames = dict(renames or {})
        self.descriptions = dict(descriptions or {})
        self._build_menus()

    def _build_menus(self) -> None:
        self._menus = build_menus(
            self.spec, self.domain, self.renames, self.descriptions, self._siblings
        )
        self._schemas = {
            role: tuple(e.schema for e in menu.entries.values())
            for role, menu in self._menus.items()
        }

    def system_prompt(self, role: str) -> str:
        """The system message that opens each invocation of ``role``."""
        return self._menus[role].prompt

    def tool_schemas(self, role: str) -> list[dict[str, Any]]:
        """The OpenAI tool schemas a role sees (domain tools, sub-agents, finish)."""
        return list(self._schemas[role])

    def tool_names(self, role: str) -> list[str]:
        """The names a role may call."""
        return list(self._menus[role].entries)

    # -- episode --------------------------------------------------------------------

    def _clear(self) -> None:
        self.stack: list[Frame] = []
        self.world = 0  # the world the acting frame's tools run on
        self.trace = Trace()
        self.tool_log: list[ToolRecord] = []
        self.board = MessageBoard()
        #: sub-agents whose finished sub-task their caller accepted, in order.
        self.accepted: list[str] = []
        self.invocations: list[Frame] = []
        self.clock = 0.0
        self.turns = 0
        self.cycles = 0
        self.invalid_actions = 0
        self.answer: str | None = None
        self.verdict: Verdict | None = None
        self.stop_reason: str | None = None
        self._penalties: dict[str, float] | None = None  # made at the first penalty
        self._next_call = 0
        self._assigned: dict[tuple[str, str], int] = {}

    def reset(self, seed: int, task: Task | None = None) -> Task:
        """Start an episode on the task generated from ``seed`` (or on ``task``)."""
        self._clear()
        self.task = task or self.domain.generate_task(seed, self.difficulty)
        self.backend.reset(self.task)
        self._push(self._agents[self.spec.root], self.task.instruction, None, None)
        return self.task

    @property
    def truncated(self) -> bool:
        """Whether the episode ended on a time limit rather than by finishing or failing."""
        return self.stop_reason in TIME_LIMITS

    @property
    def active_role(self) -> str | None:
        """The role that acts next (None once the episode is over)."""
        stack = self.stack
        return stack[-1].agent.name if stack and self.stop_reason is None else None

    @property
    def ready_roles(self) -> tuple[str, ...]:
        """Every role that may act now (one in a tree; each working peer in a peer team)."""
        role = self.active_role
        return () if role is None else (role,)

    def world_of(self, role: str) -> int:
        """The index of the world ``role``'s tools act on."""
        return 0

    def answers_task(self, role: str) -> bool:
        """Whether ``role``'s ``finish`` answers the task (the root's, in a tree)."""
        return role == self.spec.root

    def observe(self, role: str) -> str:
        """What ``role`` sees now: new text since its last action ("" if it is not acting)."""
        if self.stop_reason is not None:
            score = self.verdict.score if self.verdict else 0.0
            return f"The episode is over ({self.stop_reason}). Task score: {score:.2f}."
        return self._pending(role)

    def _pending(self, role: str) -> str:
        """The new text of ``role``'s frame if it may act now, else "" (a tree: the top one)."""
        stack = self.stack
        return stack[-1].pending if stack and stack[-1].agent.name == role else ""

    def _top(self, role: str) -> Frame:
        return self.stack[-1]

    def history(self, role: str) -> list[dict[str, Any]]:
        """The chat messages of ``role``'s current (or latest) invocation, OpenAI format."""
        for frame in reversed(self.stack):
            if frame.agent.name == role:
                return frame.messages
        for frame in reversed(self.invocations):
            if frame.agent.name == role:
                return frame.messages
        return []

    def collect_penalties(self) -> Mapping[str, float]:
        """Penalties (negative rewards) each role earned since the last collection (read-only).

        The task score is not included: it is :attr:`verdict` ``.score`` once the episode is
        over, and the views decide how to share it (the Gymnasium view adds it once). When
        nothing was charged it is :attr:`zero_penalties` itself.
        """
        out = self._penalties
        if out is None:
            return self.zero_penalties
        self._penalties = None
        return out

    def stop(self, reason: str) -> None:
        """End the episode from outside (a wrapper's budget); the verifier still scores it."""
        if not self.done:
            self._end(reason)

    def add_middleware(self, middleware: Middleware) -> None:
        """Wrap every domain tool call in ``middleware``, outermost; no-op if it is installed.

        The hook of the noise sources (:mod:`nexgym.wrappers.noise`): one installed later
        wraps those installed before, as wrappers nest.
        """
        if middleware not in self.middlewares:
            self.middlewares.insert(0, middleware)

    def advance_clock(self, seconds: float) -> None:
        """Move the virtual clock forward (a noise source charging a call's time at once)."""
        self.clock += max(0.0, float(seconds))

    def live_world(self, index: int) -> Any | None:
        """World ``index`` if it lives in this process (None behind a server); read only."""
        return self.backend.live_world(index)

    def combination_calls(self, role: str) -> list[ToolCall]:
        """The calls that combine a peer team's work ``role`` may make now: none in a tree."""
        return []

    def check_invariants(self) -> list[str]:
        """The domain's invariants on the current world."""
        return self.backend.check_invariants(self.world)

    # -- acting ---------------------------------------------------------------------

    def act(self, role: str, text: Any) -> ActOutcome:
        """Let ``role`` take one action given as text. Never raises on the text itself."""
        if self.stop_reason is not None:
            raise EpisodeOver("the episode is over; call reset() to start a new one")
        self._select(role)
        frame = self.stack[-1]
        frame.turns += 1
        self.turns += 1
        self.clock += self.turn_seconds
        parsed = parse_action(text)
        if frame.result_from is not None:
            self._judge_result(frame, parsed)
        if isinstance(parsed, InvalidAction):
            outcome = self._invalid(frame, text, parsed.reason)
        else:
            outcome = self._dispatch(frame, parsed, text)
        if self.stop_reason is None and self.stack and self.stack[-1] is frame:
            self._enforce_turn_limit(frame)
        self._after_act()
        return outcome

    def _select(self, role: str) -> None:
        stack = self.stack  # a tree: the top frame's role acts (the episode is not over)
        if not stack or stack[-1].agent.name != role:
            raise EpisodeOver(f"expected role {self.active_role!r} to act, got {role!r}")

    def _after_act(self) -> None:
        self.cycles += 1  # in a tree exactly one role can act: every action is a cycle

    def _judge_result(self, frame: Frame, parsed: ToolCall | InvalidAction) -> None:
        """A finished sub-task counts as accepted unless the caller re-assigns it at once."""
        source, frame.result_from = frame.result_from, None
        if source is None:
            return
        entry = None
        if isinstance(parsed, ToolCall):
            entry = self._menus[frame.agent.name].entries.get(parsed.name)
        target = entry.target if entry is not None else None
        if entry is not None and entry.kind == "agent_tool" and isinstance(parsed, ToolCall):
            target = parsed.arguments.get("sub_agent_name")
        if entry is None or entry.kind not in ("subagent", "agent_tool") or target != source:
            self.accepted.append(source)

    def _dispatch(self, frame: Frame, call: ToolCall, text: Any) -> ActOutcome:
        role = frame.agent.name
        entry = self._menus[role].entries.get(call.name)
        if entry is None:
            holders = [h for h in self.spec.holders(call.name) if h != role]
            hint = f" (agent {holders[0]!r} holds it)" if holders else ""
            return self._invalid(frame, text, f"{call.name!r} is not one of your tools{hint}")
        kind = entry.kind
        given = call.arguments
        sole = _SOLE.get(kind)
        if sole is not None and len(given) == 1 and type(given.get(sole)) is str:
            arguments = given  # {"answer": str} or {"task": str}: what validate returns
        else:
            validator = _BUILT_IN.get(kind)
            try:
                if validator is None:
                    arguments = self.domain.tool(entry.target).validate(given)
                else:
                    arguments = validator.validate(given)
            except ArgumentError as e:
                reason = str(e).replace(f"for {DELEGATE.name}:", f"for {call.name}:")
                return self._invalid(frame, text, reason)
            if kind == "message" and arguments["to"] not in self._siblings[role]:
                peers = ", ".join(self._siblings[role])
                return self._invalid(
                    frame, text, f"'to' must be one of {peers}, got {arguments['to']!r}"
                )
            if kind == "agent_tool" and arguments["sub_agent_name"] not in frame.agent.sub_agents:
                children = ", ".join(frame.agent.sub_agents)
                return self._invalid(
                    frame,
                    text,
                    f"'sub_agent_name' must be one of {children}, "
                    f"got {arguments['sub_agent_name']!r}",
                )
        call_id = f"call_{self._next_call}"
        self._next_call += 1
        # encoded when the history is read, unless a domain tool could change a container
        # among the arguments before then: those are encoded now
        if sole is None and not all(type(v) in _ATOMS for v in arguments.values()):
            encoded: dict[str, Any] | str = encode_arguments(arguments)
        else:
            encoded = arguments
        frame.log.append(ToolCallTurn(call_id, call.name, encoded))
        if kind == "finish":
            self._finish(frame, str(arguments["answer"]))
            return _FINISHED
        if kind == "message":
            self.board.post(role, arguments["to"], str(arguments["text"]), self.clock, self.turns)
            self._deliver(frame, call_id, call.name, f"Message sent to {arguments['to']}.")
            return _MESSAGED
        if kind == "subagent":
            return self._delegate(frame, entry.target, call_id, arguments["task"])
        if kind == "agent_tool":
            child, task = arguments["sub_agent_name"], arguments["message"]
            return self._delegate(frame, child, call_id, task)
        result = self._run_tool(role, ToolCall(entry.target, arguments), frame.span.id)
        text_out = result.render()
        if len(text_out) > MAX_RESULT_CHARS:
            text_out = (
                text_out[:MAX_RESULT_CHARS]
                + f"\n[... {len(text_out) - MAX_RESULT_CHARS} more characters cut]"
            )
        self._deliver(frame, call_id, call.name, text_out)
        return _TOOL_OK if result.ok else _TOOL_ERROR

    def _delegate(self, frame: Frame, child: str, call_id: str, task: str) -> ActOutcome:
        depth, cap = self.spec.limits.max_depth, self._rounds_cap
        # the rounds limit binds only in an orchestrated topology: no key to build otherwise
        key = (child, " ".join(task.split())) if cap < _NO_CAP else None
        deep = len(self.stack) >= depth
        if deep or (key is not None and self._assigned.get(key, 0) >= cap):
            error = (
                f"Error: sub-agent calls are nested {len(self.stack)} deep, the limit is {depth}"
                if deep
                else f"Error: {child} has had this sub-task {cap} time(s) (the rounds limit)"
            )
            self._deliver(frame, call_id, child, error)
            return ActOutcome("subagent", detail="depth limit" if deep else "rounds limit")
        if key is not None:
            self._assigned[key] = self._assigned.get(key, 0) + 1
        self._log_message(frame.agent.name, child, "task")
        self._push(self._agents[child], task, call_id, frame.span.id)
        return _DELEGATED

    def _run_tool(self, role: str, call: ToolCall, parent: int) -> ToolResult:
        world = self.world
        span = self.trace.open(
            "tool", call.name, role, self.clock, parent, {"arguments": call.arguments}
        )
        result = run_call(call, role, world, self.backend, self.middlewares)
        self.clock += max(0.0, float(result.latency))
        span.end = self.clock
        span.attributes["ok"] = result.ok
        if not result.ok:
            span.attributes["error"] = result.error
        if result.meta:
            span.attributes.update(result.meta)
        self.tool_log.append(
            ToolRecord(role, call, result.ok, self.clock, result.error, result.meta, world)
        )
        return result

    def _invalid(self, frame: Frame, text: Any, reason: str) -> ActOutcome:
        role = frame.agent.name
        self.invalid_actions += 1
        if self._penalties is None:
            self._penalties = dict(self.zero_penalties)
        self._penalties[role] -= self.invalid_penalty
        echo = text if isinstance(text, str) else repr(text)
        frame.log.append({"role": "assistant", "content": echo[:MAX_ECHO_CHARS]})
        remaining = self._invalid_left(frame)
        feedback = invalid_action_text(
            reason, self._menus[role].example, self.tool_names(role), max(remaining, 0)
        )
        frame.log.append({"role": "user", "content": feedback})
        frame.pending = feedback
        if remaining <= 0:
            self._out_of_budget(frame)
        return ActOutcome("invalid", self.invalid_penalty, reason)

    def _invalid_left(self, frame: Frame) -> int:
        return self.spec.limits.max_invalid_actions - self.invalid_actions

    def _out_of_budget(self, frame: Frame) -> None:
        self._end("error_budget")
