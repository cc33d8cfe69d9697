"""The MCP bridge: serve any domain as an MCP server and run env tools through one.

* :mod:`nexgym.mcp.server`: ``nexgym serve-mcp DOMAIN`` (a low-level MCP ``Server``).
* :mod:`nexgym.mcp.backend`: ``MCPBackend``, what ``gym.make(id, backend="mcp")`` uses.
* :mod:`nexgym.mcp.connection` and :mod:`nexgym.mcp.transport`: one server process and
  its client session, driven synchronously.
* A domain names a third-party MCP server for its tools with
  :class:`nexgym.envs.domains.kit.tool_server.ToolServer` (the domain layer; the bridge reads it).

Importing this package imports nothing from the ``mcp`` SDK; its modules do.
"""
