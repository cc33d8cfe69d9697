"""A policy that makes random but well-formed tool calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexgym.runtime.view import runtime_view
from nexgym.teammates.random_calls import WORD, env_rng, random_call, random_value
from nexgym.tools import ToolCall

if TYPE_CHECKING:
    from nexgym.runtime.view import HierarchyEnv

__all__ = ["RandomPolicy", "random_call"]


class RandomPolicy:
    """Random well-formed calls of the acting role's tools (sub-agents and finish included).

    Args:
        env: the env it plays (randomness comes from the env's ``np_random``).
        finish_rate: probability of calling ``finish`` instead of a uniform pick.
    """

    def __init__(self, env: HierarchyEnv, *, finish_rate: float = 0.05) -> None:
        self.env = env
        self.finish_rate = finish_rate

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        """Return a random tool call as canonical action text."""
        return self.call(observation, info).to_text()

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The random call as a :class:`ToolCall`."""
        rng = env_rng(self.env)
        schemas = info.get("tools") or runtime_view(self.env).tool_schemas(info["role"])
        text = observation if isinstance(observation, str) else str(observation)
        if rng.random() < self.finish_rate:
            return ToolCall(
                "finish",
                {"answer": random_value(rng, {"type": "string"}, WORD.findall(text) or ["done"])},
            )
        return random_call(rng, schemas, text)
