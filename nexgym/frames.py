"""The runtime's records and built-in tools: frames, tool records, outcomes, menu entries.

Kept apart from :mod:`nexgym.runtime` so that the tree executor and the parallel
topologies of :mod:`nexgym.coordination` share them without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, Literal, NamedTuple

from nexgym.error import NexgymError
from nexgym.spec import AgentSpec
from nexgym.tools import Tool, ToolCall
from nexgym.trace import Span

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

#: The C encoder behind ``json.dumps(x, default=str)``, built once (``JSONEncoder.encode``
#: builds one on each call, which costs as much as the encoding of a small dict).
_MARKERS: dict[int, Any] = {}
_C_ENCODE = (
    None
    if c_make_encoder is None
    else c_make_encoder(
        _MARKERS, str, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
)
_PY_ENCODE = json.JSONEncoder(default=str).encode


def encode_arguments(arguments: dict[str, Any]) -> str:
    """``json.dumps(arguments, default=str)``, the same text or the same error."""
    if len(arguments) == 1:  # ``finish``'s answer, a sub-agent's task: one string, no encoder
        for key, value in arguments.items():
            if type(value) is str and type(key) is str:
                return (
                    "{" + encode_basestring_ascii(key) + ": " + encode_basestring_ascii(value) + "}"
                )
    if _C_ENCODE is None:  # a Python without the _json accelerator
        return _PY_ENCODE(arguments)
    try:
        return "".join(_C_ENCODE(arguments, 0))
    except BaseException:
        _MARKERS.clear()  # an error leaves the containers it was in marked as open
        raise


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


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self,
        role: str,
        call: ToolCall,
        ok: bool,
        time: float,
        error: str | None = None,
        meta: dict[str, Any] | None = None,
        world: int = 0,
    ) -> None:
        # one is built on each tool step: the slots' own setters, as in ToolCall (the
        # frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``)
        set_field = _RECORD_SETTERS
        set_field[0](self, role)
        set_field[1](self, call)
        set_field[2](self, ok)
        set_field[3](self, time)
        set_field[4](self, error)
        set_field[5](self, {} if meta is None else meta)
        set_field[6](self, world)


_RECORD_SETTERS = tuple(
    ToolRecord.__dict__[name].__set__
    for name in ("role", "call", "ok", "time", "error", "meta", "world")
)


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
