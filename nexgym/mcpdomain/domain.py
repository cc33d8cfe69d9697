"""A domain made from a spec's MCP servers: tools from ``list_tools``, tasks from exploration."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from nexgym.envs.domains.kit.base import Domain, Goal, Task
from nexgym.error import ConfigError, NexgymError
from nexgym.mcpdomain.explore import Proposal, explore
from nexgym.mcpdomain.servers import ServerPool
from nexgym.mcpdomain.tools import ServerTool, is_read_only
from nexgym.spec import HierarchySpec, McpServerSpec, load_spec

__all__ = ["ServerDomain", "bind_servers", "discover"]


class ServerDomain(Domain):
    """Base of the domains :func:`bind_servers` makes (one subclass per set of servers)."""

    servers: ClassVar[tuple[McpServerSpec, ...]] = ()
    proposals: ClassVar[tuple[Proposal, ...]] = ()
    notes: ClassVar[tuple[str, ...]] = ()
    difficulties: ClassVar[tuple[int, ...]] = (1,)

    def __init__(self) -> None:
        super().__init__()
        self.pool = ServerPool(self.servers)

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """A task drawn from the exploration's proposals, on fresh servers."""
        if not self.proposals:
            raise ConfigError(
                f"domain {self.name!r}: exploring its servers found no task whose success "
                "the servers' read tools can check (notes: "
                + ("; ".join(self.notes) or "none")
                + "); give the env task_seeds with tasks of your own, or a server with "
                "deterministic read tools"
            )
        proposal = self.proposals[int(self.rng(seed).integers(len(self.proposals)))]
        self.pool.fresh()
        probe_tool = self._tools[proposal.probe.name]
        probe = proposal.probe
        expected = proposal.expected

        def reached(world: Any, answer: str | None) -> bool:
            return _same(probe_tool(world, **probe.arguments), expected)

        def answered(world: Any, answer: str | None) -> bool:
            return _norm(probe_tool(world, **probe.arguments)) in _norm(answer or "")

        lookup = proposal.kind == "lookup"
        goal = Goal(
            proposal.instruction,
            answered if lookup else reached,
            (proposal.plan,),
            expected if lookup else None,
        )
        return Task(
            self.name,
            seed,
            difficulty,
            proposal.instruction,
            self.pool,
            [goal],
            (proposal.plan,),
            expected.strip() if lookup else None,
            {"proposal": proposal.kind},
        )

    def copy_world(self, world: Any) -> Any:
        """Refused: a server's state cannot be forked (peer topologies need copies)."""
        raise ConfigError(
            f"domain {self.name!r}: expected a topology with one world (tree, centralized, "
            "hybrid), got one that forks worlds; an MCP server's state cannot be copied"
        )

    def close(self) -> None:
        """End the env's server processes."""
        self.pool.close()


def discover(servers: tuple[McpServerSpec, ...]) -> dict[str, ServerTool]:
    """Every server's tools, by the name agents call them (prefixed ``server__`` on a clash).

    Raises:
        BackendError: a server does not start.
        ConfigError: a server's tool schema is not valid JSON Schema.
    """
    from nexgym.mcpdomain.servers import connect

    listed: list[tuple[McpServerSpec, Any]] = []
    for server in servers:
        conn = connect(server)
        try:
            listed.extend((server, t) for t in conn.tools)
        finally:
            conn.close()
    counts: dict[str, int] = {}
    for _, t in listed:
        counts[t.name] = counts.get(t.name, 0) + 1
    tools: dict[str, ServerTool] = {}
    for server, t in listed:
        name = t.name if counts[t.name] == 1 else f"{server.name}__{t.name}"
        try:
            tools[name] = ServerTool(
                server.name,
                t.name,
                name,
                t.description or "",
                dict(t.input_schema or {}),
                is_read_only(t.name, t.annotations),
            )
        except NexgymError as e:
            raise ConfigError(f"mcp_servers.{server.name}: {e}") from None
    return tools


_BOUND: dict[str, str] = {}  # server-set digest -> registered domain name


def bind_servers(spec: HierarchySpec) -> HierarchySpec:
    """The spec with its servers' tools given to its roles, on a registered domain.

    The first call for a set of servers starts each, lists its tools, explores it for
    tasks and registers the domain (``mcp_<digest>``); later calls reuse it.
    """
    from nexgym.envs.domains import register_domain

    if not spec.mcp_servers:
        return spec
    payload = json.dumps([s.model_dump(mode="json") for s in spec.mcp_servers], sort_keys=True)
    digest = hashlib.sha256(payload.encode()).hexdigest()[:12]
    name = _BOUND.get(digest)
    if name is None:
        tools = discover(spec.mcp_servers)
        pool = ServerPool(spec.mcp_servers)
        try:
            proposals, notes = explore(pool, tools)
        finally:
            pool.close()
        name = f"mcp_{digest}"
        attributes = {
            "name": name,
            "description": "the tools of MCP servers "
            + ", ".join(s.name for s in spec.mcp_servers),
            "tools": tuple(tools.values()),
            "servers": spec.mcp_servers,
            "proposals": tuple(proposals),
            "notes": tuple(notes),
            "nondeterministic": True,
        }
        register_domain(name, type(f"ServerDomain_{digest}", (ServerDomain,), attributes))
        _BOUND[digest] = name
    from nexgym.envs.domains import domain_class

    held: dict[str, list[str]] = {a.name: [] for a in spec.agents}
    for tool in domain_class(name).tools:
        server = next(s for s in spec.mcp_servers if s.name == getattr(tool, "server", ""))
        for role in server.agents or (spec.root,):
            held[role].append(tool.name)
    data = spec.to_dict()
    data["domain"] = name
    data.pop("mcp_servers")
    data.setdefault("metadata", {})["mcp_servers"] = [
        s.model_dump(mode="json") for s in spec.mcp_servers
    ]
    for agent in data["agents"]:
        agent["tools"] = held[agent["name"]]
    return load_spec(data)


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()


def _same(a: str, b: str) -> bool:
    return _norm(a) == _norm(b)
