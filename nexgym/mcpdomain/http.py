"""A synchronous handle on an MCP server reached by URL (streamable HTTP).

The server runs on its own (nexgym does not start it). The client session lives on
a private event loop in a thread of its own; each call waits for its answer with a
timeout, and a call that fails leaves the connection dead, as over stdio.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any

from nexgym.error import BackendError

__all__ = ["HttpConnection"]


class HttpConnection:
    """One initialized MCP client session over streamable HTTP.

    Args:
        name: the server's name (for messages).
        url: the server's endpoint (``http://host:port/mcp``).
        timeout: seconds allowed for the handshake.

    Raises:
        BackendError: the server cannot be reached or does not complete the handshake.
    """

    pid: int | None = None  # not a process of ours

    def __init__(self, name: str, url: str, *, timeout: float) -> None:
        self.name = name
        self.url = url
        self.tools: list[Any] = []
        self._session: Any = None
        self._dead = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"nexgym-mcp-http-{name}", daemon=True
        )
        self._thread.start()
        self._stop: asyncio.Event | None = None
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._runner = asyncio.run_coroutine_threadsafe(self._run(ready), self._loop)
        try:
            ready.result(timeout)
        except Exception as e:
            self.close()
            reason = "no answer in time" if isinstance(e, TimeoutError) else f"{e}"
            raise BackendError(
                f"the MCP server {name!r} at {url} could not be reached: {reason}; "
                "check that it runs and that the URL ends with its MCP path (often /mcp)"
            ) from None

    async def _run(self, ready: concurrent.futures.Future[None]) -> None:
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        self._stop = asyncio.Event()
        try:
            async with (
                streamable_http_client(self.url) as (read_stream, write_stream, *_),
                ClientSession(read_stream, write_stream) as session,
            ):
                await session.initialize()
                self.tools = (await session.list_tools()).tools
                self._session = session
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as e:
            if not ready.done():
                ready.set_exception(e if isinstance(e, Exception) else RuntimeError(repr(e)))
        finally:
            self._dead = True
            self._session = None

    @property
    def alive(self) -> bool:
        """Whether the session is up."""
        return self._session is not None and not self._dead

    def call(
        self, name: str, arguments: dict[str, Any], *, timeout: float, meta: dict[str, Any] | None
    ) -> Any:
        """Call a tool; :class:`~nexgym.mcp.connection.CallFailure` when no answer comes."""
        from nexgym.mcp.connection import CallFailure

        session = self._session
        if session is None or self._dead:
            raise CallFailure("the tool server is not connected")
        future = asyncio.run_coroutine_threadsafe(
            session.call_tool(name, arguments, meta=meta), self._loop
        )
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self.close()
            raise CallFailure(
                f"the tool server did not answer within {timeout:g} s", timed_out=True
            ) from None
        except Exception as e:
            self.close()
            raise CallFailure(f"the tool call failed: {type(e).__name__}: {e}") from None

    def close(self) -> None:
        """End the session and its loop thread (idempotent)."""
        self._dead = True
        if self._loop.is_closed():
            return
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(stop.set)
        try:
            self._runner.result(5.0)
        except Exception:  # a session that ended badly has nothing left to wait for
            self._runner.cancel()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5.0)
        if not self._thread.is_alive():
            self._loop.close()
