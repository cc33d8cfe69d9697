"""Bring your own MCP server: a spec declares servers, the env offers their tools.

A spec with ``mcp_servers`` (and ``domain: mcp``) names stdio servers (the env starts
each) or streamable HTTP URLs (servers that run on their own); the env discovers their
tools with ``list_tools`` and gives them to the agents each server names (the root by
default)::

    name: KeyValueDesk
    domain: mcp
    root: keeper
    agents:
      - {name: keeper, role: You keep the store in order.}
    mcp_servers:
      - name: store
        command: python
        args: [-m, my_kv_server]

There is no task generator for such a server, so tasks come from exploring it
(:mod:`nexgym.mcpdomain.explore`): lookups checked by re-running a read tool, and
states to reach checked the same way. Each task starts on fresh stdio server
processes. Limits: a server reached by URL keeps its state across tasks, so only its
reads are explored (lookup tasks); tree-shaped topologies only (a server's state
cannot be forked); difficulty 1 only; the exploration starts each stdio server a few
times when the env is first built (seconds per server), then reuses its findings.
"""

from __future__ import annotations

from nexgym.mcpdomain.domain import ServerDomain, bind_servers, discover

__all__ = ["ServerDomain", "bind_servers", "discover"]
