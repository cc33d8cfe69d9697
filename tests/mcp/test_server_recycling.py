"""An external server whose child processes pile up is replaced at a reset."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

pytest.importorskip("mcp")
pytest.importorskip("mcp_server_git")

from nexgym.envs.domains.gitrepo import MAX_SERVER_CHILDREN, GitRepoDomain
from nexgym.envs.domains.kit.tool_server import ToolServer

from nexgym.mcp.backend import MCPBackend
from nexgym.tools import ToolCall

pytestmark = [
    pytest.mark.mcp,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


class TightGitDomain(GitRepoDomain):
    """mcp-server-git allowed no process under it but its watchdog."""

    def tool_server(self) -> ToolServer:
        return dataclasses.replace(super().tool_server(), max_children=1)


def test_a_server_over_its_child_limit_is_replaced_at_the_next_reset():
    assert GitRepoDomain().tool_server().max_children == MAX_SERVER_CHILDREN
    domain = TightGitDomain()
    backend = MCPBackend(domain)
    try:
        backend.reset(domain.generate_task(0))
        conn = backend._connection
        assert conn is not None and conn.descendants() == 1  # the watchdog
        first = backend.pid
        # each call leaves a Repo holding git cat-file processes until the server's
        # cycle collector runs (an idle server allocates nothing: they stay until reset)
        for _ in range(50):
            assert backend.call(ToolCall("git_log", {"max_count": 2})).ok
            if (conn.descendants() or 0) > 1:
                break
        assert (conn.descendants() or 0) > 1
        backend.reset(domain.generate_task(1))
        assert backend.recycles == 1 and backend.starts == 2 and backend.pid != first
        assert backend.call(ToolCall("git_status", {})).ok  # the new server serves
    finally:
        backend.close()
        domain.close()
