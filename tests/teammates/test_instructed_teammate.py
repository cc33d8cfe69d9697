"""Teammates act on what they are told: the right thing, the wrong thing, or nothing.

Driven through real envs with the default teammates (``control="root"``): a scripted
root sends one message and the test reads the world, the tool log and the report.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import pytest
from nexgym.envs.domains import DOMAINS, list_domains
from nexgym.envs.worlds.library import is_world

import nexgym
from nexgym.policies import InstructedTeammate, OraclePolicy
from nexgym.registry import load_catalog_spec
from nexgym.runtime.parsing import parse_action
from nexgym.teammates.instructions import InstructionReader, phrase_request
from nexgym.tools import ToolCall


def _send(env: gym.Env, child: str, message: str) -> tuple[str, dict[str, Any]]:
    """The root's one delegation; returns the root's next observation and info."""
    obs, _, terminated, truncated, info = env.step(ToolCall(child, {"task": message}).to_text())
    assert not (terminated or truncated)
    assert info["role"] == env.unwrapped.runtime.spec.root
    return obs, info


def _mutations(env: gym.Env) -> list[ToolCall]:
    runtime = env.unwrapped.runtime
    return [r.call for r in runtime.tool_log if runtime.domain.tool(r.call.name).mutates]


def test_default_teammates_are_instructed() -> None:
    env = gym.make("nex/FileOps-v0")
    team = env.unwrapped.teammates
    assert team and all(isinstance(p, InstructedTeammate) for p in team.values())

    def custom(observation: Any, info: dict[str, Any]) -> str:
        return ToolCall("finish", {"answer": f"custom {info['role']}"}).to_text()

    env = gym.make("nex/FileOps-v0", teammates={"editor": custom})
    env.reset(seed=0)
    obs, _ = _send(env, "editor", "anything")
    assert "custom editor" in obs
    assert isinstance(env.unwrapped.teammates["reader"], InstructedTeammate)


def test_told_99_it_sets_99() -> None:
    env = gym.make("nex/FileOps-v0")
    env.reset(seed=0, options={"task_seed": 0})  # the domain's task 0: one replacement
    task = env.unwrapped.runtime.task
    (step,) = task.plans[0]  # replace_in_file(path, old='pool_size = 21', new='pool_size = 43')
    wrong = dict(step.arguments, new="pool_size = 99")
    obs, _ = _send(
        env,
        "editor",
        f"Use replace_in_file with path={wrong['path']}, "
        f"old='{wrong['old']}', new='pool_size = 99'.",
    )
    assert "pool_size = 99" in obs and "replaced 1 occurrence" in obs
    world = env.unwrapped.runtime.backend.world(0)
    assert "pool_size = 99" in world.files[wrong["path"]]
    _, _, terminated, _, info = env.step(ToolCall("finish", {"answer": "Done."}).to_text())
    assert terminated and not info["success"]


def _tree_envs(domain: str) -> list[str]:
    """Catalog envs of ``domain`` whose root delegates to sub-agents."""
    return [
        env_id
        for env_id in nexgym.list_envs()
        if load_catalog_spec(env_id).domain == domain
        and load_catalog_spec(env_id).topology in ("tree", "centralized")
    ]


class _OneRequestRoot(OraclePolicy):
    """The oracle root until it asks for ``target``; then it answers and stops.

    With ``corrupt`` the request for ``target`` carries a wrong value. The answer is the
    task's expected one, so only the world decides the outcome.
    """

    def __init__(self, env: Any, target: str, corrupt: bool) -> None:
        super().__init__(env)
        self.target, self.corrupt = target, corrupt
        self.sent: ToolCall | None = None

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        runtime = self.env.unwrapped.runtime
        if self.sent is not None:  # its report is back: stop here
            answer = runtime.task.answer or "Done."
            return ToolCall("finish", {"answer": answer}).to_text()
        action = self.call(observation, info)
        if set(action.arguments) == {"task"}:
            reader = InstructionReader({t.name: t.parameters for t in runtime.domain.tools})
            calls = reader.read(action.arguments["task"]).calls
            for i, call in enumerate(calls):
                if call.name == self.target:
                    calls[i] = self.sent = _corrupt(call) if self.corrupt else call
                    return ToolCall(action.name, {"task": phrase_request(calls)}).to_text()
        return action.to_text()


def _corrupt(call: ToolCall) -> ToolCall:
    """``call`` with its first number raised by one (or its first text changed)."""
    arguments = dict(call.arguments)
    for key, value in arguments.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            arguments[key] = value + 1
            return ToolCall(call.name, arguments)
    for key, value in arguments.items():
        if isinstance(value, str):
            arguments[key] = value + "-x"
            return ToolCall(call.name, arguments)
    raise AssertionError(f"nothing to corrupt in {call}")


def _play(env_id: str, seed: int, target: str, corrupt: bool) -> tuple[Any, _OneRequestRoot, Any]:
    env = gym.make(env_id)
    obs, info = env.reset(seed=seed, options={"task_seed": seed})
    root = _OneRequestRoot(env, target, corrupt)
    for _ in range(200):
        obs, _, terminated, truncated, info = env.step(root(obs, info))
        if terminated or truncated:
            break
    return env, root, info


def _last_delegated_step(env_id: str, seed: int, *, change: bool) -> str | None:
    """The last plan step a sub-agent makes (a change, or any step) in domain task ``seed``."""
    env = gym.make(env_id)
    env.reset(seed=seed, options={"task_seed": seed})
    runtime = env.unwrapped.runtime
    plan = OraclePolicy(env).choose_plan(runtime)
    root_tools = runtime.spec.agent(runtime.spec.root).tools
    steps = [
        s.name
        for s in plan
        if s.name not in root_tools and (runtime.domain.tool(s.name).mutates or not change)
    ]
    return steps[-1] if steps else None


# the hand-written domains (compiled worlds are covered by tests/worlds)
@pytest.mark.parametrize("domain", [d for d in list_domains() if not is_world(DOMAINS[d])])
def test_a_wrong_instruction_is_carried_out(domain: str) -> None:
    """Told a wrong value, the teammate uses it; the world ends off the goal.

    The same request with the right value, from the same point, solves the task. In a
    domain whose tasks are questions only, the wrong look-up is what gets made.
    """
    found = [
        (env_id, seed, target)
        for env_id in _tree_envs(domain)[:3]
        for seed in range(3)
        if (target := _last_delegated_step(env_id, seed, change=True)) is not None
    ]
    if not found:  # questions only: the wrong look-up is made and its result reported
        env_id = _tree_envs(domain)[0]
        target = _last_delegated_step(env_id, 0, change=False)
        assert target is not None
        env, root, _ = _play(env_id, 0, target, corrupt=True)
        runtime = env.unwrapped.runtime
        assert root.sent is not None
        told = ToolCall(target, runtime.domain.tool(target).validate(root.sent.arguments))
        assert told in [r.call for r in runtime.tool_log]
        return
    env_id, seed, target = found[0]
    _, right, right_info = _play(env_id, seed, target, corrupt=False)
    assert right.sent is not None and right_info["success"]
    wrong_env, wrong, wrong_info = _play(env_id, seed, target, corrupt=True)
    assert wrong.sent is not None and wrong.sent != right.sent
    runtime = wrong_env.unwrapped.runtime
    told = ToolCall(target, runtime.domain.tool(target).validate(wrong.sent.arguments))
    assert told in [r.call for r in runtime.tool_log], "the teammate did not do what it was told"
    assert not wrong_info["success"]


BAD_MESSAGES = {
    "empty": "",
    "too long": "Please read the config and fix it. " * 1_500,
    "other language": "Bitte aendere die Datei und melde dich danach bei mir.",
    "contradictory": "Use replace_in_file with path=/etc/app/x.conf, old='a = 1', new='a = 2', "
    "new='a = 3'.",
    "outside its tools": "Please call git_log() and delete_file(path='/etc/app/x.conf').",
}


@pytest.mark.parametrize("kind", BAD_MESSAGES)
def test_bad_messages_get_a_clear_report(kind: str) -> None:
    env = gym.make("nex/FileOps-v0")
    env.reset(seed=0)
    child = "editor" if kind != "outside its tools" else "reader"
    obs, _ = _send(env, child, BAD_MESSAGES[kind])
    report = obs.lower()
    if kind == "too long":
        assert "too long" in report
    assert "not done" in report or "i did nothing" in report, obs
    assert "i can call:" in report
    assert not _mutations(env)  # no silent work
    _, _, terminated, _, info = env.step(ToolCall("finish", {"answer": "Done."}).to_text())
    assert terminated and not info["success"]


def test_a_lead_routes_each_call_to_the_sub_agent_that_holds_it() -> None:
    env = gym.make("nex/FileDeepTree-v0")
    env.reset(seed=0, options={"task_seed": 0})  # a world with /etc/app/cache.conf
    path = "/etc/app/cache.conf"
    message = phrase_request(
        [ToolCall("list_dir", {"path": "/etc/app"}), ToolCall("file_info", {"path": path})]
    )
    obs, _ = _send(env, "code_lead", message)
    log = env.unwrapped.runtime.tool_log
    assert [(r.call.name, r.role) for r in log] == [
        ("list_dir", "searcher"),
        ("file_info", "code_lead"),
    ]
    assert "cache.conf" in obs and "file_info(path='/etc/app/cache.conf') returned" in obs


def test_a_megabyte_message_is_an_invalid_action_not_a_crash() -> None:
    env = gym.make("nex/FileOps-v0")
    env.reset(seed=0)
    action = ToolCall("editor", {"task": "fix it " * 300_000}).to_text()
    obs, reward, terminated, _, info = env.step(action)
    assert info["action_kind"] == "invalid" and "characters long" in obs and reward < 0
    assert not terminated and not env.unwrapped.runtime.tool_log


def test_failed_calls_are_reported_not_hidden() -> None:
    env = gym.make("nex/FileOps-v0")
    env.reset(seed=0)
    obs, _ = _send(env, "reader", "Please call read_file(path='/no/such/file.txt').")
    assert "Error" in obs and "read_file(path='/no/such/file.txt') returned" in obs
    attempts = [r for r in env.unwrapped.runtime.tool_log if r.call.name == "read_file"]
    assert 1 <= len(attempts) <= 3  # retried a few times, not forever


def test_sub_agent_descriptions_say_what_the_subtree_can_do() -> None:
    env = gym.make("nex/FileDeepTree-v0")
    _, info = env.reset(seed=0)
    described = {t["function"]["name"]: t["function"]["description"] for t in info["tools"]}
    assert "replace_in_file(path, old, new)" in described["ops_lead"]
    assert "read_file(path)" in described["code_lead"]


def test_the_oracle_looks_a_value_up_before_stating_it() -> None:
    env = gym.make("nex/FileOps-v0")
    obs, info = env.reset(seed=0, options={"task_seed": 0})  # a task that reads cache.conf first
    first = parse_action(OraclePolicy(env)(obs, info))
    assert isinstance(first, ToolCall) and first.name == "reader"
    assert "read_file(path='/etc/app/cache.conf')" in first.arguments["task"]
