from __future__ import annotations

import gymnasium as gym
import pytest
from nexgym.wrappers import Latency, ToolFaults

from nexgym.error import ConfigError
from nexgym.policies import OraclePolicy
from nexgym.policies.robust import RobustOraclePolicy

ENV_ID = "nex/FileSolo-v0"  # the root holds every tool: each step is one tool call


def _first_call(env: gym.Env, seed: int = 0):
    obs, info = env.reset(seed=seed)
    action = OraclePolicy(env)(obs, info)
    return env, obs, info, action


def test_transient_error_then_retry_clears():
    env = ToolFaults(gym.make(ENV_ID), error_rate=1.0)
    env, obs, _info, action = _first_call(env)
    obs, *_ = env.step(action)
    assert "temporarily unavailable" in obs
    record = env.unwrapped.runtime.tool_log[-1]
    assert not record.ok and record.meta == {"fault": "transient"}
    obs, *_ = env.step(action)  # the same call again goes through
    assert env.unwrapped.runtime.tool_log[-1].ok
    assert "Error" not in obs


def test_profile_error_texts_and_timeout_cost(make_profile):
    env = ToolFaults(gym.make(ENV_ID), make_profile(error_rate=1.0))
    env, obs, info, action = _first_call(env)
    obs, *_ = env.step(action)
    assert "upstream connection reset" in obs

    env = ToolFaults(gym.make(ENV_ID), timeout_rate=1.0, timeout_seconds=7.5)
    env, obs, info, action = _first_call(env)
    obs, _, _, _, info = env.step(action)
    assert "timed out" in obs
    assert env.unwrapped.runtime.tool_log[-1].meta == {"fault": "timeout"}
    assert info["clock"] == pytest.approx(7.5)


def test_timeout_is_not_charged_latency_twice(make_profile):
    env = Latency(
        ToolFaults(gym.make(ENV_ID), timeout_rate=1.0, timeout_seconds=7.5), make_profile()
    )
    env, _obs, _info, action = _first_call(env)
    env.step(action)
    assert env.unwrapped.runtime.clock == pytest.approx(7.5)


def test_outages_always_leave_an_oracle_plan_whole():
    env = ToolFaults(gym.make("nex/FileOps-v0", difficulty=2), outage_rate=1.0, outage_tools=3)
    blocked_some_plan = 0
    for seed in range(40):
        _, info = env.reset(seed=seed)
        down = set(info["unavailable_tools"])
        runtime = env.unwrapped.runtime
        held = runtime.spec.all_tools()
        plans = runtime.task.plans
        assert down and down <= held
        whole = [p for p in plans if not {s.name for s in p} & down and {s.name for s in p} <= held]
        assert whole, f"seed {seed}: every oracle plan is blocked by {down}"
        blocked_some_plan += any({s.name for s in p} & down for p in plans)
    assert blocked_some_plan >= 20  # outages go after the routes the other plans take


def test_unavailable_tool_fails_every_call_and_says_so():
    env = ToolFaults(gym.make(ENV_ID), outage_rate=1.0)
    for seed in range(20):
        _, info = env.reset(seed=seed)
        down = set(info["unavailable_tools"])
        steps = [s for p in env.unwrapped.runtime.task.plans for s in p if s.name in down]
        if steps:
            break
    assert steps, "no seed took down a tool an oracle plan uses"
    for attempt in range(3):  # retrying does not help
        obs, *_ = env.step(steps[0].to_text())
        record = env.unwrapped.runtime.tool_log[-1]
        assert record.call == steps[0] and not record.ok, attempt
        assert record.meta == {"fault": "unavailable"}
        assert "unavailable" in obs and "use another tool" in obs


def test_plain_oracle_gets_stuck_where_the_robust_oracle_reroutes(play_episode):
    def rates(policy_cls) -> tuple[int, int]:
        env = ToolFaults(gym.make("nex/FileOps-v0"), error_rate=0.2, outage_rate=1.0)
        policy = policy_cls(env)
        solved = 0
        for seed in range(12):
            solved += bool(play_episode(env, policy, seed)["info"]["success"])
        return solved, 12

    assert rates(RobustOraclePolicy) == (12, 12)
    plain, total = rates(OraclePolicy)
    assert plain < total


def test_same_seed_same_faults(play_episode):
    def log(seed: int):
        env = ToolFaults(
            gym.make("nex/FileOps-v0"), error_rate=0.3, timeout_rate=0.1, outage_rate=0.5
        )
        return play_episode(env, RobustOraclePolicy(env), seed)["log"]

    assert log(5) == log(5)
    assert any(meta for *_, meta in log(5) + log(6) + log(7))


def test_bad_rates_raise():
    with pytest.raises(ConfigError, match="error_rate"):
        ToolFaults(gym.make(ENV_ID), error_rate=1.5)
    with pytest.raises(ConfigError, match="error_rate \\+ timeout_rate"):
        ToolFaults(gym.make(ENV_ID), error_rate=0.6, timeout_rate=0.6)
    with pytest.raises(ConfigError, match="outage_tools"):
        ToolFaults(gym.make(ENV_ID), outage_tools=0)


def _in_memory_domains() -> list[str]:
    from nexgym.envs.domains import DOMAINS, domain_class, list_domains
    from nexgym.envs.worlds.library import hand_written

    return [
        d
        for d in list_domains()
        if hand_written(d, DOMAINS[d]) and not hasattr(domain_class(d), "tool_server")
    ]


def _solo_spec(domain: str) -> dict:
    from nexgym.envs.domains import domain_class

    tools = [t.name for t in domain_class(domain).tools]
    return {
        "name": "Solo" + "".join(p.title() for p in domain.split("_")),
        "description": f"One agent with every {domain} tool.",
        "domain": domain,
        "topology": "single",
        "root": "solo",
        "agents": [{"name": "solo", "role": "You do the task.", "tools": tools, "max_turns": 80}],
    }


@pytest.mark.parametrize("domain", _in_memory_domains())
def test_every_domain_outage_is_met_before_the_blocked_route_changes_anything(domain, play_episode):
    from nexgym.wrappers.noise.faults import task_routes

    import nexgym

    env = ToolFaults(
        nexgym.make_env(_solo_spec(domain), difficulty=2),
        error_rate=0.15,
        timeout_rate=0.05,
        outage_rate=1.0,
        outage_tools=2,
    )
    robust = RobustOraclePolicy(env)
    for seed in range(6):
        out = play_episode(env, robust, seed)
        assert out["info"]["success"], f"seed {seed}: {out['info']['stop_reason']}"
        runtime = env.unwrapped.runtime
        mutates = {t.name: t.mutates for t in runtime.domain.tools}
        for down in env.unavailable:
            for route in task_routes(runtime.task):
                names = [s.name for s in route]
                if down in names:
                    assert not any(mutates[n] for n in names[: names.index(down)])
