"""How agent invocations open and close: the call stack under :class:`~nexgym.runtime.Runtime`.

Calling a sub-agent pushes a frame; its ``finish`` (or its turn limit) pops it and
delivers the result to the caller as a tool result. The lead frame's ``finish`` or turn
limit is a hook (:meth:`CallStack._lead_finished`, :meth:`CallStack._lead_out_of_turns`):
it ends a tree's episode, and ends one peer's work in a peer team.
"""

from __future__ import annotations

from typing import Any

from nexgym.envs.domains.kit.base import Task, Verdict
from nexgym.runtime.backends import ToolBackend
from nexgym.runtime.frames import Frame
from nexgym.runtime.menus import RoleMenu
from nexgym.runtime.messaging import MessageBoard, MessageKind, MessageRecord
from nexgym.runtime.prompts import task_text, tool_result_text
from nexgym.runtime.trace import SpanKind, Trace
from nexgym.spec import AgentSpec

__all__ = ["CallStack"]


class CallStack:
    """The frame mechanics of the runtime (a base class; :class:`Runtime` sets the state)."""

    stack: list[Frame]
    trace: Trace
    board: MessageBoard
    #: every agent invocation of the episode, in the order they began
    invocations: list[Frame]
    clock: float
    turns: int
    max_turns: int | None
    answer: str | None
    verdict: Verdict | None
    stop_reason: str | None
    task: Task | None
    backend: ToolBackend
    _menus: dict[str, RoleMenu]

    @property
    def transcripts(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """``(agent, OpenAI chat messages)`` of every invocation, in the order they began."""
        return [(frame.agent.name, frame.messages) for frame in self.invocations]

    @property
    def done(self) -> bool:
        """Whether the episode has ended."""
        return self.stop_reason is not None

    @property
    def depth(self) -> int:
        """Open invocations: the depth of the call stack."""
        return len(self.stack)

    def assignment(self, role: str) -> str:
        """The message that opened ``role``'s current (or latest) invocation (its task).

        The task's instruction for the lead role; what its caller asked for a sub-agent;
        "" for a role that has not been called yet.
        """
        for frames in (self.stack, self.invocations):
            for frame in reversed(frames):
                if frame.agent.name == role:
                    return str(frame.span.attributes.get("task", "")).strip()
        return ""

    def _push(
        self, agent: AgentSpec, message: str, call_id: str | None, parent: int | None
    ) -> None:
        kind: SpanKind = "agent" if parent is None else "subagent"
        span = self.trace.open(kind, agent.name, agent.name, self.clock, parent, {"task": message})
        prompt = self._menus[agent.name].prompt
        opening = task_text(message) + self.board.take(agent.name)
        log: list[Any] = [
            {"role": "system", "content": prompt},
            {"role": "user", "content": opening},
        ]
        frame = Frame(agent, span, log, f"{prompt}\n\n{opening}", call_id)
        self.stack.append(frame)
        self.invocations.append(frame)

    def _pop(self, frame: Frame, result: str, outcome: str) -> None:
        self.stack.pop()
        frame.span.end = self.clock
        attributes = frame.span.attributes
        attributes["turns"] = frame.turns
        attributes["outcome"] = outcome
        caller = self.stack[-1]
        assert frame.call_id is not None  # only the root frame has no call id
        self._log_message(frame.agent.name, caller.agent.name, "result")
        self._deliver(caller, frame.call_id, frame.agent.name, result)
        if outcome == "finished":
            caller.result_from = frame.agent.name
        self._enforce_turn_limit(caller)

    def _deliver(self, frame: Frame, call_id: str, name: str, text: str) -> None:
        frame.log.append({"role": "tool", "tool_call_id": call_id, "name": name, "content": text})
        notes = self.board.take(frame.agent.name)
        if notes:
            frame.log.append({"role": "user", "content": notes.lstrip()})
        frame.pending = tool_result_text(name, text) + notes

    def _log_message(self, sender: str, recipient: str, kind: MessageKind) -> None:
        self.board.record(sender, recipient, kind, self.clock, self.turns)

    @property
    def messages(self) -> list[MessageRecord]:
        """Every message between agents this episode (delegations, results, notes)."""
        return self.board.log

    def _finish(self, frame: Frame, answer: str) -> None:
        if len(self.stack) > 1:
            self._pop(frame, answer, "finished")
        else:
            self._lead_finished(frame, answer)

    def _lead_finished(self, frame: Frame, answer: str) -> None:
        self.answer = answer
        self._end("finished")

    def _enforce_turn_limit(self, frame: Frame) -> None:
        max_turns = self.max_turns  # the runtime's override of every agent's own limit
        limit = max_turns if max_turns is not None else frame.agent.max_turns
        if frame.turns < limit or self.stop_reason is not None:
            return
        if len(self.stack) > 1:
            self._pop(
                frame,
                f"Error: {frame.agent.name} stopped after {limit} turns without calling finish",
                "turn_limit",
            )
        else:
            self._lead_out_of_turns(frame)

    def _lead_out_of_turns(self, frame: Frame) -> None:
        self._end("turn_limit")

    def _end(self, reason: str) -> None:
        self.stop_reason = reason
        assert self.task is not None
        self.verdict = self.backend.verify(self.task, self.answer, 0)
        for frame in reversed(self.stack):
            frame.span.end = self.clock
            frame.span.attributes.update(turns=frame.turns, outcome=reason)
