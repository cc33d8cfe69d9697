"""A deliberately broken MCP server over stdio, for the MCP backend's fault tests.

It speaks just enough JSON-RPC (initialize, tools/list, tools/call) by hand, with
no SDK, so that it can answer a ``tools/call`` of ``echo(mode)`` in broken ways:

* ``ok``: a normal text result; ``error``: an ``isError`` result.
* ``garbage``: a line that is not JSON-RPC instead of the answer.
* ``binary``: bytes that are not UTF-8 instead of the answer.
* ``huge``: a valid answer carrying 3 MB of text.
* ``image``: a valid answer whose content is an image, not text.
* ``badjson``: a result marked as nexgym JSON whose text is not JSON.
* ``exit``: the process exits without answering.
* ``hang``: never answers (sleeps).
"""

from __future__ import annotations

import json
import os
import sys
import time

TOOL = {
    "name": "echo",
    "description": "Answer in the given mode.",
    "inputSchema": {
        "type": "object",
        "properties": {"mode": {"type": "string"}},
        "required": ["mode"],
    },
}


def send(message: dict) -> None:
    sys.stdout.buffer.write(json.dumps(message).encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


def result(request_id: object, text: str, *, error: bool = False, meta: dict | None = None) -> None:
    body: dict = {"content": [{"type": "text", "text": text}], "isError": error}
    if meta:
        body["_meta"] = meta
    send({"jsonrpc": "2.0", "id": request_id, "result": body})


def answer(request_id: object, mode: str) -> None:
    if mode == "ok":
        result(request_id, "fine")
    elif mode == "error":
        result(request_id, "something went wrong", error=True)
    elif mode == "garbage":
        sys.stdout.buffer.write(b"this is not JSON-RPC at all\n")
        sys.stdout.buffer.flush()
    elif mode == "binary":
        sys.stdout.buffer.write(b'{"jsonrpc": "2.0", "id": 1, "result": "\xff\xfe\xfa"}\n')
        sys.stdout.buffer.flush()
    elif mode == "huge":
        result(request_id, "x" * 3_000_000)
    elif mode == "image":
        send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "result": {"content": [{"type": "image", "data": "AAAA", "mimeType": "image/png"}]},
            }
        )
    elif mode == "badjson":
        result(request_id, "{not json", meta={"nexgym/json": True})
    elif mode == "exit":
        os._exit(3)
    elif mode == "hang":
        time.sleep(3600)
    else:
        result(request_id, f"unknown mode {mode!r}", error=True)


def main() -> None:
    for raw in sys.stdin.buffer:
        message = json.loads(raw)
        method = message.get("method")
        request_id = message.get("id")
        if request_id is None:  # a notification
            continue
        if method == "initialize":
            send(
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "result": {
                        "protocolVersion": message["params"]["protocolVersion"],
                        "capabilities": {"tools": {}},
                        "serverInfo": {"name": "misbehaving", "version": "0"},
                    },
                }
            )
        elif method == "tools/list":
            send({"jsonrpc": "2.0", "id": request_id, "result": {"tools": [TOOL]}})
        elif method == "tools/call":
            answer(request_id, message["params"]["arguments"].get("mode", ""))
        else:
            send(
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "error": {"code": -32601, "message": f"no method {method}"},
                }
            )


if __name__ == "__main__":
    main()
