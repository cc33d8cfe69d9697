"""The runtime's records and built-in tools: frames, tool records, outcomes, menu entries.

Kept apart from :mod:`nexgym.runtime` so that the tree executor and the parallel
topologies of :mod:`nexgym.topology.peers` share them without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from nexgym.error import NexgymError
from nexgym.runtime.trace import Span
from nexgym.spec import AgentSpec
from nexgym.tools import Tool, ToolCall

__all__ = [
    "AGENT",
    "DELEGATE",
    "FINISH",
    "MESSAGE",
    "ActOutcome",
    "EpisodeOver",
    "Frame",
    "MenuEntry",
    "ToolCallTurn",
    "ToolRecord",
    "encode_arguments",
]


def encode_arguments(arguments: dict[str, Any]) -> str:
    """A call's arguments as the JSON text of its OpenAI message (unknown types as ``str``)."""
    return json.dumps(arguments, default=str)


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


def _agent(_: Any, sub_agent_name: str, message: str) -> str:
    """Hand a sub-task to one of your sub-agents; its final answer comes back as the result.

    Args:
        sub_agent_name: the sub-agent to call.
        message: what the sub-agent should do, with every detail it needs.
    """
    return message


def _message(_: Any, to: str, text: str) -> str:
    """Send a note to a fellow worker; they see it the next time they act.

    Args:
        to: the worker to tell.
        text: what they need to know.
    """
    return text


FINISH = Tool(_finish, name="finish")
DELEGATE = Tool(_delegate, name="delegate")
#: NexAU's one delegation tool (the ``agent_tool`` call form of a spec).
AGENT = Tool(_agent, name="Agent")
MESSAGE = Tool(_message, name="message")


class EpisodeOver(NexgymError):
    """:meth:`Runtime.act` was called after the episode ended or for the wrong role."""


class ToolCallTurn(NamedTuple):
    """An assistant turn that called a tool, kept as it was until the history is read.

    Its OpenAI message holds the arguments encoded as JSON: encoding them at every step
    cost a tenth of the step, and most training loops never read the histories.
    """

    call_id: str
    name: str
    #: the arguments, or their JSON text (encoded at once where they may change later)
    arguments: dict[str, Any] | str

    def message(self) -> dict[str, Any]:
        """The OpenAI chat message of the turn."""
        arguments = self.arguments
        encoded = arguments if isinstance(arguments, str) else encode_arguments(arguments)
        function = {"name": self.name, "arguments": encoded}
        return {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": self.call_id, "type": "function", "function": function}],
        }


@dataclass(slots=True)
class Frame:
    """One invocation of an agent: its history, its pending observation, its turns.

    ``log`` is the history as it happens: OpenAI chat messages, and tool-calling turns
    as :class:`ToolCallTurn` (append to it); :attr:`messages` gives it all as messages.
    ``result_from`` names the sub-agent whose finished result the frame received last
    and has not yet acted upon (for the acceptance credit of the PettingZoo views).
    """

    agent: AgentSpec
    span: Span
    log: list[dict[str, Any] | ToolCallTurn]
    pending: str
    call_id: str | None = None
    turns: int = 0
    result_from: str | None = None
    _messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The history as OpenAI chat messages (built as far as the log goes, then kept)."""
        built = self._messages
        for entry in self.log[len(built) :]:
            built.append(entry.message() if isinstance(entry, ToolCallTurn) else entry)
        return built


@dataclass(frozen=True, slots=True)
class ToolRecord:
    """A domain tool call as executed (for oracles, metrics and logs).

    ``world`` is the index of the world it ran on (parallel peers each have their own).
    """

    role: str
    call: ToolCall
    ok: bool
    time: float
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    world: int = 0


@dataclass(frozen=True, slots=True)
class ActOutcome:
    """What one action did: ``kind`` is tool, subagent, message, finish or invalid."""

    kind: Literal["tool", "subagent", "message", "finish", "invalid"]
    penalty: float = 0.0
    detail: str = ""


@dataclass(slots=True)
class MenuEntry:
    """One name a role may call: a domain tool, a sub-agent, ``message`` or ``finish``."""

    kind: Literal["tool", "subagent", "agent_tool", "message", "finish"]
    target: str  # the real tool or agent name ("" for the Agent tool: the call names it)
    schema: dict[str, Any] = field(default_factory=dict)
