"""A stdio transport that owns its server process: known pid, hard kill, bounded lines.

The SDK's ``stdio_client`` hides the server process and shuts a stuck server down
through a grace period of several seconds. An env needs more control: the process
id (to count processes and to kill a hung server at once, even from a finalizer),
a prompt kill, and protection against a server that writes garbage, lines of
unbounded size or bytes that are not UTF-8. Every such line reaches the session as
an ``Exception`` item (which :class:`~nexgym.mcp.connection.ServerConnection` turns
into an error for the call in flight) instead of crashing the reader.

The JSON-RPC framing is the SDK's: one message per line, parsed with
``mcp_types.jsonrpc_message_adapter`` into ``SessionMessage``.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import IO, Any

import anyio
import anyio.abc
import mcp_types as types
from mcp.shared.message import SessionMessage

__all__ = ["BadServerOutput", "ServerProcess", "kill_process_group", "open_stdio_process"]

#: Seconds a server gets to exit on its own after its stdin closes.
EXIT_GRACE_SECONDS = 0.5
#: Seconds to wait for a killed server to be reaped.
REAP_SECONDS = 2.0


class BadServerOutput(Exception):
    """A line from the server that is not a JSON-RPC message (garbage, too long, not UTF-8)."""


@dataclass
class ServerProcess:
    """The running server: its pid and the streams the session reads and writes."""

    pid: int
    process: anyio.abc.Process


def kill_process_group(pid: int) -> None:
    """SIGKILL the server and everything it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def open_stdio_process(
    command: str,
    args: list[str],
    *,
    env: dict[str, str] | None,
    errlog: IO[Any] | int,
    max_line_bytes: int,
    on_spawn: Callable[[anyio.abc.Process], None] | None = None,
) -> AsyncIterator[tuple[Any, Any, ServerProcess]]:
    """Start ``command args`` and yield ``(read_stream, write_stream, server_process)``.

    On exit stdin is closed, the server gets :data:`EXIT_GRACE_SECONDS` to exit, and
    then its whole process group is killed. The server starts under
    :mod:`nexgym.mcp.watchdog`, which kills that group if this process dies first.

    Args:
        command: the program.
        args: its arguments.
        env: its full environment (None inherits this process's).
        errlog: where the server's stderr goes (a file or ``subprocess.DEVNULL``).
        max_line_bytes: longer lines are dropped and reported as :class:`BadServerOutput`.
        on_spawn: called with the process as soon as it exists.
    """
    from nexgym.mcp.lifeline import guarded_command

    # under the watchdog: the server ends when this process dies, even if it is stopped
    argv, lifeline = guarded_command(command, args)
    process = await anyio.open_process(
        argv, env=env, stderr=errlog, start_new_session=True, pass_fds=lifeline
    )
    if on_spawn is not None:
        on_spawn(process)
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](16)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](16)

    async def read_stdout() -> None:
        assert process.stdout is not None
        buffer = bytearray()
        scanned = 0  # bytes of the buffer known to hold no newline
        dropping = False  # inside an oversized line: discard up to the next newline
        async with read_writer:
            with contextlib.suppress(
                anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError
            ):
                async for chunk in process.stdout:
                    buffer += chunk
                    while True:
                        end = buffer.find(b"\n", scanned)
                        if end < 0:
                            scanned = len(buffer)
                            if len(buffer) > max_line_bytes:
                                if not dropping:
                                    await read_writer.send(_oversized(len(buffer), max_line_bytes))
                                dropping, scanned = True, 0
                                buffer.clear()
                            break
                        line = bytes(buffer[:end])
                        del buffer[: end + 1]
                        scanned = 0
                        if dropping:
                            dropping = False
                            continue
                        if len(line) > max_line_bytes:
                            await read_writer.send(_oversized(len(line), max_line_bytes))
                        elif line.strip():
                            await read_writer.send(_parse(line))

    async def write_stdin() -> None:
        assert process.stdin is not None
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            async with write_reader:
                async for message in write_reader:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send(data.encode("utf-8") + b"\n")
        # The session is gone or the pipe broke: let the reader's consumer see the end.
        await read_writer.aclose()

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_stdout)
        tg.start_soon(write_stdin)
        try:
            yield read_stream, write_stream, ServerProcess(process.pid, process)
        finally:
            with anyio.CancelScope(shield=True):
                await _stop(process)
                for stream in (read_stream, write_stream, read_writer, write_reader):
                    await stream.aclose()
            tg.cancel_scope.cancel()


def _parse(line: bytes) -> SessionMessage | Exception:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return BadServerOutput(f"the tool server sent bytes that are not UTF-8 ({e.reason})")
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(text, by_name=False))
    except ValueError:
        shown = text[:80] + ("..." if len(text) > 80 else "")
        return BadServerOutput(f"the tool server sent a line that is not JSON-RPC: {shown!r}")


def _oversized(size: int, limit: int) -> BadServerOutput:
    return BadServerOutput(
        f"the tool server sent a message of more than {size} bytes, over the {limit}-byte limit"
    )


async def _stop(process: anyio.abc.Process) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdin.aclose()
    if not await _exited(process, EXIT_GRACE_SECONDS):
        kill_process_group(process.pid)
        await _exited(process, REAP_SECONDS)
    else:
        kill_process_group(process.pid)  # children the server left behind, if any
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                await pipe.aclose()


async def _exited(process: anyio.abc.Process, timeout: float) -> bool:
    # Poll returncode rather than wait(): on asyncio wait() also waits for pipe EOF.
    with anyio.move_on_after(timeout):
        while process.returncode is None:
            await anyio.sleep(0.01)
    return process.returncode is not None
