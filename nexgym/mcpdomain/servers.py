"""The world of a ``domain: mcp`` env: live connections to the spec's MCP servers.

One :class:`ServerPool` per env (its domain instance): each server is started on first
use, restarted at each task when it asks for a fresh state, and ended by ``close()``.
Calls go over stdio through :class:`~nexgym.mcp.connection.ServerConnection` (a
timeout, a dead server or garbage output become tool errors, never hangs).
"""

from __future__ import annotations

from typing import Any

from nexgym.error import BackendError, ConfigError, ToolError
from nexgym.mcpdomain.tools import raise_if_error
from nexgym.spec import McpServerSpec

__all__ = ["ServerPool", "connect"]


def connect(server: McpServerSpec) -> Any:
    """A started connection to ``server`` (its tools listed).

    Raises:
        BackendError: the server did not start or did not complete the handshake.
        ConfigError: the URL is not an http(s) URL.
    """
    if server.url is not None:
        if not server.url.startswith(("http://", "https://")):
            raise ConfigError(
                f"mcp_servers.{server.name}.url: expected an http:// or https:// URL, "
                f"got {server.url!r}"
            )
        from nexgym.mcpdomain.http import HttpConnection

        return HttpConnection(server.name, server.url, timeout=max(server.timeout, 10.0))
    from nexgym.mcp.connection import ServerConnection, ServerSpec

    spec = ServerSpec(server.name, str(server.command), tuple(server.args), dict(server.env))
    return ServerConnection(spec, start_timeout=max(server.timeout, 30.0))


class ServerPool:
    """Connections to the servers of one env, by server name (the env's world)."""

    def __init__(self, servers: tuple[McpServerSpec, ...]) -> None:
        self.servers = {s.name: s for s in servers}
        self._connections: dict[str, Any] = {}
        #: calls sent since the pool was made (for logs and tests)
        self.calls = 0

    @property
    def pids(self) -> list[int]:
        """Process ids of the servers running now."""
        return [c.pid for c in self._connections.values() if c.pid is not None and c.alive]

    def connection(self, name: str) -> Any:
        """The live connection to server ``name`` (started, or restarted after a failure)."""
        conn = self._connections.get(name)
        if conn is None or not conn.alive:
            if conn is not None:
                conn.close()
            conn = connect(self.servers[name])
            self._connections[name] = conn
        return conn

    def fresh(self) -> None:
        """Restart the stdio servers that ask for a fresh state at each task.

        A server reached by URL is not ours to restart: its state carries over.
        """
        for name, server in self.servers.items():
            conn = self._connections.pop(name, None)
            if conn is not None and server.restart_on_reset and server.url is None:
                conn.close()
            elif conn is not None:
                self._connections[name] = conn

    def call(self, server: str, tool: str, arguments: dict[str, Any]) -> str:
        """Call ``tool`` on ``server``; its text, or :class:`ToolError` for an error answer."""
        from nexgym.mcp.connection import CallFailure

        try:
            conn = self.connection(server)
        except BackendError as e:
            raise ToolError(f"server {server} is not available: {e}") from None
        self.calls += 1
        try:
            result = conn.call(tool, arguments, timeout=self.servers[server].timeout, meta=None)
        except CallFailure as e:
            raise ToolError(f"{tool} on server {server} failed: {e}") from None
        return raise_if_error(result, server, tool)

    def close(self) -> None:
        """End every server process (idempotent)."""
        while self._connections:
            _, conn = self._connections.popitem()
            conn.close()

    def __deepcopy__(self, memo: dict[int, Any]) -> ServerPool:
        raise ConfigError(
            "expected a topology with one world (tree, centralized, hybrid), got one that "
            "forks worlds; an MCP server's state cannot be copied"
        )
