"""The oracle root's messages carry only what it has observed, on every catalog env.

Each delegation message is read back with the teammate's reader; every argument value
it states must appear in what the sending role had seen before it sent it (its system
prompt, its task, the reports that came back), by the rules of
:mod:`nexgym.policies.observed`.
"""

from __future__ import annotations

import gymnasium as gym
import pytest
from nexgym.envs.domains import domain_class

import nexgym
from nexgym.policies import OraclePolicy
from nexgym.policies.lookup import schema_defaults
from nexgym.policies.observed import SeenText, role_seen, unseen_values
from nexgym.registry import load_catalog_spec
from nexgym.runtime.parsing import parse_action
from nexgym.teammates.instructions import InstructionReader

ENV_IDS = nexgym.list_envs()


def _hardest(env_id: str) -> int:
    return max(domain_class(load_catalog_spec(env_id).domain).difficulties)


@pytest.mark.parametrize("env_id", ENV_IDS, ids=ENV_IDS)
def test_oracle_messages_state_only_observed_values(env_id: str) -> None:
    env = gym.make(env_id, difficulty=_hardest(env_id))
    runtime = env.unwrapped.runtime
    domain = runtime.domain
    shown = {runtime.renames.get(n, n): n for n in domain.tool_names}
    reader = InstructionReader({s: domain.tool(n).parameters for s, n in shown.items()})
    policy = OraclePolicy(env)
    # the domain's task 7 on every env (each env's own seed-7 task would be another);
    # benchmarks/teammate_ablation.py and a sweep of tasks 0-2 on every env (0 leaks in
    # 3,900 episodes once the forward note was stated and the duplicate ids queried)
    # cover the others
    obs, info = env.reset(seed=7, options={"task_seed": 7})
    leaks, messages = [], 0
    for _ in range(400):
        action = policy(obs, info)
        call = parse_action(action)
        if set(getattr(call, "arguments", {})) == {"task"}:
            seen = role_seen(runtime.history(info["role"]))
            for asked in reader.read(call.arguments["task"]).calls:
                messages += 1
                defaults = schema_defaults(domain.tool(shown[asked.name]).parameters)
                leaks += [
                    (asked.describe(), u) for u in unseen_values(asked.arguments, seen, defaults)
                ]
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    env.close()
    assert not leaks, f"{len(leaks)} value(s) stated unseen in {messages} requests: {leaks[:3]}"


def test_the_check_catches_an_unseen_value() -> None:
    seen = SeenText(["In /etc/app/db.conf, set pool_size to 43."])
    assert unseen_values({"path": "/etc/app/db.conf", "new": "pool_size = 43"}, seen) == []
    assert unseen_values({"old": "pool_size = 21"}, seen) == ["old=pool_size = 21"]
    assert unseen_values({"amount": 17.5}, seen) == ["amount=17.5"]
    assert unseen_values({"limit": 50}, seen, {"limit": 20}) == []  # a setting, not a fact
    assert seen.with_text("pool_size = 21").has("pool_size = 21")
