"""A small stateful MCP server for the bring-your-own-server tests: a key-value store.

Run as ``python tests/mcpdomain/kv_server.py`` (stdio), or with ``--http PORT`` as a
streamable HTTP server on loopback; the store lives in memory, so every process starts
with the same two keys.
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("kv-store")
STORE: dict[str, str] = {"color": "green", "size": "large"}


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def get_value(key: str) -> str:
    """Read the value stored under a key.

    Args:
        key: the key, e.g. 'color'.
    """
    if key not in STORE:
        raise ValueError(f"no key {key!r}")
    return STORE[key]


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def list_keys() -> str:
    """List every key in the store, comma-separated."""
    return ", ".join(sorted(STORE))


@server.tool()
def set_value(key: str, value: str) -> str:
    """Store a value under a key.

    Args:
        key: the key.
        value: the value to store.
    """
    STORE[key] = value
    return f"stored {key}"


if __name__ == "__main__":
    if "--http" in sys.argv:
        server.run("streamable-http", port=int(sys.argv[sys.argv.index("--http") + 1]))
    else:
        server.run("stdio")
