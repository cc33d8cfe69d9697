"""NumericRoles: Discrete actions and Box observations for every role, SuperSuit-ready."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import supersuit as ss
from nexgym.wrappers import NumericRoles
from pettingzoo.test import parallel_api_test

import nexgym


def make(**kwargs: object) -> NumericRoles:
    return NumericRoles(nexgym.pz.parallel_env("nex/FileOps-v0", **kwargs), max_actions=16)


def test_passes_the_parallel_api_test() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # advice on agent names
        parallel_api_test(make(topology="decentralized"), num_cycles=8)


def test_indices_play_the_admissible_calls() -> None:
    env = make()
    observations, infos = env.reset(options={"task_seed": 0})
    space = env.observation_space("lead")
    assert space is env.observation_space("editor") and space.shape == (256 + 16,)
    assert all(space.contains(o) for o in observations.values())
    texts = infos["lead"]["action_texts"]
    mask = infos["lead"]["action_mask"]
    assert mask.sum() == len(texts) > 0 and not infos["reader"]["action_mask"].any()
    assert np.array_equal(observations["lead"][256:], mask.astype(np.float32))
    delegate = next(i for i, t in enumerate(texts) if '"name": "editor"' in t)
    _, _, _, _, infos = env.step({a: delegate for a in env.agents})
    assert env.unwrapped.runtime.active_role == "editor"
    assert infos["editor"]["action_mask"].any()


@pytest.mark.parametrize("action", ["past_the_end", -1, 10**30, None, np.nan, "x"])
def test_bad_indices_are_invalid_actions(action: object) -> None:
    env = make()
    _, infos = env.reset(options={"task_seed": 0})
    if action == "past_the_end":
        action = len(infos["lead"]["action_texts"])
    env.step({"lead": action})
    runtime = env.unwrapped.runtime
    assert runtime.invalid_actions == 1 and not runtime.done
    assert runtime.observe("lead").startswith("Invalid action")


def test_supersuit_vector_env_shares_one_policy_over_roles() -> None:
    vec = ss.pettingzoo_env_to_vec_env_v1(make(task_seeds=range(4), max_cycles=20))
    observations, _ = vec.reset(seed=0)
    assert observations.shape == (3, 256 + 16)
    penalties, episodes = 0.0, 0
    for _ in range(20):
        # index 15 is past every role's admissible calls: an invalid action for the actor
        observations, rewards, terminations, truncations, _ = vec.step(np.full(3, 15))
        penalties += float(rewards.sum())
        episodes += int((terminations | truncations).all())
    # the lead acts each cycle until the invalid-action budget (8) ends the episode
    assert episodes == 2 and penalties == pytest.approx(-0.02 * 20)  # one per cycle
    assert observations.shape == (3, 256 + 16)
    vec.close()


def test_the_old_name_still_works_with_a_deprecation_warning() -> None:
    import nexgym.pz

    with pytest.warns(DeprecationWarning, match="nexgym.wrappers.NumericRoles"):
        assert nexgym.pz.NumericRoles is NumericRoles
