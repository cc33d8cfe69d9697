"""A misbehaving MCP server never crashes the backend: every fault is an error observation."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

pytest.importorskip("mcp")

from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.envs.domains.kit.tool_server import ToolServer

from nexgym.mcp.backend import MCPBackend
from nexgym.tools import ToolCall, tool

pytestmark = pytest.mark.mcp

SERVER = Path(__file__).with_name("misbehaving_server.py")


@tool
def echo(world: object, mode: str) -> str:
    """Answer in a mode (served by the misbehaving server only).

    Args:
        mode: how the server should answer.
    """
    raise NotImplementedError("served by misbehaving_server.py")


class MisbehavingDomain(Domain):
    name = "misbehaving"
    description = "A tool server that answers badly on request."
    tools = (echo,)

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        return Task(self.name, seed, difficulty, "Call echo.", None, [], ())

    def tool_server(self) -> ToolServer:
        return ToolServer("misbehaving", sys.executable, (str(SERVER),))


@pytest.fixture(scope="module")
def backend():
    domain = MisbehavingDomain()
    backend = MCPBackend(domain, timeout=1.0)
    backend.reset(domain.generate_task(0))
    yield backend
    backend.close()


def echo_call(backend, mode: str):
    return backend.call(ToolCall("echo", {"mode": mode}))


@pytest.mark.parametrize(
    ("mode", "message", "restarts"),
    [
        ("garbage", "not JSON-RPC", True),
        ("binary", "not UTF-8", True),
        ("exit", "exited during the call (exit status 3)", True),
        ("huge", "over the 1048576-byte limit", False),
        ("image", "returned image content; expected text", False),
        ("badjson", "marked as JSON that is not JSON", False),
        ("error", "something went wrong", False),
    ],
)
def test_a_bad_answer_is_an_error_observation_and_the_next_call_works(
    backend, mode, message, restarts
):
    starts = backend.starts
    result = echo_call(backend, mode)
    assert not result.ok and message in result.error
    if restarts:
        assert "restarted" in result.error and backend.starts == starts + 1
    else:
        assert backend.starts == starts
    after = echo_call(backend, "ok")
    assert after.ok and after.content == "fine"


def test_a_hung_server_answers_with_an_error_within_the_timeout(backend):
    hung = backend.pid
    started = time.monotonic()
    result = echo_call(backend, "hang")
    assert time.monotonic() - started < backend.timeout + 10
    assert not result.ok and "did not answer within 1 s" in result.error
    assert result.meta["fault"] == "timeout"
    assert not psutil.pid_exists(hung) or psutil.Process(hung).status() == psutil.STATUS_ZOMBIE
    assert echo_call(backend, "ok").ok


def test_close_leaves_no_child_process(backend):
    domain = MisbehavingDomain()
    other = MCPBackend(domain, timeout=1.0)
    other.reset(domain.generate_task(0))
    pid = other.pid
    assert pid in {p.pid for p in psutil.Process().children(recursive=True)}
    other.close()
    assert pid not in {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if p.status() != psutil.STATUS_ZOMBIE
    }


def test_a_line_over_the_transport_limit_is_dropped_not_buffered():
    from nexgym.mcp.connection import CallFailure, ServerConnection, ServerSpec

    conn = ServerConnection(
        ServerSpec("misbehaving", sys.executable, (str(SERVER),)), max_line_bytes=100_000
    )
    try:
        with pytest.raises(CallFailure, match="over the 100000-byte limit"):
            conn.call("echo", {"mode": "huge"}, timeout=10, meta=None)
        assert not conn.alive  # a connection that failed is dead; its owner restarts it
    finally:
        conn.close()


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("x\udc80", "lone surrogate"),
        ({"k\ud83d": 1}, "lone surrogate"),
        (_nested(300), "more than 64 levels deep"),
    ],
    ids=["surrogate", "surrogate-key", "nested-300"],
)
def test_arguments_the_client_cannot_send_are_refused_and_the_server_kept(backend, value, reason):
    pid, starts = backend.pid, backend.starts
    started = time.monotonic()
    result = backend.call(ToolCall("echo", {"mode": value}))
    assert time.monotonic() - started < 0.5  # no restart (about a second each)
    assert not result.ok and reason in result.error and "nothing was sent" in result.error
    assert backend.pid == pid and backend.starts == starts
    assert echo_call(backend, "ok").ok
