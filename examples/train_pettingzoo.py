"""Train every role of a hierarchy at once: PettingZoo view, SuperSuit and SB3's PPO.

The PettingZoo Parallel view gives each role its own agent; ``NumericRoles`` turns
their text into numbers (each role's admissible tool calls as ``Discrete`` indices, the
hashed observation text plus the action mask as a ``Box``). SuperSuit then makes the
roles the slots of one vector env, so a single PPO policy is shared by all of them
(parameter sharing, as in PettingZoo's SB3 tutorials), each slot trained on its own
role's reward: the team's task score, invalid-action penalties and sub-task credit.

It prints the team's mean reward and success rate on the training tasks before and
after training (the untrained policy, then the trained one, both greedy), next to a
random choice among the admissible calls:

    python examples/train_pettingzoo.py                           # ~4 CPU-minutes
    python examples/train_pettingzoo.py --topology centralized --timesteps 60000

Needs ``pip install "nexgym[rl]"``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
import supersuit as ss
import torch
from nexgym.wrappers import NumericRoles
from stable_baselines3 import PPO

import nexgym

Chooser = Callable[[np.ndarray, dict[str, Any]], int]


def make_env(args: argparse.Namespace) -> NumericRoles:
    """The numeric Parallel env of the chosen hierarchy, on a small set of training tasks."""
    text_env = nexgym.pz.parallel_env(
        args.env,
        topology=args.topology,
        task_seeds=range(args.tasks),
        max_turns=args.max_turns,
        max_cycles=args.max_cycles,
    )
    return NumericRoles(text_env, max_actions=args.max_actions, features=args.features)


def evaluate(args: argparse.Namespace, choose: Chooser, episodes: int) -> tuple[float, float]:
    """Mean team reward (the lead role's return) and success rate over the training tasks."""
    env = make_env(args)
    lead = env.unwrapped.runtime.lead_role
    returns, solved = [], 0
    for k in range(episodes):
        observations, infos = env.reset(seed=k, options={"task_seed": k % args.tasks})
        total = 0.0
        while env.agents:
            acting = [a for a in env.agents if infos[a]["acting"]]
            actions = {a: choose(observations[a], infos[a]) for a in acting}
            observations, rewards, _, _, infos = env.step(actions)
            total += rewards[lead]
        returns.append(total)
        solved += bool(infos[lead].get("success"))
    env.close()
    return float(np.mean(returns)), solved / episodes


def main() -> None:
    """Train, and print reward and success before and after."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="nex/FileOps-v0", help="a catalog id or spec path")
    parser.add_argument("--topology", default=None, help="re-shape the hierarchy first")
    parser.add_argument("--timesteps", type=int, default=30_000, help="PPO steps (all roles)")
    parser.add_argument("--tasks", type=int, default=8, help="training task seeds 0..tasks-1")
    parser.add_argument("--envs", type=int, default=4, help="parallel copies of the env")
    parser.add_argument("--max-turns", type=int, default=6)
    parser.add_argument("--max-cycles", type=int, default=30)
    parser.add_argument("--max-actions", type=int, default=24)
    parser.add_argument("--features", type=int, default=256)
    parser.add_argument("--episodes", type=int, default=40, help="evaluation episodes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    vec = ss.pettingzoo_env_to_vec_env_v1(make_env(args))
    vec = ss.concat_vec_envs_v1(vec, args.envs, num_cpus=0, base_class="stable_baselines3")
    # SuperSuit's SB3 wrapper cannot seed() (so no PPO(seed=...)): seed each copy below it
    vec.venv.reset(seed=args.seed)
    torch.manual_seed(args.seed)
    model = PPO(
        "MlpPolicy",
        vec,
        n_steps=256,
        batch_size=256,
        learning_rate=1e-3,
        ent_coef=0.01,
        gamma=0.98,
        verbose=0,
    )
    rng = np.random.default_rng(args.seed)

    def greedy(observation: np.ndarray, info: dict[str, Any]) -> int:
        return int(model.predict(observation, deterministic=True)[0])

    def random_admissible(observation: np.ndarray, info: dict[str, Any]) -> int:
        live = np.flatnonzero(info["action_mask"])
        return int(rng.choice(live)) if len(live) else 0

    chance = evaluate(args, random_admissible, args.episodes)
    before = evaluate(args, greedy, args.episodes)
    print(f"random admissible calls: reward {chance[0]:+.3f}, success {chance[1]:.0%}")
    print(f"before training:         reward {before[0]:+.3f}, success {before[1]:.0%}")
    model.learn(total_timesteps=args.timesteps)
    after = evaluate(args, greedy, args.episodes)
    label = f"after {args.timesteps} steps:"
    print(f"{label:<25}reward {after[0]:+.3f}, success {after[1]:.0%}")
    vec.close()


if __name__ == "__main__":
    main()
