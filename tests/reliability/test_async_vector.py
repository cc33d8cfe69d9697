"""Async vector envs return the observations sync ones do, with or without shared memory,
whether built by ``gym.make_vec`` or by hand."""

from __future__ import annotations

import multiprocessing

import gymnasium as gym
import pytest
from gymnasium.vector import AsyncVectorEnv
from gymnasium.vector.utils import (
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

from nexgym.spaces import SharedTexts, text_space

#: One id of three domains (files, clock, SQL) and topologies.
SAMPLE_IDS = ["nex/FileOps-v0", "nex/ClockSolo-v0", "nex/BankingSqldataDesk-v0"]
ACTIONS = [
    ("hello ✓", '{"name": "finish", "arguments": {"answer": "für Zoë"}}'),
    ('<tool_call>{"name": "nope", "arguments": {}}</tool_call>', "Zoë"),
]


def trajectory(envs: gym.vector.VectorEnv) -> list[tuple[str, ...]]:
    observations, _ = envs.reset(seed=7)
    seen = [tuple(observations)]
    for actions in ACTIONS:
        observations, *_ = envs.step(actions)
        seen.append(tuple(observations))
    envs.close()
    return seen


@pytest.mark.parametrize("env_id", SAMPLE_IDS)
def test_async_matches_sync(env_id: str) -> None:
    expected = trajectory(gym.make_vec(env_id, num_envs=2, vectorization_mode="sync"))
    assert all(len(o) > 0 for o in expected[0])
    for shared in (True, False):
        got = trajectory(
            gym.make_vec(
                env_id,
                num_envs=2,
                vectorization_mode="async",
                vector_kwargs={"shared_memory": shared},
            )
        )
        assert got == expected, f"shared_memory={shared}"


def test_hand_built_async_env_matches_sync() -> None:
    env_id = SAMPLE_IDS[0]
    expected = trajectory(gym.make_vec(env_id, num_envs=2, vectorization_mode="sync"))
    assert trajectory(AsyncVectorEnv([lambda: gym.make(env_id)] * 2)) == expected


def test_shared_memory_round_trips_unicode_of_any_length() -> None:
    space = text_space(1000)
    texts = ["", "\x00é\r\n", "😀" * 1000, "für Zoë ✓ 東京"]
    memory = create_shared_memory(space, n=len(texts), ctx=multiprocessing)
    view = read_from_shared_memory(space, memory, n=len(texts))
    assert isinstance(view, SharedTexts)
    for index, text in enumerate(texts):
        write_to_shared_memory(space, index, text, memory)
    assert tuple(view) == tuple(texts) and view == texts
    write_to_shared_memory(space, 0, "later", memory)
    assert view[0] == "later"  # a live view, as numpy arrays are for Box spaces
    with pytest.raises(ValueError, match="expected a text"):
        write_to_shared_memory(space, 0, "x" * 1001, memory)
