"""``nexgym serve-mcp`` fed malformed JSON-RPC, for ``benchmarks/faults.py``: every
request with an id must get an answer (an error), the server must stay up, and the
host must not change."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from faults_mcp import NEXGYM

# -- serve-mcp fed malformed JSON-RPC ----------------------------------------------------------


class StdioPeer:
    """A ``nexgym serve-mcp`` process, written to and read from line by line."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, raw: bytes) -> bool:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(raw if raw.endswith(b"\n") else raw + b"\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def answer(self, request_id: Any, timeout: float) -> dict[str, Any] | None:
        """The response with ``request_id`` (other lines are dropped), or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                return None
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(message, dict)
                and message.get("id") == request_id
                and ("result" in message or "error" in message)
            ):
                return message
        return None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def call(request_id: Any, method: str, params: Any = None) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message).encode()


def malformed_messages(canary: str) -> list[tuple[str, bytes, Any]]:
    """``(label, raw line, id an answer must carry or None)``."""
    tool = "tools/call"
    huge = b"a" * (10 << 20)
    return [
        ("garbage text", b"hello there", None),
        ("binary", b"\x00\xff\xfe\x80", None),
        ("truncated JSON", b'{"jsonrpc": "2.0", "id": 100, "method": "tools/li', None),
        ("JSON null", b"null", None),
        ("JSON array", b"[1, 2, 3]", None),
        ("batch", b"[" + call(101, "tools/list") + b"]", None),
        ("no method", b'{"jsonrpc": "2.0", "id": 102}', None),
        ("wrong version", b'{"jsonrpc": "1.0", "id": 103, "method": "tools/list"}', None),
        ("huge garbage line", huge, None),
        (
            "huge argument",
            call(104, tool, {"name": "read_file", "arguments": {"path": huge.decode()}}),
            104,
        ),
        ("deep params", call(105, tool, json.loads("[" * 500 + "]" * 500)), 105),
        ("unknown method", call(106, "tools/explode"), 106),
        ("unknown method, string id", call("x-107", "resources/nothing"), "x-107"),
        ("params not an object", call(108, tool, [1, 2]), 108),
        ("params a string", call(109, tool, "read_file"), 109),
        ("unknown tool", call(110, tool, {"name": "rm_rf", "arguments": {}}), 110),
        ("missing arguments", call(111, tool, {"name": "read_file"}), 111),
        (
            "wrong argument type",
            call(112, tool, {"name": "read_file", "arguments": {"path": 7}}),
            112,
        ),
        (
            "extra argument",
            call(113, tool, {"name": "list_dir", "arguments": {"path": "/", "x": 1}}),
            113,
        ),
        (
            "NaN argument",
            call(114, tool, {"name": "read_file", "arguments": {"path": float("nan")}}),
            114,
        ),
        (
            "path traversal",
            call(115, tool, {"name": "read_file", "arguments": {"path": "../../../../etc/passwd"}}),
            115,
        ),
        (
            "absolute host path",
            call(116, tool, {"name": "read_file", "arguments": {"path": "/etc/passwd"}}),
            116,
        ),
        (
            "write to a host path (virtual)",
            call(
                117,
                tool,
                {"name": "write_file", "arguments": {"path": f"{canary}/x", "content": "x"}},
            ),
            117,
        ),
        (
            "surrogate argument",
            call(118, tool, {"name": "read_file", "arguments": {"path": "\ud800"}}),
            118,
        ),
        ("id an object", b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}', None),
        ("notification of unknown method", b'{"jsonrpc": "2.0", "method": "nothing/here"}', None),
    ]


def handshake(peer: StdioPeer) -> bool:
    peer.send(
        call(
            1,
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "faults-benchmark", "version": "0"},
            },
        )
    )
    ok = peer.answer(1, 60) is not None
    peer.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
    return ok


def run_serve_mcp(preset: dict[str, Any], seed: int, root: Path) -> dict[str, Any]:
    canary = root / "serve-canary"
    canary.mkdir(exist_ok=True)
    counts = dict.fromkeys(
        (
            "messages",
            "with_id",
            "answered_errors",
            "answered_ok",
            "unanswered",
            "crashes",
            "host_leaks",
        ),
        0,
    )
    examples: list[str] = []
    alive_at_end = 0
    rounds = preset["serve_rounds"]
    for _ in range(rounds):
        peer = StdioPeer([NEXGYM, "serve-mcp", "files", "--seed", str(seed)])
        try:
            if not handshake(peer):
                counts["crashes"] += 1
                examples.append("no answer to initialize")
                continue
            for label, raw, request_id in malformed_messages(str(canary)):
                counts["messages"] += 1
                peer.send(raw)
                if request_id is not None:
                    counts["with_id"] += 1
                    answer = peer.answer(request_id, preset["serve_answer_seconds"])
                    if answer is None:
                        counts["unanswered"] += 1
                        examples.append(f"no answer to {label}")
                    elif "error" in answer or answer["result"].get("isError"):
                        counts["answered_errors"] += 1
                    else:  # only the virtual write may succeed; the host must not change
                        counts["answered_ok"] += "virtual" not in label
                        if "virtual" not in label:
                            examples.append(f"{label}: answered without an error")
                    if answer is not None and "root:x:0:0" in json.dumps(answer):
                        counts["host_leaks"] += 1
                if peer.proc.poll() is not None:
                    counts["crashes"] += 1
                    examples.append(f"exited after {label} (status {peer.proc.returncode})")
                    break
            else:
                peer.send(call(999, "tools/call", {"name": "list_dir", "arguments": {"path": "/"}}))
                final = peer.answer(999, 30)
                alive_at_end += (
                    final is not None and "result" in final and not final["result"].get("isError")
                )
        finally:
            peer.close()
    return {
        **counts,
        "rounds": rounds,
        "alive_at_end": alive_at_end,
        "host_files_written": len(list(canary.iterdir())),
        "examples": examples[:12],
    }
