"""A policy that makes random but well-formed tool calls."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from nexgym.tools import ToolCall

__all__ = ["RandomPolicy", "random_call"]

_WORD = re.compile(r"[/\w.-]{2,40}")


def random_call(rng: np.random.Generator, schemas: list[dict[str, Any]], context: str) -> ToolCall:
    """A random call of one of the tools described by ``schemas``.

    String arguments are drawn from the words of ``context`` (the observation), so
    paths and identifiers that the agent has seen do come up.
    """
    words = _WORD.findall(context[-4000:]) or ["x"]
    fn = schemas[int(rng.integers(len(schemas)))]["function"]
    params = fn["parameters"]
    required = set(params.get("required", []))
    arguments = {}
    for key, prop in params.get("properties", {}).items():
        if key in required or rng.random() < 0.3:
            arguments[key] = _value(rng, prop, words)
    return ToolCall(fn["name"], arguments)


def _value(rng: np.random.Generator, prop: dict[str, Any], words: list[str]) -> Any:
    if "enum" in prop:
        return prop["enum"][int(rng.integers(len(prop["enum"])))]
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"] or prop["anyOf"]
        return _value(rng, options[int(rng.integers(len(options)))], words)
    kind = prop.get("type", "string")
    if kind == "integer":
        return int(rng.integers(0, 100))
    if kind == "number":
        return float(np.round(rng.uniform(0, 100), 2))
    if kind == "boolean":
        return bool(rng.random() < 0.5)
    if kind == "array":
        item = prop.get("items", {"type": "string"})
        return [_value(rng, item, words) for _ in range(int(rng.integers(0, 3)))]
    if kind == "object":
        return {}
    return words[int(rng.integers(len(words)))]


class RandomPolicy:
    """Random well-formed calls of the acting role's tools (sub-agents and finish included).

    Args:
        env: the env it plays (randomness comes from the env's ``np_random``).
        finish_rate: probability of calling ``finish`` instead of a uniform pick.
    """

    def __init__(self, env: Any, *, finish_rate: float = 0.05) -> None:
        self.env = env
        self.finish_rate = finish_rate

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        """Return a random tool call as canonical action text."""
        return self.call(observation, info).to_text()

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The random call as a :class:`ToolCall`."""
        base = self.env.unwrapped
        rng = base.np_random
        schemas = info.get("tools") or base.runtime.tool_schemas(info["role"])
        text = observation if isinstance(observation, str) else str(observation)
        if rng.random() < self.finish_rate:
            return ToolCall(
                "finish",
                {"answer": _value(rng, {"type": "string"}, _WORD.findall(text) or ["done"])},
            )
        return random_call(rng, schemas, text)
