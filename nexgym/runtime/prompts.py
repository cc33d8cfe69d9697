"""The texts agents see: system prompts with tool schemas, tool results, feedback."""

from __future__ import annotations

import json
from typing import Any

from nexgym.tools import ToolCall

__all__ = [
    "TASK_HEADER",
    "example_call",
    "invalid_action_text",
    "system_prompt",
    "task_text",
    "tool_result_text",
]

#: The header of the user message that opens an invocation (:func:`task_text`); the
#: first observation of an invocation is the system prompt, a blank line, then that message.
TASK_HEADER = "# Task\n"

_FORMAT = """Call exactly one tool per turn, in this form:
<tool_call>{{"name": "<tool name>", "arguments": {{<arguments as JSON>}}}}</tool_call>
{subagents}When your work is done, call finish with your answer, e.g.
<tool_call>{{"name": "finish", "arguments": {{"answer": "..."}}}}</tool_call>"""


def system_prompt(
    agent_name: str,
    role: str,
    domain_description: str,
    schemas: list[dict[str, Any]],
    has_subagents: bool,
    *,
    agent_tool: bool = False,
) -> str:
    """The first text an agent sees: who it is, its tools as JSON schemas, the call format.

    ``agent_tool`` says the sub-agents are called through the one ``Agent`` tool
    (NexAU's form) rather than each under its own name.
    """
    tools = "\n".join(json.dumps(s) for s in schemas)
    if not has_subagents:
        subagents = ""
    elif agent_tool:
        subagents = (
            'Your sub-agents are called through the Agent tool, with "sub_agent_name" and a '
            '"message" that names the calls they should make and their values (they do only '
            "what it says); their report comes back as the result.\n"
        )
    else:
        subagents = (
            'Agents listed among your tools are called the same way, with a "task" argument '
            "that names the calls they should make and their values (they do only what it "
            "says); their report comes back as the result.\n"
        )
    return (
        f"You are {agent_name}, an agent working on {domain_description}.\n{role.strip()}\n\n"
        f"# Tools\nYou may call these tools, given as JSON schemas:\n<tools>\n{tools}\n</tools>\n\n"
        + _FORMAT.format(subagents=subagents)
    )


def task_text(instruction: str) -> str:
    """The user message that opens an agent's invocation."""
    return f"{TASK_HEADER}{instruction.strip()}"


def tool_result_text(name: str, text: str) -> str:
    """The observation after a call of tool ``name`` (Hermes/Qwen's ``<tool_response>`` form)."""
    return f"<tool_response>\n{text}\n</tool_response>"


def example_call(schema: dict[str, Any]) -> str:
    """A well-formed example call of a tool, with placeholder argument values."""
    fn = schema["function"]
    params = fn["parameters"]
    args = {}
    for key in params.get("required", []):
        kind = params["properties"].get(key, {}).get("type", "string")
        args[key] = {"integer": 1, "number": 1.0, "boolean": True, "array": [], "object": {}}.get(
            kind, "..."
        )
    return ToolCall(fn["name"], args).to_text()


def invalid_action_text(reason: str, example: str, tool_names: list[str], remaining: int) -> str:
    """Feedback for an invalid action: what was wrong, what is expected, what is left."""
    return (
        f"Invalid action: {reason}.\n"
        f"Expected exactly one tool call, for example:\n{example}\n"
        f"Your tools: {', '.join(tool_names)}.\n"
        f"({remaining} more invalid action(s) end the episode.)"
    )
