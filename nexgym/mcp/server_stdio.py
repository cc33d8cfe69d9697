"""The domain server's stdin: every line a client sends gets an answer or a JSON-RPC error.

The SDK's stdio transport drops a line it cannot read (not UTF-8, not JSON, not a
JSON-RPC message) and hands the server whatever JSON-RPC it can parse, lone
surrogates and ``params`` that are not an object included; the server then drops
those too, and the client waits for an answer that never comes. Here each line is
screened first (:func:`screen_line`) and a bad one is answered at once:

* ``-32700`` (parse error): bytes that are not UTF-8, or text that is not JSON;
* ``-32600`` (invalid request): JSON that is not one JSON-RPC message object (a batch,
  a missing or wrong ``jsonrpc``/``method``/``id``), or a line over
  :data:`MAX_LINE_BYTES` (its ``id`` read from its start or its end, where a client
  puts it, so that the client waiting for that id gets the error: see
  :func:`oversized_request_id`);
* ``-32602`` (invalid params): a request whose ``params`` is not an object, or whose
  text holds a lone surrogate (which has no UTF-8 form: no answer could carry it).

The ``id`` of the request is echoed when it can be read, else ``null``. A bad
notification (no ``id``) gets no answer, as JSON-RPC requires. The lines that pass go
to the SDK's transport unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from typing import IO, Any

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from nexgym.runtime.arguments import argument_problem

__all__ = ["MAX_LINE_BYTES", "ScreenedStdin", "oversized_request_id", "screen_line", "wire_stdin"]

#: A longer line is refused (and read no further than this): it protects memory.
MAX_LINE_BYTES = 8 * 1024 * 1024


#: A JSON-RPC id as it may be echoed: a number or a short string without escapes.
_ID_VALUE = rb'(-?\d{1,18}|"[^"\\\x00-\x1f]{0,200}")'
#: The top-level id when only members with short scalar values come before it (a
#: client writes ``{"jsonrpc": "2.0", "id": ...`` first); no nested value is skipped,
#: so an "id" inside ``params`` cannot match.
_HEAD_ID = re.compile(
    rb'\s*\{(?:\s*"[A-Za-z_]{1,40}"\s*:\s*(?:"[^"\\]{0,200}"|-?\d{1,18}|true|false|null)\s*,)*?'
    rb'\s*"id"\s*:\s*' + _ID_VALUE
)
#: The top-level id when it is the message's last member: the object closes right
#: after it (an "id" closing a nested object would be followed by a second brace).
_TAIL_ID = re.compile(rb',\s*"id"\s*:\s*' + _ID_VALUE + rb"\s*\}\s*$")
#: Bytes of the end of an oversized line kept to look for its id.
_TAIL_BYTES = 1024

_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_JSON_TYPES[type(None)] = "null"


def _error(request_id: Any, code: int, message: str) -> types.JSONRPCError:
    return types.JSONRPCError(
        jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message)
    )


def _request_id(data: dict[str, Any]) -> Any:
    """The message's id if it is one JSON-RPC allows and we can echo, else None."""
    value = data.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, str) and argument_problem({"id": value}) is not None:
        return None
    return value


def screen_line(line: bytes) -> str | types.JSONRPCError | None:
    """What to do with one line from the client.

    Returns:
        The line's text when it is a JSON-RPC message to hand on; a
        ``JSONRPCError`` to send back instead; or None to drop it (a blank line, a
        bad notification).
    """
    if not line.strip():
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return _error(None, types.PARSE_ERROR, f"Parse error: the line is not UTF-8 ({e.reason})")
    try:
        data = json.loads(text)
    except ValueError as e:
        return _error(None, types.PARSE_ERROR, f"Parse error: the line is not JSON ({e})")
    if not isinstance(data, dict):
        return _error(
            None,
            types.INVALID_REQUEST,
            f"Invalid request: expected one JSON-RPC message object, got a JSON "
            f"{type(data).__name__} (batches are not supported)",
        )
    request_id = _request_id(data)
    is_request = "method" in data and "id" in data
    problem = argument_problem(data)
    if problem is not None:
        if not is_request:
            return None
        return _error(request_id, types.INVALID_PARAMS, f"Invalid params: {problem}")
    if "params" in data and not isinstance(data["params"], dict):
        if not is_request:
            return None
        got = _JSON_TYPES.get(type(data["params"]), "value")
        return _error(
            request_id, types.INVALID_PARAMS, f"Invalid params: expected an object, got a {got}"
        )
    try:
        types.jsonrpc_message_adapter.validate_python(data, by_name=False)
    except ValidationError as e:
        if "method" in data and "id" not in data:
            return None  # a malformed notification: JSON-RPC sends no answer
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        return _error(
            request_id,
            types.INVALID_REQUEST,
            f"Invalid request: expected a JSON-RPC 2.0 request, notification or response "
            f"({where}: {first['msg']})",
        )
    return text


def oversized_request_id(head: bytes, tail: bytes) -> Any:
    """The id of a message too long to parse, from its first and last bytes, or None.

    Found only where it is certain to be the message's own id: the first member (after
    short scalar ones such as ``"jsonrpc"``) or the last one.

    Args:
        head: the start of the line (what was read up to the limit).
        tail: its last bytes, newline included.
    """
    found = _HEAD_ID.match(head) or _TAIL_ID.search(tail)
    if found is None:
        return None
    return _request_id({"id": json.loads(found.group(1))})


def _oversized(size: int, request_id: Any) -> types.JSONRPCError:
    return _error(
        request_id,
        types.INVALID_REQUEST,
        f"Invalid request: the message has {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte "
        "limit; send shorter arguments (a long text in several calls)",
    )


class ScreenedStdin:
    """The client's lines, screened: what passes is yielded, the rest answered.

    Give it to ``mcp.server.stdio.stdio_server(stdin=...)`` and, once that yields,
    its write stream (:meth:`answer_with`): errors go out through the same writer as
    the server's answers, so lines never interleave.

    Args:
        wire: the binary stream the client writes to (the process's real stdin).
    """

    def __init__(self, wire: IO[bytes]) -> None:
        self._wire = wire
        self._write: Any = None
        self._ready = anyio.Event()

    def answer_with(self, write_stream: Any) -> None:
        """Send error answers to ``write_stream`` (the transport's, as it yields it)."""
        self._write = write_stream
        self._ready.set()

    async def _readline(self, limit: int) -> bytes:
        # a blocking read in a worker thread, as the SDK's own stdin reader does
        return await anyio.to_thread.run_sync(self._wire.readline, limit, abandon_on_cancel=True)

    async def __aiter__(self) -> AsyncIterator[str]:
        """The lines to hand to the server."""
        await self._ready.wait()
        while True:
            line = await self._readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                head, tail, size = line, line[-_TAIL_BYTES:], len(line)
                while line and not line.endswith(b"\n"):  # drop the rest of it
                    line = await self._readline(MAX_LINE_BYTES)
                    size += len(line)
                    tail = (tail + line)[-_TAIL_BYTES:]
                request_id = oversized_request_id(head, tail)
                await self._write.send(SessionMessage(_oversized(size, request_id)))
                continue
            screened = screen_line(line)
            if isinstance(screened, str):
                yield screened
            elif screened is not None:
                await self._write.send(SessionMessage(screened))


@contextlib.contextmanager
def wire_stdin() -> Iterator[IO[bytes]]:
    """The process's stdin as a private stream, with fd 0 pointed at the null device.

    So that tool code and the processes it starts cannot read the client's messages
    (what the SDK's transport does for the stdin it claims itself); fd 0 is restored
    on exit.
    """
    wire = os.dup(0)
    os.set_inheritable(wire, False)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    stream = os.fdopen(wire, "rb")
    try:
        yield stream
    finally:
        with contextlib.suppress(OSError):
            os.dup2(wire, 0)
        stream.close()
