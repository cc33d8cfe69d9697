"""Property-based: no action text makes ``step`` raise, and the world's invariants hold.

Hypothesis plays every registered env with ``control="all"`` (so the fuzzed actions
reach sub-agents too), choosing each action for the role that acts: random text,
JSON of random shape, JSON nested 10,000 deep, megabyte strings, lone surrogates,
calls of tools the role does not hold, a sub-agent calling its parent, well-formed
calls with wrong argument types, and valid calls that move the episode on. After
every step the observation must lie in the observation space and
``runtime.check_invariants()`` must be empty.

The number of examples per env is sized by the catalog so the whole file does a few
thousand actions in total, however many envs there are.
"""

from __future__ import annotations

import json
import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nexgym
from nexgym.policies import OraclePolicy
from nexgym.teammates.random_calls import random_call
from nexgym.tools import ToolCall

# every hand-written entry and a fixed, seeded sample of the 1,000+ world-catalog
# entries (built alike; `nexgym synth --catalog --worlds` checks them all)
ENV_IDS = nexgym.registry.representative_envs()
#: Examples over the whole catalog (each plays up to MAX_ACTIONS actions).
TOTAL_EXAMPLES = 600
MAX_ACTIONS = 12
EXAMPLES_PER_ENV = max(3, math.ceil(TOTAL_EXAMPLES / max(len(ENV_IDS), 1)))
#: Time an env with expensive episodes may spend (in units of its oracle episode's cost).
FUZZ_SECONDS_PER_ENV = 3.0
MEGABYTE = 1 << 20

# -- strategies that need no env ----------------------------------------------------------

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
surrogate_text = st.lists(
    st.one_of(surrogates, st.characters(max_codepoint=0x7F)), min_size=1, max_size=20
).map("".join)
huge_text = st.builds(
    lambda char, size: char * (size // len(char)),
    st.sampled_from(["x", "{", "<tool_call>", "\ud800", "é", "\x00"]),
    st.sampled_from([MEGABYTE // 16, MEGABYTE, 3 * MEGABYTE]),
)


def nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    inner = "[" * depth + "]" * depth
    return f'<tool_call>{{"name": "finish", "arguments": {{"answer": {inner}}}}}</tool_call>'


deep_json = st.builds(
    nested, st.sampled_from([1_000, 10_000]), st.sampled_from(["list", "object", "call"])
)
random_json = st.builds(
    lambda value, wrap: (
        f"<tool_call>{json.dumps(value)}</tool_call>" if wrap else json.dumps(value)
    ),
    json_values,
    st.booleans(),
)
random_text = st.text(max_size=200) | st.sampled_from(
    ["", " ", "\n\n", "finish", "finish()", "<tool_call>", "</tool_call>", "{}", "null", "()"]
)
WRONG_VALUES = st.one_of(
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.none(),
    st.booleans(),
    st.text(max_size=10),
)

CONTENT_ACTIONS = st.one_of(
    random_text,
    random_json,
    deep_json,
    huge_text,
    surrogate_text,
    surrogate_text.map(lambda s: ToolCall("finish", {"answer": s}).to_text()),
    st.sampled_from([None, b"\xff\xfe", 7, ["finish"]]),  # not even text
)
#: What kind of action to take next; the role-dependent kinds are built from the env's state.
KINDS = st.sampled_from(["content", "foreign", "wrong_types", "parent", "valid", "oracle"])
SEEDS = st.integers(0, 2**32 - 1)
TASKS = st.text(max_size=40)

# -- strategies that depend on the acting role (built once per env and role) ---------------

_ROLE_STRATEGIES: dict[tuple[str, str, str], st.SearchStrategy[str]] = {}


def foreign_call(env: gym.Env, role: str) -> st.SearchStrategy[str]:
    """A call of a tool or agent the role does not hold (its parent included)."""
    base = env.unwrapped
    held = set(base.runtime.tool_names(role))
    others = sorted(
        ({*base.domain.tool_names, *base.hierarchy.agent_names} - held)
        | {"delegate", "eval", "__import__"}
    )
    return st.builds(
        lambda name, args: ToolCall(name, args).to_text(),
        st.sampled_from(others),
        st.dictionaries(
            st.sampled_from(["task", "path", "answer", "x"]), _json_scalars, max_size=2
        ),
    )


def wrong_types(env: gym.Env, role: str) -> st.SearchStrategy[str]:
    """A call of one of the role's tools with arguments of the wrong types or names."""
    schemas = env.unwrapped.runtime.tool_schemas(role)

    def build(index: int, values: list[Any], extra: bool) -> str:
        fn = schemas[index % len(schemas)]["function"]
        names = list(fn["parameters"].get("properties", {}))
        arguments = {name: value for name, value in zip(names, values, strict=False)}
        if extra or not arguments:
            arguments["unexpected_argument"] = values[0]
        return ToolCall(fn["name"], arguments).to_text()

    return st.builds(
        build, st.integers(0, 1000), st.lists(WRONG_VALUES, min_size=1, max_size=4), st.booleans()
    )


def role_strategy(env_id: str, env: gym.Env, role: str, kind: str) -> st.SearchStrategy[str]:
    key = (env_id, role, kind)
    if key not in _ROLE_STRATEGIES:
        make = {"foreign": foreign_call, "wrong_types": wrong_types}[kind]
        _ROLE_STRATEGIES[key] = make(env, role)
    return _ROLE_STRATEGIES[key]


def draw_action(
    data: st.DataObject, env_id: str, env: gym.Env, obs: str, info: dict[str, Any]
) -> Any:
    """Draw the next action for the acting role."""
    role = info["role"]
    kind = data.draw(KINDS, label="kind")
    if kind == "content":
        return data.draw(CONTENT_ACTIONS, label="content")
    if kind in ("foreign", "wrong_types"):
        return data.draw(role_strategy(env_id, env, role, kind), label=kind)
    if kind == "parent":  # a sub-agent calling its caller (the root calls itself)
        stack = env.unwrapped.runtime.stack
        target = stack[-2].agent.name if len(stack) > 1 else role
        return ToolCall(target, {"task": data.draw(TASKS, label="task")}).to_text()
    if kind == "valid":  # a well-formed call of the role's own tools: episodes move on
        rng = np.random.default_rng(data.draw(SEEDS, label="seed"))
        return random_call(rng, env.unwrapped.runtime.tool_schemas(role), obs).to_text()
    return OraclePolicy(env)(obs, info)


# -- the property ---------------------------------------------------------------------------

_ENVS: dict[str, gym.Env] = {}


def fuzz_env(env_id: str) -> gym.Env:
    """One env per id and process, reused by every example (reset at each)."""
    if env_id not in _ENVS:
        _ENVS[env_id] = gym.make(env_id, control="all")
    return _ENVS[env_id]


@pytest.fixture(scope="module", autouse=True)
def _close_fuzz_envs() -> Any:
    yield
    for env in _ENVS.values():
        env.close()
    _ENVS.clear()


def fuzz(env_id: str, examples: int) -> None:
    """Run the property on ``env_id`` for ``examples`` hypothesis examples."""

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data(), seed=st.integers(0, 2**31 - 1), n_actions=st.integers(1, MAX_ACTIONS))
    def property_holds(data: st.DataObject, seed: int, n_actions: int) -> None:
        env = fuzz_env(env_id)
        base = env.unwrapped
        obs, info = env.reset(seed=seed)
        roles = set(base.hierarchy.agent_names)
        for _ in range(n_actions):
            action = draw_action(data, env_id, env, obs, info)
            obs, reward, terminated, truncated, info = env.step(action)
            assert env.observation_space.contains(obs), "observation outside the observation space"
            assert isinstance(reward, float) and math.isfinite(reward)
            assert info["role"] in roles or (terminated or truncated)
            assert base.runtime.check_invariants() == []
            if terminated or truncated:
                assert info["stop_reason"] and 0.0 <= info["score"] <= 1.0
                obs, info = env.reset()

    property_holds()


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_step_never_raises_and_invariants_hold(env_id: str, env_budget: Any) -> None:
    # an example costs about one episode's reset plus up to MAX_ACTIONS steps; envs with
    # expensive worlds (real repositories) get fewer examples
    fuzz(env_id, env_budget.count(env_id, FUZZ_SECONDS_PER_ENV, low=2, high=EXAMPLES_PER_ENV))
