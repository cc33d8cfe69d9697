"""The default teammate: a sub-agent that does what its message asks, and nothing else.

Every role the learner does not control is played by an :class:`InstructedTeammate`
(unless ``teammates={role: policy}`` says otherwise). It sees what that agent sees: the
message it was sent, its own tools' schemas and what its tool calls return. It never
reads the task, its plans or its checks, so the outcome of an episode depends on what
the caller said: told the wrong value it sets the wrong value, told nothing it asks.

How it works, on each turn of an invocation:

1. It reads the opening message with an :class:`~nexgym.teammates.instructions.InstructionReader`
   over the tools it can have done (its own; for a lead, also its sub-agents' subtrees').
2. Its agenda is the calls read, in order: its own tools it calls itself; a run of
   calls that a sub-agent's subtree holds becomes one delegation to that sub-agent,
   phrased with :func:`~nexgym.teammates.instructions.phrase_request`.
3. Progress is read from its own history (a failed call is retried, up to
   :data:`MAX_ATTEMPTS` times), so the policy is stateless and replays exactly.
4. When the agenda is done it finishes with a report: each call, what came back, what it
   could not do and why. An empty or vague request gets a request for details (its
   tools and their arguments); a request for tools it does not hold gets a report of
   what it can do. It never does silent work.

With ``error_rate`` it sometimes makes a random well-formed call instead: the erring
teammate of coordination experiments.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nexgym.runtime.view import RuntimeView, runtime_view
from nexgym.teammates.instructions import Instruction, InstructionReader, phrase_request
from nexgym.teammates.random_calls import erring_call
from nexgym.tools import ToolCall

if TYPE_CHECKING:
    from nexgym.runtime.view import HierarchyEnv

__all__ = ["InstructedTeammate", "signature"]

#: Tries of one call before the teammate gives up on it (transient faults are retried).
MAX_ATTEMPTS = 3
#: The longest report a teammate gives (each call's result gets a share).
REPORT_CHARS = 6_000


def signature(name: str, parameters: dict[str, Any]) -> str:
    """``name(a, b=2)``: a tool's arguments as a caller would write them."""
    props = parameters.get("properties", {})
    required = set(parameters.get("required", []))
    parts = [key if key in required else f"{key}={props[key].get('default')!r}" for key in props]
    return f"{name}({', '.join(parts)})"


class InstructedTeammate:
    """Plays a sub-agent role by doing exactly what its message asks (see the module doc).

    Args:
        env: the env it plays in (a :class:`~nexgym.env.NexEnv`, wrapped or not).
        error_rate: probability of a random well-formed call instead of the next one.
    """

    def __init__(self, env: HierarchyEnv, *, error_rate: float = 0.0) -> None:
        self.env = env
        self.error_rate = error_rate
        self._readers: dict[tuple[Any, ...], tuple[InstructionReader, dict]] = {}

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        """Return the next action as canonical text."""
        return self.call(observation, info).to_text()

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The next action as a :class:`ToolCall`."""
        runtime = runtime_view(self.env)
        role = info.get("role") or runtime.active_role or runtime.lead_role
        erring = erring_call(self.env, role, observation, self.error_rate)
        if erring is not None:
            return erring
        messages = runtime.history(role)
        opening = next((m for m in messages if m.get("role") == "user"), None)
        request = str(opening.get("content") or "") if opening else ""
        reader, routes = self.reader(runtime, role)
        instruction = reader.read(request)
        agenda = _agenda(instruction, routes)
        position = _progress(agenda, _made_calls(messages))
        if position < len(agenda):
            return agenda[position]
        return ToolCall("finish", {"answer": self.report(runtime, role, instruction, messages)})

    def reader(
        self, runtime: RuntimeView, role: str
    ) -> tuple[InstructionReader, dict[str, str | None]]:
        """The role's reader and its routes (shown tool name -> sub-agent, None for its own)."""
        schemas = runtime.tool_schemas(role)
        # shown names change at a reset under schema drift (a sub-agent's too)
        key = (role, tuple(sorted(runtime.renames.items())))
        cached = self._readers.get(key)
        if cached is not None:
            return cached
        spec = runtime.spec
        agent = spec.agent(role)
        tools: dict[str, dict[str, Any]] = {}
        routes: dict[str, str | None] = {}
        for schema in schemas:
            fn = schema["function"]
            if fn["name"] in agent.sub_agents or fn["name"] in ("finish", "message"):
                continue
            tools[fn["name"]] = fn["parameters"]
            routes[fn["name"]] = None
        for child in agent.sub_agents:
            for _, member in spec.walk(child):
                for name in member.tools:
                    shown = runtime.renames.get(name, name)
                    if shown not in tools:
                        tools[shown] = runtime.domain.tool(name).parameters
                        routes[shown] = child
        every = [runtime.renames.get(n, n) for n in runtime.domain.tool_names]
        made = (InstructionReader(tools, other_tools=every), routes)
        self._readers[key] = made
        return made

    def report(
        self,
        runtime: RuntimeView,
        role: str,
        instruction: Instruction,
        messages: list[dict[str, Any]],
    ) -> str:
        """The finish answer: what was done, what came back, and what was not done."""
        lines: list[str] = []
        if instruction.cut:
            lines.append(
                "Your message was too long: I read only its first part. Send shorter requests."
            )
        done = _results(messages)
        if done:
            share = max(200, REPORT_CHARS // len(done))
            lines.append("Results of the calls I made:")
            for i, (call_text, result) in enumerate(done, 1):
                result = " ".join(result.split())
                if len(result) > share:
                    result = result[: share - 3] + "..."
                lines.append(f"{i}. {call_text} returned: {result}")
        for problem in instruction.problems:
            lines.append(f"Not done: {problem.text()}.")
        reader, routes = self.reader(runtime, role)
        if instruction.outside:
            lines.append(
                f"Not done: {', '.join(instruction.outside)} is not among the tools I can use."
            )
        if instruction.empty:
            lines.append(
                "I did nothing: your message names no call I can make. Tell me which tool "
                "to call and with which values, e.g. "
                f"{_example(reader)}."
            )
        if instruction.outside or instruction.empty or instruction.problems:
            lines.append("I can call: " + "; ".join(_capabilities(reader, routes)) + ".")
        return "\n".join(lines)


def _agenda(instruction: Instruction, routes: dict[str, str | None]) -> list[ToolCall]:
    """The actions that carry out ``instruction``: own calls, and one delegation per run."""
    agenda: list[ToolCall] = []
    run: list[ToolCall] = []
    run_child: str | None = None
    for call in instruction.calls:
        child = routes.get(call.name)
        if run and child != run_child:
            agenda.append(ToolCall(run_child or "", {"task": phrase_request(run)}))
            run = []
        if child is None:
            agenda.append(call)
        else:
            run.append(call)
            run_child = child
    if run:
        agenda.append(ToolCall(run_child or "", {"task": phrase_request(run)}))
    return agenda


def _made_calls(messages: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """``(name, succeeded)`` of each call the role made in this invocation, in order."""
    outcome: dict[Any, bool] = {}
    for message in messages:
        if message.get("role") == "tool":
            content = str(message.get("content") or "")
            outcome[message.get("tool_call_id")] = not content.startswith("Error:")
    made = []
    for message in messages:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or ():
                name = call.get("function", {}).get("name", "")
                made.append((name, outcome.get(call.get("id"), True)))
    return made


def _progress(agenda: list[ToolCall], made: list[tuple[str, bool]]) -> int:
    """How many agenda items are done (succeeded, or failed :data:`MAX_ATTEMPTS` times)."""
    position = attempts = 0
    for name, ok in made:
        if position >= len(agenda) or name != agenda[position].name:
            continue  # a stray call (an error-rate slip) does not move the agenda
        attempts += 1
        if ok or attempts >= MAX_ATTEMPTS:
            position, attempts = position + 1, 0
    return position


def _results(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(call as written, result text)`` for each call the role made (messages excluded)."""
    calls: dict[Any, str] = {}
    out: list[tuple[str, str]] = []
    for message in messages:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or ():
                fn = call.get("function", {})
                if fn.get("name") == "message":
                    continue
                arguments = fn.get("arguments", "{}")
                try:
                    parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
                except json.JSONDecodeError:
                    parsed = {}
                if isinstance(parsed, dict) and set(parsed) == {"task"}:
                    calls[call.get("id")] = str(fn.get("name"))  # its report lists its calls
                else:
                    calls[call.get("id")] = ToolCall(fn.get("name", "tool"), parsed).describe()
        elif message.get("role") == "tool" and message.get("tool_call_id") in calls:
            out.append((calls[message["tool_call_id"]], str(message.get("content") or "")))
    return out


def _capabilities(reader: InstructionReader, routes: dict[str, str | None]) -> list[str]:
    out = []
    for name, params in reader.tools.items():
        via = routes.get(name)
        out.append(signature(name, params) + (f" (through {via})" if via else ""))
    return out


def _example(reader: InstructionReader) -> str:
    for name, params in reader.tools.items():
        required = params.get("required", [])
        props = params.get("properties", {})
        args = ", ".join(f"{k}=<{props.get(k, {}).get('type', 'value')}>" for k in required)
        return f"{name}({args})"
    return "a tool call"
