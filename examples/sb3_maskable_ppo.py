"""Train sb3-contrib's MaskablePPO on a nexgym env and test it on held-out tasks.

The text env becomes numeric with two wrappers: ``DiscreteActions`` (the admissible
tool calls of the acting role as indices, with ``action_masks()``) and
``HashedObservation`` (hashed bag-of-words features in a ``Box``). Training draws tasks
from a training split of task seeds (``task_seeds=``); the test plays tasks the
training never saw (``reset(options={"task_seed": k})``), next to a random choice among
the same admissible actions.

    python examples/sb3_maskable_ppo.py                     # ~2 minutes on a laptop CPU
    python examples/sb3_maskable_ppo.py --env nex/FileSolo-v0 --timesteps 20000

Needs ``pip install "nexgym[rl]"``. ``benchmarks/sb3_learning.py`` is the full study.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np
from nexgym.wrappers import DiscreteActions, HashedObservation
from sb3_contrib import MaskablePPO
from stable_baselines3.common.env_util import make_vec_env

import nexgym  # noqa: F401  (registers the catalog)

TRAIN_TASK_SEEDS = range(1_000)
TEST_TASK_SEED_START = 1_000_000


def make_env(env_id: str, train: bool) -> gym.Env:
    """The env as SB3 needs it: discrete masked actions, Box observations."""
    task_seeds = TRAIN_TASK_SEEDS if train else None
    env = gym.make(env_id, max_turns=6, task_seeds=task_seeds)
    return HashedObservation(DiscreteActions(env), dim=512, action_dim=16)


def success_rate(env_id: str, choose, episodes: int) -> float:  # type: ignore[no-untyped-def]
    """Share of held-out tasks solved by ``choose(env, observation) -> index``."""
    env = make_env(env_id, train=False)
    solved = 0
    for k in range(episodes):
        obs, info = env.reset(seed=k, options={"task_seed": TEST_TASK_SEED_START + k})
        terminated = truncated = False
        while not (terminated or truncated):
            obs, _, terminated, truncated, info = env.step(choose(env, obs))
        solved += bool(info.get("success"))
    env.close()
    return solved / episodes


def main() -> None:
    """Train, then compare the greedy policy with random admissible actions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="nex/FileSolo-v0", help="a nexgym env id")
    parser.add_argument("--timesteps", type=int, default=5_000)
    parser.add_argument("--episodes", type=int, default=50, help="held-out test tasks")
    args = parser.parse_args()
    env_id = args.env

    venv = make_vec_env(lambda: make_env(env_id, train=True), n_envs=4, seed=0)
    model = MaskablePPO("MlpPolicy", venv, n_steps=256, batch_size=256, seed=0, verbose=0)
    model.learn(args.timesteps)

    def greedy(env: gym.Env, obs: np.ndarray) -> int:
        masks = env.get_wrapper_attr("action_masks")()
        return int(model.predict(obs, action_masks=masks, deterministic=True)[0])

    rng = np.random.default_rng(0)

    def random_admissible(env: gym.Env, obs: np.ndarray) -> int:
        return int(rng.choice(np.flatnonzero(env.get_wrapper_attr("action_masks")())))

    print(f"{env_id}: {args.timesteps} training steps on {len(TRAIN_TASK_SEEDS)} task seeds")
    learned = success_rate(env_id, greedy, args.episodes)
    chance = success_rate(env_id, random_admissible, args.episodes)
    print(f"  MaskablePPO success on {args.episodes} held-out tasks: {learned:.2f}")
    print(f"  random admissible actions on the same tasks: {chance:.2f}")


if __name__ == "__main__":
    main()
