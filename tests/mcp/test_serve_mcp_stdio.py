"""``nexgym serve-mcp`` answers every bad line with a JSON-RPC error (driven over real stdio)."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from typing import IO

import pytest

pytest.importorskip("mcp")

from nexgym.mcp.server_stdio import MAX_LINE_BYTES, oversized_request_id, screen_line

pytestmark = pytest.mark.mcp

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": "init",
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


def _call(request_id: object, name: str, arguments: dict) -> bytes:
    message = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }
    return json.dumps(message).encode()


def _id_last(request_id: object, path: str) -> bytes:
    """A tools/call whose id is its last member (after a long ``params``)."""
    params = {"name": "read_file", "arguments": {"path": path}}
    return json.dumps(
        {"jsonrpc": "2.0", "method": "tools/call", "params": params, "id": request_id}
    ).encode()


OVER = "a" * (MAX_LINE_BYTES + 1000)

#: (line sent, id of the answer, error code or None for a result)
CASES = [
    (b"not json", None, -32700),
    (b"\xff\xfe{}", None, -32700),
    (b"[1, 2]", None, -32600),
    (b'{"id": 5}', 5, -32600),
    (b'{"jsonrpc": "2.0", "id": 6, "method": "tools/list", "params": 5}', 6, -32602),
    (b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": [1]}', 7, -32602),
    (_call(8, "read_file", {"path": "/x\udc80"}), 8, -32602),  # json.dumps escapes it
    (_call(9, "_nexgym_fork", {"n": 10**9}), 9, None),  # refused as an isError result
    (_call(10, "_nexgym_reset", {"seed": -1}), 10, -32603),  # a crash: internal error
    (b'{"jsonrpc": "2.0", "method": "notifications/x", "params": 3}', "none", None),
    # over the line limit: refused, with the id read from the line's start or end
    (_call(12, "read_file", {"path": OVER}), 12, -32600),
    (_id_last("over-13", OVER), "over-13", -32600),
    (_call(11, "list_dir", {"path": "/"}), 11, None),  # the server still works
]


def _lines(stdout: IO[bytes]) -> queue.Queue[bytes]:
    """The server's output lines, read by a thread (so that a wait can time out)."""
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_every_bad_line_gets_a_json_rpc_error_and_the_server_goes_on():
    lines = [json.dumps(INITIALIZE).encode()]
    lines.append(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
    lines += [line for line, _, _ in CASES]
    expected = [(i, code) for _, i, code in CASES if i != "none"]
    server = subprocess.Popen(
        [sys.executable, "-m", "nexgym.cli.main", "serve-mcp", "files", "--seed", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        server.stdin.write(b"\n".join(lines) + b"\n")
        server.stdin.flush()
        # one answer per request (none for the notification); stdin stays open meanwhile,
        # as closing it ends the session
        output = _lines(server.stdout)
        answers = [json.loads(output.get(timeout=60)) for _ in range(len(expected) + 1)]
        server.stdin.close()
        assert server.wait(timeout=30) == 0
        assert output.get(timeout=10) == b""  # nothing more: no stray answer
    finally:
        server.kill()
        server.wait()
    assert answers[0]["id"] == "init" and "result" in answers[0]
    answers = answers[1:]
    by_id: dict[object, list[dict]] = {}
    for answer in answers:
        by_id.setdefault(answer["id"], []).append(answer)
    for request_id, code in expected:
        answer = by_id[request_id].pop(0)
        if code is None:
            assert "result" in answer, answer
        else:
            assert answer["error"]["code"] == code and answer["error"]["message"], answer
    fork = next(a for a in answers if a["id"] == 9)
    assert fork["result"]["isError"] and "between 1 and 64" in fork["result"]["content"][0]["text"]
    listing = next(a for a in answers if a["id"] == 11)
    assert not listing["result"].get("isError")


def test_screen_line_hands_valid_messages_on_unchanged():
    line = json.dumps(INITIALIZE)
    assert screen_line(line.encode()) == line
    assert screen_line(b"   \n") is None
    assert screen_line(b'{"jsonrpc": "2.0", "method": "x", "params": 1}') is None


def test_an_oversized_line_is_answered_with_its_own_id_only():
    big = "x" * 5000
    first = _call(3, "read_file", {"path": big})
    last = _id_last("z", big) + b"\n"
    assert oversized_request_id(first[:200], first[-50:]) == 3
    assert oversized_request_id(last[:200], last[-50:]) == "z"
    # an "id" inside params is not the message's: no id is guessed (the error carries null)
    nested = json.dumps({"jsonrpc": "2.0", "params": {"id": 9, "path": big}}).encode()
    assert oversized_request_id(nested[:200], nested[-50:]) is None
    inner_last = json.dumps({"jsonrpc": "2.0", "params": {"path": big, "id": 9}}).encode()
    assert oversized_request_id(inner_last[:200], inner_last[-50:]) is None
