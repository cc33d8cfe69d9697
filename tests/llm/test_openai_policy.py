"""OpenAIChatPolicy against a real HTTP chat-completions stub on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gymnasium as gym
import pytest

import nexgym  # noqa: F401  (registers the envs)
from nexgym.policies.oracle import OraclePolicy
from nexgym.runtime.parsing import parse_action

pytest.importorskip("httpx")

from nexgym.policies.openai_chat import NO_ACTION, OpenAIChatPolicy

ENV_ID = "nex/FileSolo-v0"


class Stub:
    """A chat-completions server: each request takes the next scripted reply."""

    def __init__(self) -> None:
        self.replies: deque[tuple[int, bytes, float]] = deque()
        self.requests: list[dict] = []
        self.release = threading.Event()  # lets a held request end when the test is done
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stub.requests.append({"path": self.path, **json.loads(body)})
                status, payload, hold = stub.replies.popleft() if stub.replies else (500, b"", 0)
                if hold:
                    stub.release.wait(hold)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout) and closed the socket
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def reply(self, message: dict, status: int = 200, hold: float = 0.0) -> None:
        body = {
            "id": "x",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message}],
        }
        self.replies.append((status, json.dumps(body).encode(), hold))

    def raw(self, status: int, payload: bytes, hold: float = 0.0) -> None:
        self.replies.append((status, payload, hold))

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


def tool_call_message(action: str) -> dict:
    call = parse_action(action)
    arguments = json.dumps(call.arguments)  # the API sends arguments as a JSON string
    function = {"name": call.name, "arguments": arguments}
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": function}],
    }


def test_a_served_model_that_plays_the_oracle_solves_the_task(stub):
    """The stub answers with the oracle's calls: the episode is solved through the client."""
    env = gym.make(ENV_ID)
    oracle = OraclePolicy(env)  # reads the runtime, so it can script the stub's next reply
    policy = OpenAIChatPolicy(env, stub.base_url, "stub-model", timeout_s=5)
    try:
        observation, info = env.reset(seed=3)
        tools = [t["function"]["name"] for t in info["tools"]]
        done, steps = False, 0
        while not done:
            stub.reply(tool_call_message(oracle(observation, info)))
            observation, reward, terminated, truncated, info = env.step(policy(observation, info))
            done, steps = terminated or truncated, steps + 1
        assert info["success"] and reward > 0
        assert steps == len(stub.requests) >= 2
        first, second = stub.requests[0], stub.requests[1]
        assert first["path"] == "/v1/chat/completions" and first["model"] == "stub-model"
        assert [t["function"]["name"] for t in first["tools"]] == tools
        assert [m["role"] for m in first["messages"]] == ["system", "user"]
        # the reply came back as an assistant tool call (arguments a JSON string) and its result
        call, result = second["messages"][-2], second["messages"][-1]
        arguments = call["tool_calls"][0]["function"]["arguments"]
        assert call["role"] == "assistant" and isinstance(arguments, str)
        assert isinstance(json.loads(arguments), dict)
        assert result["role"] == "tool" and result["tool_call_id"] == call["tool_calls"][0]["id"]
        assert "name" not in result
    finally:
        policy.close()
        env.close()


@pytest.mark.parametrize(
    "script, reason",
    [
        (lambda s: s.raw(200, b"<html>oops</html>"), "not JSON"),
        (lambda s: s.raw(200, b'{"choices": []}'), "no choices"),
        (lambda s: s.reply({"role": "assistant", "content": None}), "reply was empty"),
        (lambda s: s.reply({"role": "assistant", "content": "I think the answer is 4."}), None),
        (
            lambda s: s.reply(
                {
                    "role": "assistant",
                    "tool_calls": [{"function": {"name": "list_dir", "arguments": '{"path": "/'}}],
                }
            ),
            None,
        ),
        (lambda s: s.raw(400, b'{"error": "bad request"}'), "HTTP 400"),
    ],
    ids=["html-body", "no-choices", "empty", "prose", "malformed-arguments", "http-400"],
)
def test_bad_replies_are_invalid_actions(stub, script, reason):
    env = gym.make(ENV_ID)
    policy = OpenAIChatPolicy(env, stub.base_url, "m", timeout_s=5, max_retries=2)
    try:
        observation, info = env.reset(seed=0)
        script(stub)
        action = policy(observation, info)
        observation, reward, terminated, truncated, info = env.step(action)
        assert observation.startswith("Invalid action:") and reward < 0
        assert not (terminated or truncated)
        assert len(stub.requests) == 1  # not retried: the server answered
        if reason is not None:
            assert action.startswith(NO_ACTION) and reason in action
            server_failed = reason in ("not JSON", "HTTP 400")
            assert (policy.last_error is not None) == server_failed
    finally:
        policy.close()
        env.close()


def test_timeouts_and_server_errors_are_retried_a_bounded_number_of_times(stub):
    env = gym.make(ENV_ID)
    policy = OpenAIChatPolicy(env, stub.base_url, "m", timeout_s=0.3, max_retries=1)
    try:
        observation, info = env.reset(seed=0)
        for _ in range(2):
            stub.raw(503, b"")
        started = time.perf_counter()
        action = policy(observation, info)
        assert len(stub.requests) == 2 and "HTTP 503" in action
        for _ in range(2):
            stub.reply({"role": "assistant", "content": "late"}, hold=5.0)
        action = policy(observation, info)
        assert len(stub.requests) == 4 and "did not answer in time" in action
        assert time.perf_counter() - started < 3.0  # two 0.3 s timeouts, not the 5 s holds
        observation, *_ = env.step(action)
        assert observation.startswith("Invalid action:")
        # a retry that succeeds gives the model's action
        stub.raw(500, b"")
        stub.reply(
            tool_call_message(
                '<tool_call>{"name": "list_dir", "arguments": {"path": "/"}}</tool_call>'
            )
        )
        action = policy(observation, info)
        assert parse_action(action).name == "list_dir" and policy.last_error is None
    finally:
        policy.close()
        env.close()


def test_unreachable_server_and_bad_settings():
    from nexgym.error import ConfigError

    env = gym.make(ENV_ID)
    try:
        # a port nothing listens on (bound then closed)
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        policy = OpenAIChatPolicy(
            env, f"http://127.0.0.1:{port}/v1", "m", timeout_s=1, max_retries=1
        )
        observation, info = env.reset(seed=0)
        action = policy(observation, info)
        assert action.startswith(NO_ACTION) and "ConnectError" in action and policy.requests == 2
        policy.close()
        with pytest.raises(ConfigError, match="base_url"):
            OpenAIChatPolicy(env, "127.0.0.1:8000", "m")
        with pytest.raises(ConfigError, match="timeout_s > 0"):
            OpenAIChatPolicy(env, "http://127.0.0.1:1/v1", "m", timeout_s=0)
    finally:
        env.close()
