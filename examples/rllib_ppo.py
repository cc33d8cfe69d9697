"""Train PPO with RLlib on a nexgym env, single-agent or multi-agent (one policy per role).

The text env becomes numeric with nexgym's wrappers: ``DiscreteActions`` (the
admissible tool calls as indices, with a mask) and hashed bag-of-words features. The
mask rides along in the observation, ``{"action_mask": ..., "observations": ...}``,
for RLlib's action-masking PPO module. Invalid indices are no problem either way: the
env answers them with an invalid-action observation.

Single-agent (a local Ray instance, a few minutes on a laptop CPU)::

    python examples/rllib_ppo.py --env nex/FileSolo-v0 --iterations 5

Multi-agent: every role of the hierarchy is an agent of the PettingZoo parallel view
(``nexgym.pz.parallel_env`` with ``nexgym.wrappers.NumericRoles``, the per-role
counterpart of the two wrappers), each with its own policy::

    python examples/rllib_ppo.py --env nex/FileOps-v0 --multi-agent --iterations 5

Needs ``pip install "nexgym[rl,dist]"``.
"""

from __future__ import annotations

import argparse
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from nexgym.wrappers import DiscreteActions, HashedObservation

import nexgym  # noqa: F401  (registers the catalog)

MAX_ACTIONS = 32
FEATURES = 256


class MaskInObservation(gym.ObservationWrapper):
    """Put the ``DiscreteActions`` mask next to the features, as RLlib's masking module wants."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        n = int(env.action_space.n)
        self.observation_space = spaces.Dict(
            {
                "action_mask": spaces.Box(0.0, 1.0, (n,), np.float32),
                "observations": env.observation_space,
            }
        )

    def observation(self, observation: np.ndarray) -> dict[str, np.ndarray]:
        """The features and the current mask."""
        mask = self.env.get_wrapper_attr("action_masks")().astype(np.float32)
        return {"action_mask": mask, "observations": observation}


def make_single_agent(config: dict[str, Any]) -> gym.Env:
    """One role (the root) with discrete actions and hashed features plus mask."""
    env = gym.make(config["env_id"], max_turns=config.get("max_turns", 8))
    env = HashedObservation(DiscreteActions(env, max_actions=MAX_ACTIONS), dim=FEATURES)
    return MaskInObservation(env)


def make_multi_agent(config: dict[str, Any]) -> Any:
    """The PettingZoo parallel view, each role with masked discrete actions (NumericRoles)."""
    from nexgym.wrappers import NumericRoles
    from pettingzoo.utils import BaseParallelWrapper
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

    import nexgym.pz

    class MaskAsDict(BaseParallelWrapper):
        """NumericRoles' ``[features | mask]`` Box as RLlib's ``{observations, action_mask}``."""

        def __init__(self, env: Any) -> None:
            super().__init__(env)
            self._space = spaces.Dict(
                {
                    "action_mask": spaces.Box(0.0, 1.0, (MAX_ACTIONS,), np.float32),
                    "observations": spaces.Box(0.0, 1.0, (FEATURES,), np.float32),
                }
            )

        def observation_space(self, agent: str) -> spaces.Space:
            return self._space

        def _split(self, observations: dict[str, np.ndarray]) -> dict[str, Any]:
            return {
                agent: {"action_mask": obs[FEATURES:], "observations": obs[:FEATURES]}
                for agent, obs in observations.items()
            }

        def reset(self, seed: int | None = None, options: dict | None = None) -> Any:
            observations, infos = self.env.reset(seed=seed, options=options)
            return self._split(observations), infos

        def step(self, actions: dict[str, Any]) -> Any:
            observations, *rest = self.env.step(actions)
            return (self._split(observations), *rest)

    env = nexgym.pz.parallel_env(config["env_id"], max_turns=config.get("max_turns", 8))
    env = NumericRoles(env, max_actions=MAX_ACTIONS, features=FEATURES)
    return ParallelPettingZooEnv(MaskAsDict(env))


def main() -> None:
    """Parse the arguments, build PPO, train and print each iteration's return."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="nex/FileSolo-v0", help="a nexgym env id")
    parser.add_argument("--iterations", type=int, default=3, help="PPO training iterations")
    parser.add_argument("--batch", type=int, default=512, help="env steps per iteration")
    parser.add_argument("--multi-agent", action="store_true", help="one policy per role")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray instance")
    args = parser.parse_args()

    import ray
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec
    from ray.rllib.examples.rl_modules.classes.action_masking_rlm import (
        ActionMaskingTorchRLModule,
    )
    from ray.tune.registry import register_env

    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    env_config = {"env_id": args.env, "max_turns": 8}
    module = RLModuleSpec(
        module_class=ActionMaskingTorchRLModule,
        model_config={"head_fcnet_hiddens": [64, 64], "head_fcnet_activation": "relu"},
    )
    config = (
        PPOConfig()
        .env_runners(num_env_runners=0, num_envs_per_env_runner=1)
        .training(
            train_batch_size_per_learner=args.batch,
            minibatch_size=min(128, args.batch),
            num_epochs=4,
            lr=3e-4,
        )
    )
    if args.multi_agent:
        register_env("nexgym-parallel", make_multi_agent)
        roles = list(gym.make(args.env).unwrapped.hierarchy.agent_names)
        config = (
            config.environment("nexgym-parallel", env_config=env_config)
            .multi_agent(policies=set(roles), policy_mapping_fn=lambda agent, *a, **k: agent)
            .rl_module(
                rl_module_spec=MultiRLModuleSpec(rl_module_specs=dict.fromkeys(roles, module))
            )
        )
    else:
        register_env("nexgym", make_single_agent)
        config = config.environment("nexgym", env_config=env_config).rl_module(
            rl_module_spec=module
        )
    algo = config.build_algo()
    try:
        for iteration in range(1, args.iterations + 1):
            result = algo.train()
            runners = result.get("env_runners", {})
            print(
                f"iteration {iteration}: "
                f"episode return mean {runners.get('episode_return_mean', float('nan')):.3f}, "
                f"episodes {runners.get('num_episodes', 0)}, "
                f"env steps {result.get('num_env_steps_sampled_lifetime', 0)}",
                flush=True,
            )
    finally:
        algo.stop()
        ray.shutdown()


if __name__ == "__main__":
    main()
