"""A random well-formed call from a role's tool schemas (erring teammates, random policies)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from nexgym.error import ConfigError
from nexgym.runtime.view import runtime_view
from nexgym.tools import ToolCall

if TYPE_CHECKING:
    from nexgym.runtime.view import HierarchyEnv

__all__ = ["WORD", "env_rng", "erring_call", "random_call", "random_value"]

#: A word of the context that random values are drawn from (paths, ids, names).
WORD = re.compile(r"[/\w.-]{2,40}")


def random_call(rng: np.random.Generator, schemas: list[dict[str, Any]], context: str) -> ToolCall:
    """A random call of one of the tools described by ``schemas``.

    String arguments are drawn from the words of ``context`` (the observation), so
    paths and identifiers that the agent has seen do come up.
    """
    words = WORD.findall(context[-4000:]) or ["x"]
    fn = schemas[int(rng.integers(len(schemas)))]["function"]
    params = fn["parameters"]
    required = set(params.get("required", []))
    arguments = {}
    for key, prop in params.get("properties", {}).items():
        if key in required or rng.random() < 0.3:
            arguments[key] = random_value(rng, prop, words)
    return ToolCall(fn["name"], arguments)


def random_value(rng: np.random.Generator, prop: dict[str, Any], words: list[str]) -> Any:
    """A random value of the JSON schema ``prop``, its strings drawn from ``words``."""
    if "enum" in prop:
        return prop["enum"][int(rng.integers(len(prop["enum"])))]
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"] or prop["anyOf"]
        return random_value(rng, options[int(rng.integers(len(options)))], words)
    kind = prop.get("type", "string")
    if kind == "integer":
        return int(rng.integers(0, 100))
    if kind == "number":
        return float(np.round(rng.uniform(0, 100), 2))
    if kind == "boolean":
        return bool(rng.random() < 0.5)
    if kind == "array":
        item = prop.get("items", {"type": "string"})
        return [random_value(rng, item, words) for _ in range(int(rng.integers(0, 3)))]
    if kind == "object":
        return {}
    return words[int(rng.integers(len(words)))]


def env_rng(env: HierarchyEnv) -> np.random.Generator:
    """The generator of a nexgym env of any view (wrapped or not), seeded by its reset.

    Raises:
        ConfigError: the env has no generator yet (a PettingZoo env before its reset).
    """
    rng = getattr(env.unwrapped, "np_random", None)
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(
            f"expected an env with a seeded np_random, got {type(env).__name__} without one; "
            "call env.reset() first"
        )
    return rng


def erring_call(
    env: HierarchyEnv, role: str, observation: Any, error_rate: float
) -> ToolCall | None:
    """An erring scripted role's slip: a random call of ``role``'s tools, or None.

    The slip happens with probability ``error_rate``, drawn from the env's ``np_random``.
    """
    if error_rate <= 0:
        return None
    rng = env_rng(env)
    if rng.random() >= error_rate:
        return None
    if isinstance(observation, dict):  # the PettingZoo views' {"text": ...}
        observation = observation.get("text", "")
    text = observation if isinstance(observation, str) else ""
    return random_call(rng, runtime_view(env).tool_schemas(role), text)
