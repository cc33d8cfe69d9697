"""The MCP servers a hierarchy spec may declare (bring your own server).

Kept apart from :mod:`nexgym.spec` (which re-exports it) so that the DSL module stays
about the hierarchy itself.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["MCP_DOMAIN", "McpServerSpec"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class McpServerSpec(BaseModel):
    """An MCP server the env starts and whose tools it offers (bring your own server).

    Give ``command`` (with ``args`` and ``env``: a stdio server) or ``url`` (a
    streamable HTTP server). Its tools are discovered with ``list_tools`` when the env
    is built and added to the tools of the agents named in ``agents`` (the root when
    empty). A spec with servers uses ``domain: mcp``: tasks come from exploring the
    servers' read tools (see :mod:`nexgym.mcpdomain`).

    Attributes:
        name: snake_case name of the server (prefixes its tools when two servers clash).
        command: the program that starts a stdio server.
        args: its arguments.
        env: environment variables added for it.
        url: the endpoint of a streamable HTTP server.
        agents: the agents offered its tools (default: the root).
        restart_on_reset: start a fresh process at each task (stdio), so that a stateful
            server begins every episode in its initial state.
        timeout: seconds allowed for one call.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    agents: tuple[str, ...] = ()
    restart_on_reset: bool = True
    timeout: float = Field(default=30.0, gt=0, le=600)

    @field_validator("name")
    @classmethod
    def _server_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"expected a snake_case server name, got {value!r}")
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Exactly one of ``command`` and ``url``."""
        if (self.command is None) == (self.url is None):
            raise ValueError(
                f"server {self.name!r}: expected exactly one of 'command' (stdio) and "
                f"'url' (streamable HTTP), got {'both' if self.command else 'neither'}"
            )


#: The domain name of a spec whose tools all come from its ``mcp_servers``.
MCP_DOMAIN = "mcp"
