"""Vector envs over text spaces: the batched vector_entry_point, sync and async agree
with single envs step by step (no stale observations), autoreset included."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from nexgym.envs.domains import get_domain

import nexgym
from nexgym.error import ConfigError
from nexgym.teammates.random_calls import random_call
from nexgym.vector import NexVectorEnv, batch_infos, make_vector

ENV_ID = "nex/FileOps-v0"
NUM_ENVS = 3
STEPS = 40


def policy_actions(
    rngs: list[np.random.Generator], observations: Any, infos: dict[str, Any]
) -> tuple[str, ...]:
    """Random well-formed calls (and some garbage), one per sub-env, from its own rng."""
    actions = []
    for i, rng in enumerate(rngs):
        tools = list(infos["tools"][i] or [])
        if rng.random() < 0.1 or not tools:  # no tools: the episode is over (next: autoreset)
            actions.append("this is not a tool call")
        else:
            actions.append(random_call(rng, tools, observations[i]).to_text())
    return tuple(actions)


def reference_run(env_id: str | dict, seed: int, **kwargs: Any) -> list[tuple]:
    """Single envs (a catalog id or a spec) stepped by hand with NEXT_STEP autoreset."""
    envs = [nexgym.make_env(env_id, **kwargs) for _ in range(NUM_ENVS)]
    rngs = [np.random.default_rng(100 + i) for i in range(NUM_ENVS)]
    results = [env.reset(seed=seed + i) for i, env in enumerate(envs)]
    obs = [r[0] for r in results]
    tools = [r[1]["tools"] for r in results]
    done = [False] * NUM_ENVS
    out = []
    for _ in range(STEPS):
        actions = policy_actions(rngs, obs, {"tools": tools})
        row = []
        for i, env in enumerate(envs):
            if done[i]:
                obs[i], info = env.reset()
                reward, terminated, truncated = 0.0, False, False
            else:
                obs[i], reward, terminated, truncated, info = env.step(actions[i])
            tools[i] = info["tools"]
            done[i] = terminated or truncated
            row.append((obs[i], float(reward), bool(terminated), bool(truncated)))
        out.append(tuple(row))
    for env in envs:
        env.close()
    return out


def vector_run(envs: gym.vector.VectorEnv, seed: int) -> list[tuple]:
    rngs = [np.random.default_rng(100 + i) for i in range(NUM_ENVS)]
    obs, infos = envs.reset(seed=seed)
    out = []
    for _ in range(STEPS):
        obs, rewards, terminations, truncations, infos = envs.step(policy_actions(rngs, obs, infos))
        out.append(
            tuple(
                (obs[i], float(rewards[i]), bool(terminations[i]), bool(truncations[i]))
                for i in range(NUM_ENVS)
            )
        )
    envs.close()
    return out


@pytest.fixture(scope="module")
def reference() -> list[tuple]:
    return reference_run(ENV_ID, seed=7, max_turns=6)


@pytest.mark.parametrize(
    ("mode", "vector_kwargs"),
    [
        ("vector_entry_point", None),
        ("sync", None),
        ("async", {"shared_memory": False}),
    ],
)
def test_vector_modes_match_single_envs(
    reference: list[tuple], mode: str, vector_kwargs: dict[str, Any] | None
) -> None:
    envs = gym.make_vec(
        ENV_ID,
        num_envs=NUM_ENVS,
        vectorization_mode=mode,
        vector_kwargs=vector_kwargs,
        max_turns=6,
    )
    if mode == "vector_entry_point":
        assert isinstance(envs.unwrapped, NexVectorEnv)
    got = vector_run(envs, seed=7)
    assert got == reference
    assert any(any(r[2] or r[3] for r in row) for row in got), "autoreset was exercised"
    changed = sum(got[t][i][0] != got[t - 1][i][0] for t in range(1, STEPS) for i in range(3))
    assert changed > STEPS, "observations move on from step to step"


def test_default_mode_is_the_batched_vector_env() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2)
    assert isinstance(envs.unwrapped, NexVectorEnv)
    assert envs.unwrapped.max_episode_steps == gym.spec(ENV_ID).max_episode_steps
    envs.close()


def test_time_limit_truncates_like_time_limit_wrapper() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2, max_episode_steps=3)
    envs.reset(seed=0)
    flags = []
    for _ in range(4):
        _, rewards, terminations, truncations, _ = envs.step(("bad", "bad"))
        flags.append((terminations.tolist(), truncations.tolist(), rewards.tolist()))
    assert flags[2][1] == [True, True]
    assert flags[3] == ([False, False], [False, False], [0.0, 0.0])  # the autoreset step
    envs.close()


def test_infos_have_the_layout_of_gymnasium_vector_infos() -> None:
    batched = gym.make_vec(ENV_ID, num_envs=NUM_ENVS)
    sync = gym.make_vec(ENV_ID, num_envs=NUM_ENVS, vectorization_mode="sync")
    _, a = batched.reset(seed=1)
    _, b = sync.reset(seed=1)
    assert set(a) == set(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert a[key].tolist() == b[key].tolist(), key
    batched.close()
    sync.close()


def test_batch_infos_handles_missing_keys_and_nested_dicts() -> None:
    out = batch_infos([{"a": 1, "n": {"x": 2.0}}, None, {"a": 3, "b": "s"}], 3)
    assert out["a"].tolist() == [1, 0, 3] and out["_a"].tolist() == [True, False, True]
    assert out["b"].tolist() == [None, None, "s"] and out["_b"].tolist() == [False, False, True]
    assert out["n"]["x"].tolist() == [2.0, 0.0, 0.0] and out["_n"].tolist() == [True, False, False]


def test_reset_mask_resets_only_the_chosen_envs() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2)
    first, _ = envs.reset(seed=0)
    stepped, *_ = envs.step(("bad", "bad"))
    again, infos = envs.reset(seed=0, options={"reset_mask": np.array([True, False])})
    assert again[0] == first[0] and again[1] == stepped[1]
    assert infos["_role"].tolist() == [True, False]
    envs.close()


def test_bad_arguments_raise_config_errors() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2)
    envs.reset(seed=0)
    with pytest.raises(ConfigError, match="expected 2 actions"):
        envs.step(("only one",))
    with pytest.raises(ConfigError, match="num_envs"):
        gym.make_vec(ENV_ID, num_envs=0)
    envs.close()


def test_kwargs_reach_every_sub_env() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2, difficulty=2, control="all")
    assert envs.unwrapped.get_attr("controlled")[0] == frozenset(
        envs.unwrapped.envs[0].hierarchy.agent_names
    )
    assert [e.runtime.difficulty for e in envs.unwrapped.envs] == [2, 2]
    envs.close()


@pytest.mark.parametrize("env_id", ["nex/FileOps-v0", "nex/FileSolo-v0"])
def test_task_cache_reuses_tasks_and_matches_single_envs(env_id: str) -> None:
    """A training split of 3 task seeds: tasks come back often, worlds start pristine."""
    kwargs = {"task_seeds": [11, 12, 13], "max_turns": 4}
    reference = reference_run(env_id, seed=5, **kwargs)
    envs = gym.make_vec(env_id, num_envs=NUM_ENVS, **kwargs)
    caches = envs.unwrapped.task_caches
    assert vector_run(envs, seed=5) == reference
    assert sum(c.hits for c in caches) > 0 and sum(c.misses for c in caches) <= 3 * len(caches)


def test_task_cache_is_off_without_a_split_or_when_asked() -> None:
    assert gym.make_vec(ENV_ID, num_envs=2).unwrapped.task_caches == []
    off = gym.make_vec(ENV_ID, num_envs=2, task_seeds=[1, 2], task_cache=0)
    assert off.unwrapped.task_caches == []
    with pytest.raises(ConfigError, match="task_cache"):
        gym.make_vec(ENV_ID, num_envs=2, task_cache=-1)


def test_task_cache_copies_sqlite_worlds() -> None:
    """Inventory keeps its world in SQLite: every reuse must start from the pristine copy."""
    tools = list(get_domain("inventory").tool_names)
    spec = {
        "name": "SoloInventory",
        "description": "One agent with every inventory tool.",
        "domain": "inventory",
        "topology": "single",
        "root": "agent",
        "agents": [{"name": "agent", "role": "You do it all.", "tools": tools}],
    }
    kwargs = {"task_seeds": [3, 4], "max_turns": 5}
    reference = reference_run(spec, seed=1, max_episode_steps=200, **kwargs)
    envs = make_vector(NUM_ENVS, spec=spec, max_episode_steps=200, **kwargs)
    assert vector_run(envs, seed=1) == reference
    assert envs.task_caches and envs.task_caches[0].hits > 0
