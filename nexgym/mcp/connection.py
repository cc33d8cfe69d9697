"""A synchronous handle on one MCP server process and its client session.

The ``mcp`` client is asyncio-based while Gymnasium envs are synchronous. A
:class:`ServerConnection` owns a private event loop and drives it from the caller's
thread for the duration of each call (``loop.run_until_complete``): no thread hop,
so a call costs what the MCP round trip costs. Between calls the loop is idle and
the session waits, suspended. If the caller already runs an event loop in its thread
(a notebook, async training code), the private loop moves to a thread of its own and
calls are handed over with ``asyncio.run_coroutine_threadsafe``.

Failures come back as :class:`CallFailure` (never a hang, never a crash): no
answer within the timeout (the server is then killed), a dead server, or output
that is not JSON-RPC. A connection that failed is dead; the owner starts a new
one. Processes are killed from a ``weakref.finalize`` too, so none outlives its
connection even when ``close()`` is never called.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from nexgym.error import BackendError

__all__ = ["CallFailure", "ServerConnection", "ServerSpec"]

#: Seconds allowed for a server to start and answer the MCP handshake.
DEFAULT_START_TIMEOUT = 60.0
#: Lines longer than this are refused by the transport (protects memory).
DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
#: Seconds ``close()`` waits for the server to shut down.
CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True)
class ServerSpec:
    """How to start a server: ``command args`` with ``env`` added to a minimal environment."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """The server's environment: what a server needs from ours, plus ``env``.

        ``PYTHONPATH`` carries this interpreter's import path so that a server run
        with ``sys.executable`` imports the very modules the client sees.
        """
        keep = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env.update(self.env)
        return env


class CallFailure(Exception):
    """A call that got no usable answer; ``timed_out`` tells a timeout from the rest."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Driver:
    """A private event loop, run inline by the caller or, if needed, by its own thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop = asyncio.new_event_loop()
        self.thread: threading.Thread | None = None

    def run(self, coro: Any, timeout: float) -> Any:
        """Run ``coro`` to completion within ``timeout`` seconds (TimeoutError after)."""
        bounded = asyncio.wait_for(coro, timeout)
        if self.thread is None and _loop_running_here():
            self.thread = threading.Thread(
                target=self.loop.run_forever, name=f"nexgym-mcp-{self.name}", daemon=True
            )
            self.thread.start()
        if self.thread is None:
            return self.loop.run_until_complete(bounded)
        future = asyncio.run_coroutine_threadsafe(bounded, self.loop)
        try:
            return future.result(timeout + CLOSE_TIMEOUT)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError from None

    def stop(self) -> None:
        """Stop the loop's thread, if any, and close the loop (when it is not running)."""
        if self.loop.is_closed():
            return
        if self.thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            if threading.current_thread() is not self.thread:
                self.thread.join(timeout=CLOSE_TIMEOUT)
            if self.thread.is_alive():
                return
        if not self.loop.is_running():
            self.loop.close()


def _finalize(driver: _Driver, pids: list[int]) -> None:
    """Kill the server and stop the loop (runs on close, on garbage collection, at exit)."""
    from nexgym.mcp.transport import kill_process_group

    for pid in pids:
        kill_process_group(pid)
    driver.stop()


class ServerConnection:
    """One server process with an initialized MCP client session.

    Args:
        spec: how to start the server.
        start_timeout: seconds allowed for start-up and the MCP handshake.
        max_line_bytes: the transport's limit on one message.

    Raises:
        BackendError: if the server cannot be started or does not complete the handshake.
    """

    def __init__(
        self,
        spec: ServerSpec,
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        self.spec = spec
        self.max_line_bytes = max_line_bytes
        self.pid: int | None = None
        self._process: Any = None
        self.tools: list[Any] = []
        self._session: Any = None
        self._stop_event: asyncio.Event | None = None
        self._stream_error: Exception | None = None
        self._pending: asyncio.Task[Any] | None = None
        self._dead = False
        self._errlog = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._pids: list[int] = []
        self._driver = _Driver(spec.name)
        self._runner: asyncio.Task[None] | None = None
        self._finalizer = weakref.finalize(self, _finalize, self._driver, self._pids)
        try:
            self._driver.run(self._start(), start_timeout)
        except TimeoutError:
            tail = self._stderr_tail()
            self.kill()
            raise BackendError(
                f"the MCP server {spec.name!r} did not start within {start_timeout:g} s "
                f"(command: {self._command_line()}){tail}"
            ) from None
        except Exception as e:
            tail = self._stderr_tail()
            self.kill()
            cause: BaseException = e
            while isinstance(cause, BaseExceptionGroup) and cause.exceptions:  # anyio groups
                cause = cause.exceptions[0]
            raise BackendError(
                f"the MCP server {spec.name!r} failed to start: {type(cause).__name__}: {cause} "
                f"(command: {self._command_line()}){tail}"
            ) from None

    def __repr__(self) -> str:
        return f"ServerConnection({self.spec.name!r}, pid={self.pid}, alive={self.alive})"

    # -- the session, on the loop thread -------------------------------------------------

    async def _start(self) -> None:
        """Start the session task and wait until the handshake is done."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._runner = asyncio.create_task(self._run(ready))
        await ready

    async def _run(self, ready: asyncio.Future[None]) -> None:
        from mcp import ClientSession

        from nexgym.mcp.transport import open_stdio_process

        self._stop_event = asyncio.Event()
        try:
            async with (
                open_stdio_process(
                    self.spec.command,
                    list(self.spec.args),
                    env=self.spec.environment(),
                    errlog=self._errlog,
                    max_line_bytes=self.max_line_bytes,
                    on_spawn=self._spawned,
                ) as (read_stream, write_stream, _),
                ClientSession(read_stream, write_stream, message_handler=self._on_message) as s,
            ):
                await s.initialize()
                # Listing once fills the session's output-schema cache, which call_tool
                # would otherwise refresh with a list_tools round trip on first use.
                self.tools = (await s.list_tools()).tools
                self._session = s
                ready.set_result(None)
                await self._stop_event.wait()
        except BaseException as e:
            if not ready.done():
                ready.set_exception(e if isinstance(e, Exception) else RuntimeError(repr(e)))
            if not isinstance(e, Exception | asyncio.CancelledError):
                raise
        finally:
            self._dead = True
            self._session = None
            if self._pending is not None:
                self._pending.cancel()

    def _spawned(self, process: Any) -> None:
        self._process = process
        self.pid = process.pid
        self._pids.append(process.pid)

    async def _on_message(self, message: Any) -> None:
        # Transport faults (garbage, oversized or non-UTF-8 lines) arrive here as
        # exceptions; the call in flight can no longer trust its answer.
        if isinstance(message, Exception):
            self._stream_error = message
            if self._pending is not None:
                self._pending.cancel()

    async def _call(self, name: str, arguments: dict[str, Any], meta: dict[str, Any] | None) -> Any:
        session = self._session
        if session is None:
            raise CallFailure("the tool server is not running")
        self._pending = asyncio.current_task()
        self._stream_error = None
        try:
            return await session.call_tool(name, arguments, meta=meta)
        except asyncio.CancelledError:
            # Cancelled by a transport fault (answer with it), or by a timeout or the
            # session ending (the caller already knows; stay cancelled).
            if self._stream_error is not None:
                raise CallFailure(str(self._stream_error)) from None
            raise
        finally:
            self._pending = None

    # -- the synchronous API ---------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """Whether the session is up and the process has not exited."""
        return self._session is not None and not self._dead and self._process_alive()

    def exit_status(self, wait: float = 0.5) -> int | None:
        """The server's exit status if it has exited (waiting briefly for the reaper)."""
        process = self._process
        if process is None:
            return None

        async def reaped() -> None:
            while process.returncode is None:
                await asyncio.sleep(0.01)

        if process.returncode is None and not self._driver.loop.is_closed():
            with contextlib.suppress(TimeoutError, RuntimeError):
                self._driver.run(reaped(), wait)
        return process.returncode

    def descendants(self) -> int | None:
        """How many processes run under the server (children, theirs...); None if unknown.

        Read from ``/proc/<pid>/task/<tid>/children`` (Linux); elsewhere None.
        """
        if self.pid is None or not self._process_alive():
            return None
        count, pending = 0, [self.pid]
        while pending:
            pid = pending.pop()
            try:
                threads = os.listdir(f"/proc/{pid}/task")
            except OSError:
                if pid == self.pid:
                    return None  # no /proc here (or the server just exited)
                continue
            for tid in threads:
                try:
                    with open(f"/proc/{pid}/task/{tid}/children") as listing:
                        children = [int(c) for c in listing.read().split()]
                except OSError:
                    if pid == self.pid:
                        return None
                    continue
                count += len(children)
                pending.extend(children)
        return count

    def _process_alive(self) -> bool:
        process = self._process
        return process is not None and process.returncode is None

    def call(
        self, name: str, arguments: dict[str, Any], *, timeout: float, meta: dict[str, Any] | None
    ) -> Any:
        """Call a tool and return the ``CallToolResult``.

        Raises:
            CallFailure: no answer within ``timeout`` (the server is killed), the server
                died, or it sent output that is not a valid answer. The connection is
                dead afterwards.
        """
        if self._dead:
            raise CallFailure("the tool server is not running")
        try:
            return self._driver.run(self._call(name, arguments, meta), timeout)
        except TimeoutError:
            self.kill()
            raise CallFailure(
                f"the tool server did not answer within {timeout:g} s", timed_out=True
            ) from None
        except CallFailure:
            self.kill()
            raise
        except asyncio.CancelledError:
            self.kill()
            raise CallFailure("the tool server exited during the call") from None
        except Exception as e:  # MCPError (connection closed), invalid results, ...
            exited = self.exit_status()
            self.kill()
            if exited is not None:
                raise CallFailure(
                    f"the tool server exited during the call (exit status {exited})"
                ) from None
            raise CallFailure(f"the tool call failed: {type(e).__name__}: {e}") from None

    def kill(self) -> None:
        """Kill the server now and stop its session (idempotent)."""
        from nexgym.mcp.transport import kill_process_group

        self._dead = True
        if self.pid is not None:
            kill_process_group(self.pid)
        self._shutdown(wait=CLOSE_TIMEOUT)
        self._finalizer()
        self._errlog.close()

    def close(self) -> None:
        """Shut the server down (stdin closed, then a kill if it lingers); idempotent."""
        if not self._finalizer.alive:
            return
        self._dead = True
        self._shutdown(wait=CLOSE_TIMEOUT)
        self._finalizer()
        self._errlog.close()

    def _shutdown(self, wait: float) -> None:
        runner, stop = self._runner, self._stop_event
        if runner is None or stop is None or runner.done() or self._driver.loop.is_closed():
            return

        async def finish() -> None:
            stop.set()
            await runner

        # A session that ends badly is settled by the kill in the finalizer.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            self._driver.run(finish(), wait)

    def _command_line(self) -> str:
        return subprocess.list2cmdline([self.spec.command, *self.spec.args])

    def _stderr_tail(self, chars: int = 600) -> str:
        try:
            self._errlog.seek(0, os.SEEK_END)
            size = self._errlog.tell()
            self._errlog.seek(max(0, size - chars))
            tail = self._errlog.read().decode("utf-8", errors="replace").strip()
        except (OSError, ValueError):
            return ""
        return f"; its stderr ends with:\n{tail}" if tail else ""
