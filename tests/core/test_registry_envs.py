"""Checks every registered ``nex/...`` env must pass, parametrized over the registry.

Each check runs on every env with few episodes, so the file stays fast as the catalog
grows to hundreds of envs (and splits well under ``pytest -n 2``).
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import warnings
from typing import Any

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from nexgym.envs.domains import domain_class

import nexgym
from nexgym.error import UnknownNameError
from nexgym.policies import OraclePolicy, RandomPolicy
from nexgym.registry import load_catalog_spec

# every hand-written entry and a fixed, seeded sample of the 1,000+ world-catalog
# entries (built alike; `nexgym synth --catalog --worlds` checks them all)
ENV_IDS = nexgym.registry.representative_envs()
DETERMINISTIC_IDS = [i for i in ENV_IDS if not gym.spec(i).nondeterministic]
HEAVY_MODULES = ("torch", "transformers", "mcp", "ray", "stable_baselines3")
RANDOM_EPISODES = 20
#: Random-policy episodes are cut at this many steps (TimeLimit): they rarely finish on
#: their own, and the cut keeps hundreds of envs fast.
RANDOM_STEPS = 40

Step = tuple[Any, ...]


def play(env: gym.Env, policy: Any, seed: int | None, max_steps: int = 400) -> list[Step]:
    """One episode: ``(observation, reward, terminated, truncated, role, kind)`` per step.

    The first entry is the reset observation (reward None).
    """
    obs, info = env.reset(seed=seed)
    steps: list[Step] = [(obs, None, False, False, info["role"], "reset")]
    for _ in range(max_steps):
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        steps.append((obs, reward, terminated, truncated, info["role"], info["action_kind"]))
        if terminated or truncated:
            return steps
    pytest.fail(f"episode did not end within {max_steps} steps")


def finish_episode(env: gym.Env, policy: Any, obs: Any, info: dict[str, Any]) -> dict[str, Any]:
    """Step until the end; returns the last info with the last reward added."""
    for _ in range(400):
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        if terminated or truncated:
            return {**info, "reward": reward, "terminated": terminated}
    pytest.fail("episode did not end within 400 steps")


def _difficulties(env_id: str) -> list[int]:
    levels = domain_class(load_catalog_spec(env_id).domain).difficulties
    return [d for d in (1, 2, 3) if d in levels]


DIFFICULTIES = {env_id: _difficulties(env_id) for env_id in ENV_IDS}
#: One env per domain also goes through check_env with every wrapper gym.make adds (the
#: wrappers are Gymnasium's and the same for every env).
WRAPPED_CHECK_IDS = set(
    {load_catalog_spec(env_id).domain: env_id for env_id in reversed(ENV_IDS)}.values()
)


# -- conformance ----------------------------------------------------------------------


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_gymnasium_check_env(env_id: str) -> None:
    env = gym.make(env_id, render_mode="ansi")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped)
        assert [str(w.message) for w in caught] == []
        if env_id not in WRAPPED_CHECK_IDS:
            return
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # render and close were checked above
            check_env(env, skip_render_check=True, skip_close_check=True)
        unexpected = [str(w.message) for w in caught if "unwrapped" not in str(w.message)]
        assert unexpected == []
    finally:
        env.close()


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_make_with_module_prefix_and_close_is_idempotent(env_id: str) -> None:
    env = gym.make(f"nexgym:{env_id}")
    assert env.spec is not None and env.spec.id == env_id
    env.close()  # before any reset
    env.close()
    env = gym.make(env_id, render_mode="ansi")
    # the env enforces the order itself (it is registered without OrderEnforcing)
    with pytest.raises(gym.error.ResetNeeded):
        env.step("<tool_call>{}</tool_call>")
    with pytest.raises(gym.error.ResetNeeded):
        env.render()
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert isinstance(env.render(), str)
    env.step(OraclePolicy(env)(obs, info))
    env.close()
    env.close()


# -- determinism and pickling ---------------------------------------------------------


@pytest.mark.parametrize("env_id", DETERMINISTIC_IDS, ids=DETERMINISTIC_IDS)
def test_same_seed_same_trajectories(env_id: str, env_budget: Any) -> None:
    # a second episode (continuing the env's generator, no new seed) for one env per domain
    episodes = env_budget.count(env_id, 0.25, low=1, high=2 if env_id in WRAPPED_CHECK_IDS else 1)

    def trajectories(control: str, make_policy: Any) -> list[list[Step]]:
        limit = RANDOM_STEPS if make_policy is RandomPolicy else None
        env = gym.make(env_id, control=control, teammate_error_rate=0.2, max_episode_steps=limit)
        policy = make_policy(env)
        out = [play(env, policy, seed=7 if i == 0 else None) for i in range(episodes)]
        env.close()
        return out

    for control, make_policy in (("root", OraclePolicy), ("all", RandomPolicy)):
        first = trajectories(control, make_policy)
        second = trajectories(control, make_policy)
        assert first == second, f"{control}/{make_policy.__name__} trajectories differ"


@pytest.mark.parametrize("env_id", DETERMINISTIC_IDS, ids=DETERMINISTIC_IDS)
def test_pickle_mid_episode_continues_identically(env_id: str) -> None:
    # erring teammates draw from the env's generator during steps and the random policy
    # between them: the unpickled env must hold the very same generator state
    for control, make_policy in (("root", OraclePolicy), ("all", RandomPolicy)):
        limit = RANDOM_STEPS if make_policy is RandomPolicy else None
        env = gym.make(env_id, control=control, teammate_error_rate=0.3, max_episode_steps=limit)
        policy = make_policy(env)
        length = len(play(env, policy, seed=3)) - 1
        obs, info = env.reset(seed=3)
        for _ in range(length // 2):
            obs, _, _, _, info = env.step(policy(obs, info))
        clone = pickle.loads(pickle.dumps(env))
        base, restored = env.unwrapped, clone.unwrapped
        assert restored.runtime.tool_log == base.runtime.tool_log
        assert restored.runtime.transcripts == base.runtime.transcripts
        assert restored.np_random.bit_generator.state == base.np_random.bit_generator.state
        clone_policy = make_policy(clone)
        clone_obs, clone_info = obs, info
        while True:
            action = policy(obs, info)
            assert clone_policy(clone_obs, clone_info) == action
            obs, reward, terminated, truncated, info = env.step(action)
            clone_obs, clone_reward, *clone_ends, clone_info = clone.step(action)
            assert (clone_obs, clone_reward, clone_ends) == (obs, reward, [terminated, truncated])
            assert clone_info["role"] == info["role"]
            if terminated or truncated:
                break
        assert restored.runtime.trace.to_dicts() == base.runtime.trace.to_dicts()
        env.close()
        clone.close()


# -- solvability ----------------------------------------------------------------------


@pytest.mark.parametrize("control", ["root", "all"])
@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_oracle_solves_sampled_tasks(env_id: str, control: str) -> None:
    for difficulty in DIFFICULTIES[env_id]:
        env = gym.make(env_id, control=control, difficulty=difficulty)
        policy = OraclePolicy(env)
        obs, info = env.reset(seed=100 + difficulty)
        end = finish_episode(env, policy, obs, info)
        env.close()
        where = f"difficulty {difficulty}, task seed {end['task_seed']}"
        assert end["stop_reason"] == "finished", where
        assert end["terminated"] and end["success"], where
        assert end["reward"] == 1.0 and end["score"] == 1.0, where


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_random_policy_mostly_fails(env_id: str, env_budget: Any) -> None:
    # the policy plays every role, so no oracle sub-agent does the work for it;
    # envs with expensive episodes (real repositories) play fewer of them
    episodes = env_budget.count(env_id, 1.5, low=6, high=RANDOM_EPISODES)
    env = gym.make(env_id, control="all", max_episode_steps=RANDOM_STEPS)
    policy = RandomPolicy(env)
    successes = 0
    for episode in range(episodes):
        obs, info = env.reset(seed=episode)
        successes += bool(finish_episode(env, policy, obs, info).get("success"))
    env.close()
    assert successes / episodes < 0.5, f"{successes} of {episodes} random episodes succeeded"


# -- lookups and import ----------------------------------------------------------------


def test_catalog_is_not_empty_and_every_spec_loads() -> None:
    assert ENV_IDS, "no nex/... env is registered"
    for env_id in ENV_IDS:
        assert env_id.startswith("nex/") and env_id.endswith("-v0")
        assert load_catalog_spec(env_id).name == env_id[4:-3]


def test_unknown_id_suggests_the_closest_ids() -> None:
    env_id = ENV_IDS[0]
    typo = env_id[:5] + env_id[6:]  # drop one letter of the name
    with pytest.raises(gym.error.NameNotFound, match="Did you mean"):
        gym.make(typo)
    with pytest.raises(UnknownNameError) as caught:
        load_catalog_spec(typo)
    assert env_id in caught.value.suggestions
    assert "Did you mean" in str(caught.value)


_IMPORT_PROBE = """
import json, sys, time
wall, cpu = time.perf_counter(), time.process_time()
import nexgym
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
heavy = sorted(m for m in {mods!r} if m in sys.modules)
print(json.dumps({{"wall": wall, "cpu": cpu, "heavy": heavy, "envs": len(nexgym.list_envs())}}))
"""


def test_import_is_light_and_fast() -> None:
    """``import nexgym`` in a fresh interpreter: no heavy module, under 0.5 s (best of 3).

    The bound applies to the process's CPU time: on shared CI cores wall time also counts
    the time other processes hold the CPU (it is reported in the message).
    """
    probes = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE.format(mods=HEAVY_MODULES)],
            capture_output=True,
            text=True,
            check=True,
        )
        probes.append(json.loads(out.stdout))
    assert all(p["heavy"] == [] for p in probes), probes
    assert probes[0]["envs"] == len(nexgym.list_envs())
    best_cpu = min(p["cpu"] for p in probes)
    best_wall = min(p["wall"] for p in probes)
    assert best_cpu < 0.5, f"import nexgym took {best_cpu:.3f} s CPU, {best_wall:.3f} s wall"
