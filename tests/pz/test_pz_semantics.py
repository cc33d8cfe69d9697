"""What the PettingZoo views promise: turn order, observations, rewards, bad input."""

from __future__ import annotations

import pytest

import nexgym
from nexgym.error import ConfigError, UnknownNameError
from nexgym.policies import OraclePolicy
from nexgym.pz.episode import WAITING
from nexgym.runtime.frames import EpisodeOver
from nexgym.tools import ToolCall

FILE_OPS = "nex/FileOps-v0"
# files task 0: "In /etc/app/cache.conf, set pool_size to 43 ..." (one replace_in_file)
SET_POOL = ToolCall(
    "replace_in_file",
    {"path": "/etc/app/cache.conf", "old": "pool_size = 21", "new": "pool_size = 43"},
).to_text()


def call(name: str, **arguments: object) -> dict[str, str]:
    return {"text": ToolCall(name, dict(arguments)).to_text()}


def play_aec(env: nexgym.pz.NexAECEnv, actions: dict[str, list[object]]) -> dict[str, float]:
    """Step scripted actions per agent (in the order the env selects agents); sum rewards."""
    totals = dict.fromkeys(env.possible_agents, 0.0)
    queues = {a: list(v) for a, v in actions.items()}
    for agent in env.agent_iter(200):
        _, reward, terminated, truncated, _ = env.last()
        totals[agent] += reward
        env.step(None if terminated or truncated else queues[agent].pop(0))
    assert not env.agents
    return totals


# -- turn order and observations ------------------------------------------------------


def test_aec_selection_follows_the_call_stack() -> None:
    env = nexgym.pz.env(FILE_OPS)
    env.reset(options={"task_seed": 0})
    assert env.agent_selection == "lead"
    assert env.observe("editor") == {"text": WAITING}
    assert "# Task" in env.observe("lead")["text"]
    env.step(call("editor", task="Set pool_size to 43 in /etc/app/cache.conf"))
    assert env.agent_selection == "editor"
    assert env.observe("lead") == {"text": WAITING}  # a caller waits for its sub-agent
    assert env.infos["editor"]["acting"] and not env.infos["lead"]["acting"]
    env.step({"text": SET_POOL})
    env.step(call("finish", answer="pool_size is 43"))
    assert env.agent_selection == "lead"
    assert "pool_size is 43" in env.observe("lead")["text"]
    assert env.infos["reader"]["turn"] == 3


def test_parallel_cycle_plays_only_the_acting_agent() -> None:
    env = nexgym.pz.parallel_env(FILE_OPS)
    observations, infos = env.reset(options={"task_seed": 0})
    assert [a for a in env.agents if infos[a]["acting"]] == ["lead"]
    assert observations["reader"] == {"text": WAITING}
    delegate = call("editor", task="Set pool_size to 43 in /etc/app/cache.conf")
    # the editor's action is ignored: it had nothing to do when the cycle began
    observations, *_, infos = env.step({"lead": delegate, "editor": {"text": SET_POOL}})
    assert env.runtime.turns == 1 and infos["editor"]["acting"]
    assert "# Task" in observations["editor"]["text"]


def test_the_team_root_briefs_each_peer_on_its_own_world() -> None:
    env = nexgym.pz.env(FILE_OPS, topology="independent")
    env.reset(options={"task_seed": 0})
    assert env.agent_selection == "team"
    assert "set pool_size to 43" in env.observe("team")["text"]
    env.step(call("peer_1", task="Show me /etc/app/cache.conf"))
    assert env.agent_selection == "peer_1"
    opening = env.observe("peer_1")["text"]
    # the peer's task is the message it was sent, not the task the team was given
    assert "# Task\nShow me /etc/app/cache.conf" in opening and "pool_size to 43" not in opening
    worlds = [env.runtime.world_of(p) for p in env.possible_agents]
    assert worlds == [3, 0, 1, 2]  # the team's world comes after the peers' own


# -- rewards --------------------------------------------------------------------------


def test_rewards_task_score_penalties_and_subtask_credit() -> None:
    env = nexgym.pz.env(FILE_OPS, subtask_credit=0.25, invalid_penalty=0.05)
    env.reset(options={"task_seed": 0})
    task = "Set pool_size to 43 in /etc/app/cache.conf"
    totals = play_aec(
        env,
        {
            # delegates, re-assigns at once (no credit), then accepts (credit)
            "lead": [
                call("editor", task=task),
                call("editor", task=task),
                "oops",
                call("finish", answer="done"),
            ],
            "editor": [
                call("finish", answer="nothing yet"),
                {"text": SET_POOL},
                call("finish", answer="set"),
            ],
            "reader": [],
        },
    )
    assert env.runtime.verdict is not None and env.runtime.verdict.solved
    assert env.runtime.accepted == ["editor"]
    assert totals == pytest.approx({"lead": 1.0 - 0.05, "editor": 1.0 + 0.25, "reader": 1.0})


def test_parallel_rewards_match_aec_on_the_same_episode() -> None:
    aec = nexgym.pz.env(FILE_OPS, topology="centralized", difficulty=2)
    aec.reset(seed=4)
    oracle = OraclePolicy(aec)
    totals = dict.fromkeys(aec.possible_agents, 0.0)
    for agent in aec.agent_iter():
        obs, reward, terminated, truncated, info = aec.last()
        totals[agent] += reward
        aec.step(None if terminated or truncated else oracle(obs, info))
    parallel = nexgym.pz.parallel_env(FILE_OPS, topology="centralized", difficulty=2)
    observations, infos = parallel.reset(seed=4)
    oracle = OraclePolicy(parallel)
    ptotals = dict.fromkeys(parallel.possible_agents, 0.0)
    while parallel.agents:
        acting = [a for a in parallel.agents if infos[a]["acting"]]
        actions = {a: oracle(observations[a], infos[a]) for a in acting}
        observations, rewards, terminations, truncations, infos = parallel.step(actions)
        for agent, reward in rewards.items():
            ptotals[agent] += reward
    assert all(terminations.values()) and not any(truncations.values())
    assert totals == pytest.approx(ptotals)
    credited = len(aec.runtime.accepted)
    assert credited >= 1
    assert sum(totals.values()) == pytest.approx(4 * 1.0 + 0.1 * credited)


def test_truncation_after_max_cycles_still_scores_the_task() -> None:
    env = nexgym.pz.parallel_env(FILE_OPS, max_cycles=3)
    env.reset(options={"task_seed": 0})
    for cycle in range(3):
        assert env.agents, f"ended early at cycle {cycle}"
        _, rewards, terminations, truncations, infos = env.step({"lead": "no call here"})
    assert all(truncations.values()) and not any(terminations.values())
    assert infos["lead"]["stop_reason"] == "max_cycles" and env.agents == []
    assert rewards["reader"] == pytest.approx(infos["reader"]["score"])
    assert rewards["lead"] == pytest.approx(infos["lead"]["score"] - 0.02)


# -- bad input ------------------------------------------------------------------------


def test_parallel_rejects_unknown_agents_before_playing() -> None:
    env = nexgym.pz.parallel_env(FILE_OPS)
    env.reset(options={"task_seed": 0})
    with pytest.raises(UnknownNameError, match="edittor"):
        env.step({"lead": SET_POOL, "edittor": SET_POOL})
    assert env.runtime.turns == 0 and env.agents == env.possible_agents


def test_parallel_missing_acting_agent_passes_its_cycle() -> None:
    env = nexgym.pz.parallel_env(FILE_OPS, max_cycles=2)
    observations, _ = env.reset(options={"task_seed": 0})
    observations2, rewards, _, _, infos = env.step({"reader": "ignored"})
    assert infos["lead"]["skipped"] and env.runtime.turns == 0
    assert observations2["lead"] == observations["lead"]
    assert rewards == dict.fromkeys(env.possible_agents, 0.0)


def test_parallel_step_after_the_end_raises() -> None:
    env = nexgym.pz.parallel_env(FILE_OPS)
    env.reset(options={"task_seed": 0})
    env.step({"lead": call("finish", answer="x")})
    assert env.agents == []
    with pytest.raises(EpisodeOver, match="reset"):
        env.step({})


def test_aec_dead_agent_must_step_none_and_nothing_steps_after_the_end() -> None:
    env = nexgym.pz.env(FILE_OPS)
    env.reset(options={"task_seed": 0})
    env.step(call("finish", answer="x"))
    assert all(env.terminations.values())
    with pytest.raises(ValueError, match="None"):
        env.step(call("finish", answer="again"))
    for _ in env.agent_iter():
        env.step(None)
    assert env.agents == []
    with pytest.raises(EpisodeOver):
        env.step(None)


@pytest.mark.parametrize(
    "action",
    [None, 17, b"\xff\xfe", {"no_text": 1}, {"text": None}, {"text": "x" * 70_000}, ["list"]],
    ids=["none", "int", "bytes", "dict", "text-none", "huge", "list"],
)
def test_any_action_is_an_observation_never_a_crash(action: object) -> None:
    env = nexgym.pz.env(FILE_OPS, topology="hybrid")
    env.reset(options={"task_seed": 0})
    env.step(action)
    assert env.runtime.invalid_actions == 1 and not env.runtime.done
    text = env.observe(env.agent_selection)["text"]
    assert text.startswith("Invalid action")
    assert env.observation_space(env.agent_selection).contains(env.observe(env.agent_selection))
    assert env.rewards["orchestrator"] == pytest.approx(-0.02)


def test_bad_configuration_names_the_field() -> None:
    with pytest.raises(ConfigError, match="turn_order"):
        nexgym.pz.env(FILE_OPS, turn_order="random")
    with pytest.raises(ConfigError, match="max_cycles"):
        nexgym.pz.parallel_env(FILE_OPS, max_cycles=0)
    with pytest.raises(UnknownNameError, match="FileOps"):
        nexgym.pz.env("nex/FileOpz-v0")
    with pytest.raises(ConfigError, match="topology_params"):
        nexgym.pz.env(FILE_OPS, topology="centralized", topology_params={"workers": 2})


def test_spaces_are_the_same_object_on_every_call() -> None:
    env = nexgym.pz.parallel_env(FILE_OPS, topology="decentralized")
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.action_space(agent) is env.action_space(agent)
        assert list(env.action_space(agent).spaces) == ["text"]
    sample = env.action_space("peer_1").sample()
    assert env.action_space("peer_1").contains(sample)


def test_render_ansi_shows_the_acting_role() -> None:
    env = nexgym.pz.env(FILE_OPS, render_mode="ansi")
    env.reset(options={"task_seed": 0})
    text = env.render()
    assert text is not None and "-- lead --" in text and "# Task" in text


def test_the_runtime_refuses_an_action_from_the_wrong_agent() -> None:
    """What the AEC view relies on: only the selected role may act; nothing changes otherwise."""
    env = nexgym.pz.env(FILE_OPS)
    env.reset(options={"task_seed": 0})
    with pytest.raises(EpisodeOver, match="expected role 'lead'"):
        env.runtime.act("reader", SET_POOL)
    peers = nexgym.pz.env(FILE_OPS, topology="decentralized")
    peers.reset(options={"task_seed": 0})
    peers.step(call("peer_0", task="look at the config"))  # the team waits for peer_0
    with pytest.raises(EpisodeOver, match="expected role 'peer_0'"):
        peers.runtime.act("team", SET_POOL)
    with pytest.raises(EpisodeOver, match="expected role 'peer_0'"):
        peers.runtime.act("peer_1", SET_POOL)
    assert env.runtime.turns == 0 and peers.runtime.turns == 1
    assert peers.agent_selection == "peer_0"
