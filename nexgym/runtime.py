"""The agent runtime (after NexAU): a hierarchy executed as a turn-based process over roles.

The runtime keeps a call stack of agent frames, each with its own chat history. An
agent acts by calling one tool per turn; calling a sub-agent pushes a frame, and the
sub-agent's ``finish`` pops it and becomes the caller's tool result. The root's
``finish`` ends the episode and the task's verifier scores it.

It knows nothing of Gymnasium or PettingZoo: the views call :meth:`Runtime.reset`,
read :attr:`Runtime.active_role` and :meth:`Runtime.observe`, and pass action texts to
:meth:`Runtime.act`. Stop reasons: ``finished``, ``turn_limit`` (the root ran out of
turns), ``error_budget`` (too many invalid actions), or one set by a wrapper through
:meth:`Runtime.stop` (``time_budget``, ``tool_budget``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from nexgym.backends import InProcessBackend, ToolBackend
from nexgym.envs.domains.base import Domain, Task, Verdict
from nexgym.error import ArgumentError, NexgymError
from nexgym.parsing import InvalidAction, parse_action
from nexgym.prompts import (
    example_call,
    invalid_action_text,
    system_prompt,
    task_text,
    tool_result_text,
)
from nexgym.spec import AgentSpec, HierarchySpec
from nexgym.tools import Tool, ToolCall, ToolResult, function_schema
from nexgym.trace import Span, SpanKind, Trace

__all__ = ["ActOutcome", "EpisodeOver", "Frame", "Middleware", "Runtime", "ToolRecord"]

#: ``middleware(call, role, call_next) -> ToolResult`` wraps every domain tool call.
Middleware = Callable[[ToolCall, str, Callable[[ToolCall], ToolResult]], ToolResult]
#: Stop reasons that are time limits (the env reports them as ``truncated``).
TIME_LIMITS = frozenset({"turn_limit", "time_budget"})
MAX_RESULT_CHARS = 8_000
MAX_ECHO_CHARS = 2_000


def _finish(_: Any, answer: str) -> str:
    """Give your final answer; this ends your work and returns the answer to your caller.

    Args:
        answer: the final answer, or a short report of what you did.
    """
    return answer


def _delegate(_: Any, task: str) -> str:
    """Hand a sub-task to an agent.

    Args:
        task: what the agent should do, with every detail it needs.
    """
    return task


FINISH = Tool(_finish, name="finish")
DELEGATE = Tool(_delegate, name="delegate")


class EpisodeOver(NexgymError):
    """:meth:`Runtime.act` was called after the episode ended or for the wrong role."""


@dataclass(slots=True)
class Frame:
    """One invocation of an agent: its history, its pending observation, its turns."""

    agent: AgentSpec
    span: Span
    messages: list[dict[str, Any]]
    pending: str
    call_id: str | None = None
    turns: int = 0


@dataclass(frozen=True, slots=True)
class ToolRecord:
    """A domain tool call as executed (for oracles, metrics and logs)."""

    role: str
    call: ToolCall
    ok: bool
    time: float
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActOutcome:
    """What one action did: ``kind`` is tool, subagent, finish or invalid."""

    kind: Literal["tool", "subagent", "finish", "invalid"]
    penalty: float = 0.0
    detail: str = ""


@dataclass(slots=True)
class _Entry:
    kind: Literal["tool", "subagent", "finish"]
    target: str  # the real tool or agent name
    schema: dict[str, Any] = field(default_factory=dict)


class Runtime:
    """Executes a :class:`HierarchySpec` on a domain.

    Args:
        spec: the hierarchy.
        domain: the domain instance the tools act on.
        backend: where domain tools run (in-process by default).
        difficulty: task difficulty for :meth:`reset`.
        invalid_penalty: reward subtracted from a role for each invalid action.
        max_turns: if given, overrides every agent's per-invocation turn limit.
        turn_seconds: virtual seconds each action costs (tool latency comes on top).
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
        self._menus: dict[str, dict[str, _Entry]] = {}
        self._prompts: dict[str, str] = {}
        self._examples: dict[str, str] = {}
        for agent in self.spec.agents:
            menu: dict[str, _Entry] = {}
            for name in agent.tools:
                tool = self.domain.tool(name)
                shown = self.renames.get(name, name)
                desc = self.descriptions.get(name, tool.description)
                menu[shown] = _Entry("tool", name, function_schema(shown, desc, tool.parameters))
            for child in agent.sub_agents:
                menu[child] = _Entry(
                    "subagent",
                    child,
                    function_schema(child, self._agents[child].summary(), DELEGATE.parameters),
                )
            menu["finish"] = _Entry("finish", "finish", FINISH.schema())
            self._menus[agent.name] = menu
            schemas = [e.schema for e in menu.values()]
            self._prompts[agent.name] = system_prompt(
                agent.name, agent.role, self.domain.description, schemas, bool(agent.sub_agents)
            )
            self._examples[agent.name] = example_call(schemas[0])

    def tool_schemas(self, role: str) -> list[dict[str, Any]]:
        """The OpenAI tool schemas a role sees (domain tools, sub-agents, finish)."""
        return [e.schema for e in self._menus[role].values()]

    def tool_names(self, role: str) -> list[str]:
        """The names a role may call."""
        return list(self._menus[role])

    # -- episode --------------------------------------------------------------------

    def _clear(self) -> None:
        self.stack: list[Frame] = []
        self.trace = Trace()
        self.tool_log: list[ToolRecord] = []
        self.transcripts: list[tuple[str, list[dict[str, Any]]]] = []
        self.clock = 0.0
        self.turns = 0
        self.invalid_actions = 0
        self.answer: str | None = None
        self.verdict: Verdict | None = None
        self.stop_reason: str | None = None
        self._penalties: dict[str, float] = dict.fromkeys(self._agents, 0.0)
        self._next_call = 0

    def reset(self, seed: int, task: Task | None = None) -> Task:
        """Start an episode on the task generated from ``seed`` (or on ``task``)."""
        self._clear()
        self.task = task or self.domain.generate_task(seed, self.difficulty)
        self.backend.reset(self.task)
        self._push(self._agents[self.spec.root], self.task.instruction, None, None)
        return self.task

    @property
    def done(self) -> bool:
        """Whether the episode has ended."""
        return self.stop_reason is not None

    @property
    def truncated(self) -> bool:
        """Whether the episode ended on a time limit rather than by finishing or failing."""
        return self.stop_reason in TIME_LIMITS

    @property
    def active_role(self) -> str | None:
        """The role that acts next (None once the episode is over)."""
        return None if self.done or not self.stack else self.stack[-1].agent.name

    def observe(self, role: str) -> str:
        """What ``role`` sees now: new text since its last action ("" if it is not acting)."""
        if self.done:
            score = self.verdict.score if self.verdict else 0.0
            return f"The episode is over ({self.stop_reason}). Task score: {score:.2f}."
        if role != self.active_role:
            return ""
        return self.stack[-1].pending

    def history(self, role: str) -> list[dict[str, Any]]:
        """The chat messages of ``role``'s current (or latest) invocation, OpenAI format."""
        for frame in reversed(self.stack):
            if frame.agent.name == role:
                return frame.messages
        for name, messages in reversed(self.transcripts):
            if name == role:
                return messages
        return []

    def collect_penalties(self) -> dict[str, float]:
        """Penalties (negative rewards) each role earned since the last collection.

        The task score is not included: it is :attr:`verdict` ``.score`` once the episode is
        over, and the views decide how to share it (the Gymnasium view adds it once).
        """
        out, self._penalties = self._penalties, dict.fromkeys(self._agents, 0.0)
        return out

    def stop(self, reason: str) -> None:
        """End the episode from outside (a wrapper's budget); the verifier still scores it."""
        if not self.done:
            self._end(reason)

    def check_invariants(self) -> list[str]:
        """The domain's invariants on the current world."""
        return self.backend.check_invariants()

    # -- acting ---------------------------------------------------------------------

    def act(self, role: str, text: Any) -> ActOutcome:
        """Let ``role`` take one action given as text. Never raises on the text itself."""
        if self.done:
            raise EpisodeOver("the episode is over; call reset() to start a new one")
        if role != self.active_role:
            raise EpisodeOver(f"expected role {self.active_role!r} to act, got {role!r}")
        frame = self.stack[-1]
        frame.turns += 1
        self.turns += 1
        self.clock += self.turn_seconds
        parsed = parse_action(text)
        if isinstance(parsed, InvalidAction):
            outcome = self._invalid(frame, text, parsed.reason)
        else:
            outcome = self._dispatch(frame, parsed, text)
        if not self.done and self.stack and self.stack[-1] is frame:
            self._enforce_turn_limit(frame)
        return outcome

    def _dispatch(self, frame: Frame, call: ToolCall, text: Any) -> ActOutcome:
        role = frame.agent.name
        entry = self._menus[role].get(call.name)
        if entry is None:
            holders = [h for h in self.spec.holders(call.name) if h != role]
            hint = f" (agent {holders[0]!r} holds it)" if holders else ""
            return self._invalid(frame, text, f"{call.name!r} is not one of your tools{hint}")
        validator = {"tool": None, "subagent": DELEGATE, "finish": FINISH}[entry.kind]
        try:
            if validator is None:
                arguments = self.domain.tool(entry.target).validate(call.arguments)
            else:
                arguments = validator.validate(call.arguments)
        except ArgumentError as e:
            reason = str(e).replace(f"for {DELEGATE.name}:", f"for {call.name}:")
            return self._invalid(frame, text, reason)
        call_id = f"call_{self._next_call}"
        self._next_call += 1
        frame.messages.append(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": json.dumps(arguments, default=str),
                        },
                    }
                ],
            }
        )
        if entry.kind == "finish":
            self._finish(frame, str(arguments["answer"]))
            return ActOutcome("finish")
        if entry.kind == "subagent":
            if len(self.stack) >= self.spec.limits.max_depth:
                self._deliver(
                    frame,
                    call_id,
                    call.name,
                    f"Error: sub-agent calls are nested {len(self.stack)} deep, "
                    f"the limit is {self.spec.limits.max_depth}",
                )
                return ActOutcome("subagent", detail="depth limit")
            self._push(self._agents[entry.target], arguments["task"], call_id, frame.span.id)
            return ActOutcome("subagent")
        result = self._run_tool(role, ToolCall(entry.target, arguments), frame.span.id)
        text_out = result.render()
        if len(text_out) > MAX_RESULT_CHARS:
            text_out = (
                text_out[:MAX_RESULT_CHARS]
                + f"\n[... {len(text_out) - MAX_RESULT_CHARS} more characters cut]"
            )
        self._deliver(frame, call_id, call.name, text_out)
        return ActOutcome("tool", detail="ok" if result.ok else "error")

    def _run_tool(self, role: str, call: ToolCall, parent: int) -> ToolResult:
        def call_backend(c: ToolCall) -> ToolResult:
            return self.backend.call(c)

        handler: Callable[[ToolCall], ToolResult] = call_backend
        for middleware in reversed(self.middlewares):
            handler = _bind(middleware, role, handler)
        span = self.trace.open(
            "tool", call.name, role, self.clock, parent, arguments=call.arguments
        )
        try:
            result = handler(call)
        except Exception as e:  # a broken middleware or backend must not escape step()
            result = ToolResult.failure(f"the call failed: {type(e).__name__}: {e}")
        self.clock += max(0.0, float(result.latency))
        span.end = self.clock
        span.attributes["ok"] = result.ok
        if not result.ok:
            span.attributes["error"] = result.error
        if result.meta:
            span.attributes.update(result.meta)
        self.tool_log.append(
            ToolRecord(role, call, result.ok, self.clock, result.error, result.meta)
        )
        return result

    def _invalid(self, frame: Frame, text: Any, reason: str) -> ActOutcome:
        role = frame.agent.name
        self.invalid_actions += 1
        self._penalties[role] -= self.invalid_penalty
        echo = text if isinstance(text, str) else repr(text)
        frame.messages.append({"role": "assistant", "content": echo[:MAX_ECHO_CHARS]})
        remaining = self.spec.limits.max_invalid_actions - self.invalid_actions
        feedback = invalid_action_text(
            reason, self._examples[role], self.tool_names(role), max(remaining, 0)
        )
        frame.messages.append({"role": "user", "content": feedback})
        frame.pending = feedback
        if remaining <= 0:
            self._end("error_budget")
        return ActOutcome("invalid", self.invalid_penalty, reason)

    # -- frames ---------------------------------------------------------------------

    def _push(
        self, agent: AgentSpec, message: str, call_id: str | None, parent: int | None
    ) -> None:
        kind: SpanKind = "agent" if parent is None else "subagent"
        span = self.trace.open(kind, agent.name, agent.name, self.clock, parent, task=message)
        prompt = self._prompts[agent.name]
        opening = task_text(message)
        messages = [{"role": "system", "content": prompt}, {"role": "user", "content": opening}]
        self.stack.append(Frame(agent, span, messages, f"{prompt}\n\n{opening}", call_id))
        self.transcripts.append((agent.name, messages))

    def _pop(self, frame: Frame, result: str, outcome: str) -> None:
        self.stack.pop()
        frame.span.end = self.clock
        frame.span.attributes.update(turns=frame.turns, outcome=outcome)
        caller = self.stack[-1]
        assert frame.call_id is not None  # only the root frame has no call id
        self._deliver(caller, frame.call_id, frame.agent.name, result)
        self._enforce_turn_limit(caller)

    def _deliver(self, frame: Frame, call_id: str, name: str, text: str) -> None:
        frame.messages.append(
            {"role": "tool", "tool_call_id": call_id, "name": name, "content": text}
        )
        frame.pending = tool_result_text(ToolCall(name), text)

    def _finish(self, frame: Frame, answer: str) -> None:
        if len(self.stack) > 1:
            self._pop(frame, answer, "finished")
        else:
            self.answer = answer
            self._end("finished")

    def _limit(self, agent: AgentSpec) -> int:
        return self.max_turns if self.max_turns is not None else agent.max_turns

    def _enforce_turn_limit(self, frame: Frame) -> None:
        limit = self._limit(frame.agent)
        if self.done or frame.turns < limit:
            return
        if len(self.stack) > 1:
            self._pop(
                frame,
                f"Error: {frame.agent.name} stopped after {limit} turns without calling finish",
                "turn_limit",
            )
        else:
            self._end("turn_limit")

    def _end(self, reason: str) -> None:
        self.stop_reason = reason
        assert self.task is not None
        self.verdict = self.backend.verify(self.task, self.answer)
        for frame in reversed(self.stack):
            frame.span.end = self.clock
            frame.span.attributes.update(turns=frame.turns, outcome=reason)


def _bind(
    middleware: Middleware, role: str, inner: Callable[[ToolCall], ToolResult]
) -> Callable[[ToolCall], ToolResult]:
    return lambda call: middleware(call, role, inner)
