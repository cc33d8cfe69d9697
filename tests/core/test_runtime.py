"""The agent runtime: frames, sub-agent answers, limits, penalties, spans, histories, middleware."""

from __future__ import annotations

import json
from typing import Any

import gymnasium as gym
import pytest
from nexgym.envs.domains import get_domain

import nexgym
from nexgym.runtime import MAX_RESULT_CHARS, EpisodeOver, Runtime
from nexgym.spec import load_spec
from nexgym.tools import ToolCall, ToolResult
from nexgym.topology import build_runtime

CONF = "/etc/app/{service}.conf"


def make_spec(**changes: Any) -> Any:
    data: dict[str, Any] = {
        "name": "RuntimeDesk",
        "domain": "files",
        "topology": "tree",
        "root": "lead",
        "agents": [
            {
                "name": "lead",
                "role": "You lead.",
                "tools": ["list_dir"],
                "sub_agents": ["reader", "editor"],
            },
            {
                "name": "reader",
                "role": "You read.",
                "description": "Reads files.",
                "tools": ["read_file", "file_info"],
                "max_turns": 3,
            },
            {"name": "editor", "role": "You edit.", "tools": ["write_file", "replace_in_file"]},
        ],
    }
    data.update(changes)
    return load_spec(data)


def make_runtime(spec: Any = None, **kwargs: Any) -> Runtime:
    runtime = build_runtime(spec or make_spec(), get_domain("files"), **kwargs)
    runtime.reset(seed=0)
    return runtime


def call(name: str, **arguments: Any) -> str:
    return ToolCall(name, arguments).to_text()


def a_config(runtime: Runtime) -> str:
    return sorted(p for p in runtime.task.world.files if p.startswith("/etc/app/"))[0]


# -- frames ---------------------------------------------------------------------------


def test_sub_agent_call_pushes_a_frame_and_its_answer_pops_it() -> None:
    runtime = make_runtime()
    assert [f.agent.name for f in runtime.stack] == ["lead"]
    assert runtime.active_role == "lead"
    first = runtime.observe("lead")
    assert first.startswith("You are lead") and "# Task\n" in first

    outcome = runtime.act("lead", call("reader", task="Read the config."))
    assert outcome.kind == "subagent"
    assert [f.agent.name for f in runtime.stack] == ["lead", "reader"]
    assert runtime.active_role == "reader"
    assert runtime.observe("lead") == ""
    opening = runtime.observe("reader")
    assert opening.startswith("You are reader") and opening.endswith("# Task\nRead the config.")

    path = a_config(runtime)
    assert runtime.act("reader", call("read_file", path=path)).kind == "tool"
    assert runtime.observe("reader") == (
        f"<tool_response>\n{runtime.task.world.files[path]}\n</tool_response>"
    )
    assert runtime.act("reader", call("finish", answer="port is 8080")).kind == "finish"
    assert [f.agent.name for f in runtime.stack] == ["lead"]
    assert runtime.observe("lead") == "<tool_response>\nport is 8080\n</tool_response>"
    last = runtime.history("lead")[-1]
    assert last["role"] == "tool" and last["name"] == "reader"
    assert last["content"] == "port is 8080"
    assert not runtime.done


def test_root_finish_ends_the_episode_and_the_verifier_scores_it() -> None:
    runtime = make_runtime()
    runtime.act("lead", call("finish", answer="nothing"))
    assert runtime.done and runtime.stop_reason == "finished" and not runtime.truncated
    assert runtime.answer == "nothing" and runtime.active_role is None
    assert runtime.verdict is not None and 0.0 <= runtime.verdict.score < 1.0
    assert runtime.observe("lead").startswith("The episode is over (finished). Task score:")
    with pytest.raises(EpisodeOver):
        runtime.act("lead", call("finish", answer="again"))


def test_acting_out_of_turn_raises_episode_over() -> None:
    runtime = make_runtime()
    with pytest.raises(EpisodeOver, match="expected role 'lead' to act, got 'reader'"):
        runtime.act("reader", call("finish", answer="x"))


def test_sub_agent_turn_limit_returns_an_error_to_the_caller() -> None:
    runtime = make_runtime()
    runtime.act("lead", call("reader", task="Read forever."))
    for _ in range(3):  # reader's max_turns
        assert runtime.active_role == "reader"
        runtime.act("reader", call("file_info", path=a_config(runtime)))
    assert runtime.active_role == "lead"
    assert runtime.history("lead")[-1]["content"] == (
        "Error: reader stopped after 3 turns without calling finish"
    )
    reader_span = next(s for s in runtime.trace if s.kind == "subagent")
    assert reader_span.attributes["outcome"] == "turn_limit"
    assert reader_span.attributes["turns"] == 3
    assert not runtime.done


def test_root_turn_limit_truncates() -> None:
    runtime = make_runtime(max_turns=4)
    for _ in range(4):
        runtime.act("lead", call("list_dir", path="/"))
    assert runtime.done and runtime.stop_reason == "turn_limit" and runtime.truncated
    assert runtime.verdict is not None


def test_root_turn_limit_through_the_env_is_truncated_not_terminated() -> None:
    env = gym.make("nex/FileSolo-v0", max_turns=2)
    env.reset(seed=0)
    _, _, terminated, truncated, _ = env.step(call("list_dir", path="/"))
    assert (terminated, truncated) == (False, False)
    _, _, terminated, truncated, info = env.step(call("list_dir", path="/"))
    assert (terminated, truncated) == (False, True)
    assert info["stop_reason"] == "turn_limit"


def test_error_budget_terminates_and_penalties_are_charged() -> None:
    spec = make_spec(limits={"max_invalid_actions": 3})
    runtime = make_runtime(spec, invalid_penalty=0.1)
    outcome = runtime.act("lead", "hello")
    assert outcome.kind == "invalid" and outcome.penalty == 0.1
    assert outcome.detail == "no tool call found in the action"
    assert "(2 more invalid action(s) end the episode.)" in runtime.observe("lead")
    assert runtime.collect_penalties() == {"lead": -0.1, "reader": 0.0, "editor": 0.0}
    nothing = runtime.collect_penalties()
    assert nothing == {"lead": 0.0, "reader": 0.0, "editor": 0.0}
    assert nothing is runtime.zero_penalties  # the shared read-only zeros
    with pytest.raises(TypeError):
        nothing["lead"] = -1.0  # type: ignore[index]
    runtime.act("lead", call("reader", task="go"))
    runtime.act("reader", "not a call")  # the sub-agent's penalty is its own
    runtime.act("reader", call("finish", answer="ok"))
    assert runtime.collect_penalties()["reader"] == pytest.approx(-0.1)
    runtime.act("lead", "{")
    assert runtime.done and runtime.stop_reason == "error_budget" and not runtime.truncated
    assert runtime.invalid_actions == 3


def test_error_budget_through_the_env_terminates_with_penalties() -> None:
    env = nexgym.make_env(make_spec(limits={"max_invalid_actions": 2}).to_dict())
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step("nope")
    assert reward == pytest.approx(-0.02) and not terminated and not truncated
    assert info["action_kind"] == "invalid"
    assert info["invalid_reason"] == "no tool call found in the action"
    _, reward, terminated, truncated, info = env.step("nope")
    assert terminated and not truncated and info["stop_reason"] == "error_budget"
    assert reward == pytest.approx(-0.02 + info["score"])


def test_calls_outside_the_role_are_invalid_and_name_the_holder() -> None:
    runtime = make_runtime()
    runtime.act("lead", call("read_file", path="/x"))
    assert "'read_file' is not one of your tools (agent 'reader' holds it)" in runtime.observe(
        "lead"
    )
    runtime.act("lead", call("reader", task="go"))
    outcome = runtime.act("reader", call("lead", task="do it yourself"))  # its own parent
    assert outcome.kind == "invalid" and outcome.detail == "'lead' is not one of your tools"
    outcome = runtime.act("reader", call("editor", task="write"))  # a sibling
    assert outcome.kind == "invalid"
    assert runtime.active_role == "reader" and len(runtime.stack) == 2


def test_bad_arguments_are_invalid_and_name_the_argument() -> None:
    runtime = make_runtime()
    outcome = runtime.act("lead", call("list_dir", path=3))
    assert outcome.kind == "invalid"
    assert "invalid arguments for list_dir: argument 'path'" in outcome.detail
    outcome = runtime.act("lead", call("reader"))
    assert "invalid arguments for reader: missing required argument 'task'" in outcome.detail
    outcome = runtime.act("lead", call("finish", answer="x", extra=1))
    assert "unexpected argument 'extra'" in outcome.detail
    assert runtime.tool_log == []


def test_depth_limit_returns_an_error_to_the_caller() -> None:
    runtime = make_runtime(make_spec(limits={"max_depth": 1}))
    outcome = runtime.act("lead", call("reader", task="go"))
    assert outcome.detail == "depth limit" and runtime.active_role == "lead"
    assert "Error: sub-agent calls are nested 1 deep, the limit is 1" in runtime.observe("lead")


def test_tool_errors_are_results_not_invalid_actions() -> None:
    runtime = make_runtime()
    outcome = runtime.act("lead", call("list_dir", path="/nowhere"))
    assert outcome.kind == "tool" and outcome.detail == "error"
    assert "Error: no such directory: /nowhere" in runtime.observe("lead")
    (record,) = runtime.tool_log
    assert not record.ok and record.role == "lead" and "no such directory" in record.error
    assert runtime.collect_penalties()["lead"] == 0.0


def test_long_results_are_cut() -> None:
    runtime = make_runtime()
    runtime.act("lead", call("editor", task="write"))
    runtime.act(
        "editor", call("write_file", path="/big.txt", content="x" * (MAX_RESULT_CHARS + 500))
    )
    runtime.act("editor", call("finish", answer="done"))
    runtime.act("lead", call("reader", task="read"))
    runtime.act("reader", call("read_file", path="/big.txt"))
    seen = runtime.history("reader")[-1]["content"]
    assert seen.endswith("[... 500 more characters cut]")
    assert len(seen) < MAX_RESULT_CHARS + 50


def test_stop_from_outside_is_a_time_limit() -> None:
    runtime = make_runtime()
    runtime.stop("time_budget")
    assert runtime.done and runtime.truncated and runtime.verdict is not None
    runtime.stop("tool_budget")  # the first reason stays
    assert runtime.stop_reason == "time_budget"


# -- spans and histories ------------------------------------------------------------------


def test_spans_have_virtual_timestamps_and_parent_links() -> None:
    runtime = make_runtime(turn_seconds=1.0)
    runtime.middlewares.append(lambda c, role, call_next: _with_latency(call_next(c), 0.5))
    path = a_config(runtime)
    runtime.act("lead", call("reader", task="read"))  # t=1
    runtime.act("reader", call("read_file", path=path))  # t=2, +0.5 latency
    runtime.act("reader", call("finish", answer="done"))  # t=3.5
    runtime.act("lead", call("list_dir", path="/"))  # t=4.5, +0.5
    runtime.act("lead", call("finish", answer="ok"))  # t=6
    root, reader, read, listing = runtime.trace.spans
    assert (root.kind, root.parent, root.start, root.end) == ("agent", None, 0.0, 6.0)
    assert (reader.kind, reader.name, reader.parent) == ("subagent", "reader", root.id)
    assert (reader.start, reader.end) == (1.0, 3.5)
    assert reader.attributes["task"] == "read" and reader.attributes["outcome"] == "finished"
    assert (read.kind, read.name, read.role, read.parent) == ("tool", "read_file", "reader", 1)
    assert (read.start, read.end) == (2.0, 2.5)
    assert read.attributes["arguments"] == {"path": path} and read.attributes["ok"] is True
    assert (listing.parent, listing.role, listing.start, listing.end) == (root.id, "lead", 4.5, 5.0)
    assert runtime.clock == 6.0
    assert [r.time for r in runtime.tool_log] == [2.5, 5.0]
    dicts = runtime.trace.to_dicts()
    assert json.loads(json.dumps(dicts)) == dicts


def _with_latency(result: ToolResult, seconds: float) -> ToolResult:
    result.latency = seconds
    return result


def test_histories_are_openai_chat_messages_with_matching_call_ids() -> None:
    runtime = make_runtime()
    path = a_config(runtime)
    runtime.act("lead", "hm")  # an invalid action is echoed and answered
    runtime.act("lead", call("reader", task="read"))
    runtime.act("reader", call("read_file", path=path))
    runtime.act("reader", call("finish", answer="done"))
    runtime.act("lead", call("finish", answer="ok"))
    assert [name for name, _ in runtime.transcripts] == ["lead", "reader"]
    ids = []
    for _, messages in runtime.transcripts:
        assert [m["role"] for m in messages[:2]] == ["system", "user"]
        for i, message in enumerate(messages):
            assert message["role"] in ("system", "user", "assistant", "tool")
            for tool_call in message.get("tool_calls", []):
                assert tool_call["type"] == "function"
                json.loads(tool_call["function"]["arguments"])
                ids.append(tool_call["id"])
                following = messages[i + 1] if i + 1 < len(messages) else None
                if tool_call["function"]["name"] != "finish":
                    assert following is not None and following["role"] == "tool"
                    assert following["tool_call_id"] == tool_call["id"]
                    assert following["name"] == tool_call["function"]["name"]
    assert len(ids) == len(set(ids)) == 4
    calls = [
        (t["function"]["name"], t["function"]["arguments"])
        for _, messages in runtime.transcripts
        for m in messages
        for t in m.get("tool_calls", [])
    ]
    # the arguments as json.dumps writes them, whether encoded at once or when read
    assert calls == [
        ("reader", json.dumps({"task": "read"})),
        ("finish", json.dumps({"answer": "ok"})),
        ("read_file", json.dumps({"path": path})),
        ("finish", json.dumps({"answer": "done"})),
    ]
    assert runtime.transcripts == runtime.transcripts  # built once, then the same
    lead = runtime.history("lead")
    assert lead is runtime.history("lead")
    assert lead[2] == {"role": "assistant", "content": "hm"}
    assert lead[3]["role"] == "user" and lead[3]["content"].startswith("Invalid action:")
    assert runtime.history("nobody") == []


# -- middleware and presentation -------------------------------------------------------


def test_middlewares_wrap_calls_first_outermost() -> None:
    runtime = make_runtime()
    log: list[str] = []

    def named(label: str) -> Any:
        def middleware(c: ToolCall, role: str, call_next: Any) -> ToolResult:
            log.append(f"{label}>{role}:{c.name}")
            result = call_next(c)
            log.append(f"<{label}")
            return result

        return middleware

    runtime.middlewares.extend([named("a"), named("b")])
    runtime.act("lead", call("list_dir", path="/"))
    assert log == ["a>lead:list_dir", "b>lead:list_dir", "<b", "<a"]


def test_a_middleware_can_answer_and_a_broken_one_cannot_escape() -> None:
    runtime = make_runtime()
    runtime.middlewares.append(lambda c, role, call_next: ToolResult.failure("blocked", fault="x"))
    outcome = runtime.act("lead", call("list_dir", path="/"))
    assert outcome.detail == "error" and "Error: blocked" in runtime.observe("lead")
    assert runtime.tool_log[-1].meta == {"fault": "x"}
    assert runtime.trace.spans[-1].attributes["fault"] == "x"

    def broken(c: ToolCall, role: str, call_next: Any) -> ToolResult:
        raise RuntimeError("boom")

    runtime.middlewares[:] = [broken]
    outcome = runtime.act("lead", call("list_dir", path="/"))
    assert outcome.detail == "error"
    assert "the call failed: RuntimeError: boom" in runtime.observe("lead")


def test_present_tools_renames_and_redescribes() -> None:
    runtime = make_runtime()
    runtime.present_tools({"read_file": "open_file"}, {"read_file": "Open a file."})
    runtime.reset(seed=0)
    names = runtime.tool_names("reader")
    assert "open_file" in names and "read_file" not in names
    schema = next(s for s in runtime.tool_schemas("reader") if s["function"]["name"] == "open_file")
    assert schema["function"]["description"] == "Open a file."
    assert schema["function"]["parameters"]["required"] == ["path"]
    runtime.act("lead", call("reader", task="read"))
    assert "open_file" in runtime.observe("reader")
    outcome = runtime.act("reader", call("read_file", path=a_config(runtime)))
    assert outcome.kind == "invalid"
    runtime.act("reader", call("open_file", path=a_config(runtime)))
    record = runtime.tool_log[-1]
    assert record.ok and record.call.name == "read_file"  # logged under its real name
    assert runtime.history("reader")[-1]["name"] == "open_file"
    runtime.present_tools()
    assert "read_file" in runtime.tool_names("reader")


def test_the_oracle_follows_renamed_tools() -> None:
    env = gym.make("nex/FileSolo-v0")
    env.unwrapped.runtime.present_tools({"read_file": "cat", "replace_in_file": "sed"})
    policy = nexgym.policies.OraclePolicy(env)
    for seed in range(4):
        obs, info = env.reset(seed=seed)
        while True:
            obs, reward, terminated, truncated, info = env.step(policy(obs, info))
            if terminated or truncated:
                break
        assert info["success"] and reward == 1.0


def test_forked_worlds_are_copied_on_first_use_from_the_untouched_world() -> None:
    """Peers' worlds are copied lazily, yet each is the world as it was at the fork."""
    from nexgym.runtime.backends import UNCOPIED, InProcessBackend

    domain = get_domain("finance")
    task = domain.generate_task(4, 1)
    client = next(iter(task.world.clients))
    invoices = len(task.world.invoices)
    backend = InProcessBackend(domain)
    backend.reset(task)
    backend.fork(3)
    assert backend.worlds == [UNCOPIED] * 3  # a reset of a peer team copies nothing
    bill = ToolCall("create_invoice", {"client": client, "amount": 10.0, "description": "x"})
    assert backend.call(bill, world=1).ok
    assert backend.call(bill, world=1).ok
    assert backend.worlds[0] is UNCOPIED and backend.worlds[2] is UNCOPIED
    # the others start from the world as forked, not as world 1 left it
    assert len(backend.world(2).invoices) == invoices
    assert backend.world(0) is task.world  # the last one used takes the original
    assert len(backend.world(0).invoices) == invoices
    assert len(backend.world(1).invoices) == invoices + 2
    assert backend.verify(task, None, world=1).score == task.verify(backend.world(1), None).score
    # keeping an unused world keeps the forked world as it was
    backend.fork(2)
    assert backend.call(bill, world=0).ok
    backend.select(1)
    assert len(backend.worlds) == 1 and len(backend.world(0).invoices) == invoices
