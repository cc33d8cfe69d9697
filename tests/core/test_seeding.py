"""Which task a reset plays, and the env's ``np_random`` under Gymnasium's seeding rules."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils import seeding

import nexgym
from nexgym.policies import RandomPolicy
from nexgym.session import TASK_SEEDS, stream_task_seed, task_salt

ENV_ID = "nex/FileOps-v0"


def test_a_seeded_reset_plays_the_task_of_its_seed() -> None:
    env = gym.make(ENV_ID)
    salt = task_salt(env.unwrapped.hierarchy)
    for seed in (0, 5, 2**31 + 4):  # the hierarchy's seed-th task
        _, info = env.reset(seed=seed)
        assert info["task_seed"] == stream_task_seed(salt, seed)
    _, by_option = env.reset(options={"task_seed": 5})  # a domain task seed, as it is
    assert by_option["task_seed"] == 5 and env.unwrapped.task_seed == 5
    first, info = env.reset(seed=5)
    assert gym.make(ENV_ID).reset(options={"task_seed": info["task_seed"]})[0] == first


def test_with_a_split_the_seed_picks_the_split_in_order() -> None:
    split = [100, 200, 300]
    env = gym.make(ENV_ID, task_seeds=split)
    assert [env.reset(seed=k)[1]["task_seed"] for k in range(5)] == [100, 200, 300, 100, 200]
    drawn = {env.reset()[1]["task_seed"] for _ in range(30)}  # unseeded: drawn from the split
    assert drawn == set(split)


def test_np_random_is_the_generator_of_the_seed() -> None:
    env = gym.make(ENV_ID)
    env.reset(seed=42)
    expected, _ = seeding.np_random(42)
    assert env.unwrapped.np_random_seed == 42
    assert env.unwrapped.np_random.bit_generator.state == expected.bit_generator.state
    assert env.unwrapped._np_random.random() == expected.random()
    # the same seed again: the same generator from its start, whatever was drawn since
    env.reset(seed=42)
    assert env.unwrapped.np_random.random() == seeding.np_random(42)[0].random()


def test_unseeded_resets_follow_the_seeded_generator() -> None:
    def tasks() -> list[int]:
        env = gym.make(ENV_ID)
        env.reset(seed=9)
        return [env.reset()[1]["task_seed"] for _ in range(5)]

    first = tasks()
    assert first == tasks()
    rng, _ = seeding.np_random(9)
    salt = task_salt(gym.make(ENV_ID).unwrapped.hierarchy)
    assert first == [stream_task_seed(salt, int(rng.integers(TASK_SEEDS))) for _ in range(5)]


def test_a_bad_seed_gets_gymnasiums_error() -> None:
    env = gym.make(ENV_ID)
    with pytest.raises(gym.error.Error, match="greater or equal to zero"):
        env.reset(seed=-1)
    with pytest.raises(gym.error.Error, match="python integer"):
        env.reset(seed=np.float64(1.5))  # type: ignore[arg-type]


def test_assigning_np_random_replaces_the_pending_seed() -> None:
    env = gym.make(ENV_ID).unwrapped
    env.reset(seed=1)
    mine = np.random.default_rng(7)
    env.np_random = mine
    assert env.np_random is mine


@pytest.mark.parametrize("draw", [False, True])
def test_a_pickle_keeps_the_generator_built_or_not(draw: bool) -> None:
    env = gym.make(ENV_ID, control="all", max_episode_steps=40)
    policy = RandomPolicy(env)
    obs, info = env.reset(seed=3)
    task_seed = info["task_seed"]
    if draw:  # the random policy draws from np_random: the generator gets built
        obs, *_, info = env.step(policy(obs, info))
    clone = pickle.loads(pickle.dumps(env))
    assert clone.unwrapped.task_seed == env.unwrapped.task_seed == task_seed
    assert (
        clone.unwrapped.np_random.bit_generator.state == env.unwrapped.np_random.bit_generator.state
    )
    assert clone.unwrapped.runtime.tool_log == env.unwrapped.runtime.tool_log


def test_gymnasium_and_pettingzoo_views_play_the_same_task_for_a_seed() -> None:
    for seed in (0, 11):
        _, info = gym.make(ENV_ID).reset(seed=seed)
        aec = nexgym.pz.env(ENV_ID)
        aec.reset(seed=seed)
        parallel = nexgym.pz.parallel_env(ENV_ID)
        parallel.reset(seed=seed)
        assert aec.episode.task_seed == parallel.episode.task_seed == info["task_seed"]
    aec, parallel = nexgym.pz.env(ENV_ID), nexgym.pz.parallel_env(ENV_ID)
    aec.reset(seed=4)
    parallel.reset(seed=4)
    aec.reset()
    parallel.reset()
    gym_env = gym.make(ENV_ID)
    gym_env.reset(seed=4)
    _, info = gym_env.reset()
    assert aec.episode.task_seed == parallel.episode.task_seed == info["task_seed"]
