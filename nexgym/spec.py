"""The hierarchy DSL (after NexAU's agent config files).

A :class:`HierarchySpec` names a domain, a root agent and the agents below it. Each
agent holds some of the domain's tools and may call other agents, exactly as it calls
tools: a sub-agent is a tool whose argument is a task message and whose result is the
sub-agent's final answer. YAML in, YAML out::

    name: TravelDesk
    domain: travel
    topology: centralized
    root: planner
    agents:
      - name: planner
        role: You plan trips and keep them within budget.
        tools: [check_budget]
        sub_agents: [flights, hotels]
      - name: flights
        role: You find and book flights.
        tools: [search_flights, book_flight]
      - name: hotels
        role: You find and book hotels.
        tools: [search_hotels, book_hotel]

Validation names the path of the bad field and how to fix it: unknown tools, cycles
in the sub-agent graph, unreachable agents, duplicate names, a missing root.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nexgym.error import SpecError
from nexgym.serverspec import MCP_DOMAIN, McpServerSpec

__all__ = [
    "AGENT_TOOL",
    "BUILTIN_TOOLS",
    "MCP_DOMAIN",
    "SUBAGENT_CALLS",
    "AgentSpec",
    "HierarchySpec",
    "Limits",
    "McpServerSpec",
    "TopologyParams",
    "load_spec",
]

#: How an agent calls its sub-agents: one tool per sub-agent (``flights(task=...)``),
#: or NexAU's one ``Agent`` tool (``Agent(sub_agent_name="flights", message=...)``).
SubagentCall = Literal["per_agent", "agent_tool"]
SUBAGENT_CALLS: tuple[str, ...] = ("per_agent", "agent_tool")
#: The name of the one delegation tool of the ``agent_tool`` call form (NexAU's).
AGENT_TOOL = "Agent"
#: Tools every agent has without declaring them.
BUILTIN_TOOLS: tuple[str, ...] = ("finish",)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_ENV_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,79}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgentSpec(_Strict):
    """One agent of a hierarchy.

    Attributes:
        name: snake_case identifier; callers call the agent by this name.
        role: the role prompt (what the agent is and how it works).
        description: what callers see when they call this agent as a tool.
        tools: names of the domain tools the agent holds.
        sub_agents: names of the agents this agent may call.
        max_turns: actions the agent may take per invocation before it is stopped.
    """

    name: str
    role: str = Field(min_length=1)
    description: str = ""
    tools: tuple[str, ...] = ()
    sub_agents: tuple[str, ...] = ()
    max_turns: int = Field(default=24, ge=1, le=1000)

    @field_validator("name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"expected a snake_case name (a-z, 0-9, _; starting with a letter), got {value!r}"
            )
        if value in BUILTIN_TOOLS:
            raise ValueError(f"{value!r} is a built-in tool name; pick another agent name")
        return value

    def summary(self) -> str:
        """The text callers see for this agent."""
        return self.description or self.role.split(".")[0].strip()


class TopologyParams(_Strict):
    """Parameters of the coordination topologies.

    Attributes:
        n: number of parallel agents (independent, decentralized) or workers.
        rounds: times an orchestrator may assign one sub-task (the same worker and task
            text: a first try, then re-assignments after checking the report) in
            centralized and hybrid teams; None (the default) sets no limit.
        debate_rounds: revision rounds in which peers see each other's answers (decentralized).
    """

    n: int = Field(default=3, ge=1, le=16)
    rounds: int | None = Field(default=None, ge=1, le=16)
    debate_rounds: int = Field(default=1, ge=0, le=8)


class Limits(_Strict):
    """Episode limits.

    Attributes:
        max_invalid_actions: invalid actions tolerated in an episode before it ends.
        max_depth: how deep sub-agent calls may nest at run time.
    """

    max_invalid_actions: int = Field(default=8, ge=1, le=10_000)
    max_depth: int = Field(default=8, ge=1, le=64)


class HierarchySpec(_Strict):
    """A hierarchy of agents acting on one domain (the NexAU DSL).

    Build one with :func:`load_spec` (YAML text, a path or a dict) so that the
    semantic checks run; ``HierarchySpec(**fields)`` runs them too.
    """

    name: str
    description: str = ""
    domain: str
    topology: str = "tree"
    root: str
    agents: tuple[AgentSpec, ...] = Field(min_length=1)
    topology_params: TopologyParams = TopologyParams()
    limits: Limits = Limits()
    #: ``per_agent`` (one tool per sub-agent) or ``agent_tool`` (NexAU's one ``Agent`` tool).
    subagent_call: SubagentCall = "per_agent"
    #: MCP servers whose tools the env offers (``domain: mcp``; see :class:`McpServerSpec`).
    mcp_servers: tuple[McpServerSpec, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _camel_case(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(f"expected a CamelCase name such as 'TravelDesk', got {value!r}")
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Run the semantic checks (they need the whole spec)."""
        problems = list(self._semantic_problems())
        if problems:
            raise SpecError(problems)

    # -- queries ---------------------------------------------------------------------

    @property
    def agent_names(self) -> tuple[str, ...]:
        """Agent names in declaration order."""
        return tuple(a.name for a in self.agents)

    def agent(self, name: str) -> AgentSpec:
        """The agent called ``name``."""
        for a in self.agents:
            if a.name == name:
                return a
        raise KeyError(name)

    def walk(self, start: str | None = None, depth: int = 0) -> Iterator[tuple[int, AgentSpec]]:
        """Depth-first ``(depth, agent)`` pairs from ``start`` (the root by default)."""
        agent = self.agent(start or self.root)
        yield depth, agent
        for child in agent.sub_agents:
            yield from self.walk(child, depth + 1)

    def depth(self) -> int:
        """Levels in the hierarchy (1 for a single agent)."""
        return 1 + max(d for d, _ in self.walk())

    def holders(self, tool: str) -> tuple[str, ...]:
        """Agents that hold a domain tool."""
        return tuple(a.name for a in self.agents if tool in a.tools)

    def subtree(self, name: str) -> set[str]:
        """Names of ``name`` and every agent it can reach."""
        return {a.name for _, a in self.walk(name)}

    def all_tools(self) -> set[str]:
        """Every domain tool some agent holds."""
        return {t for a in self.agents for t in a.tools}

    # -- validation ------------------------------------------------------------------

    def _semantic_problems(self) -> Iterator[str]:
        names = [a.name for a in self.agents]
        index: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in index:
                yield (
                    f"agents[{i}].name: duplicate agent name {name!r} (also agents[{index[name]}]);"
                    " give each agent a unique name"
                )
            index.setdefault(name, i)
        if self.root not in index:
            yield f"root: no agent is called {self.root!r}{_suggest(self.root, names)}"
            return
        for i, agent in enumerate(self.agents):
            for j, child in enumerate(agent.sub_agents):
                if child not in index:
                    yield (
                        f"agents[{i}].sub_agents[{j}]: no agent is called {child!r}"
                        f"{_suggest(child, names)}"
                    )
                elif child == agent.name:
                    yield f"agents[{i}].sub_agents[{j}]: agent {child!r} cannot call itself"
            for j, tool in enumerate(agent.tools):
                if tool in BUILTIN_TOOLS:
                    yield f"agents[{i}].tools[{j}]: {tool!r} is built in; remove it from the list"
            if len(set(agent.tools)) != len(agent.tools):
                yield f"agents[{i}].tools: a tool is listed twice; list each tool once"
        cycle = _find_cycle({a.name: a.sub_agents for a in self.agents if a.name in index})
        if cycle:
            where = index[cycle[0]]
            yield (
                f"agents[{where}].sub_agents: cycle in the sub-agent graph "
                f"{' -> '.join(cycle)}; sub-agent calls must form a tree or DAG"
            )
            return
        reachable = {self.root}
        frontier = [self.root]
        while frontier:
            for child in self.agent(frontier.pop()).sub_agents:
                if child in index and child not in reachable:
                    reachable.add(child)
                    frontier.append(child)
        for i, name in enumerate(names):
            if name not in reachable:
                yield (
                    f"agents[{i}]: agent {name!r} is unreachable from root {self.root!r};"
                    " add it to some agent's sub_agents or remove it"
                )
        yield from self._topology_problems()
        if self.topology == "single" and len(self.agents) != 1:
            yield (
                f"topology: 'single' means one agent holding every tool, got "
                f"{len(self.agents)} agents; use 'tree' or 'centralized'"
            )
        yield from self._domain_problems()

    def _topology_problems(self) -> Iterator[str]:
        # the registry module imports nothing above the spec (runtimes are named, not imported)
        from nexgym.topology.registry import list_topologies

        names = list_topologies()
        if self.topology not in names:
            choices = ", ".join(repr(n) for n in names)
            yield f"topology: expected one of {choices}, got {self.topology!r}"

    def _domain_problems(self) -> Iterator[str]:
        from nexgym.envs.domains import DOMAINS, domain_class

        if self.mcp_servers or self.domain == MCP_DOMAIN:
            yield from self._server_problems()
            return
        if self.domain not in DOMAINS:
            yield f"domain: unknown domain {self.domain!r}{_suggest(self.domain, DOMAINS)}"
            return
        domain_tools = {t.name for t in domain_class(self.domain).tools}
        for i, agent in enumerate(self.agents):
            for j, tool in enumerate(agent.tools):
                if tool not in domain_tools and tool not in BUILTIN_TOOLS:
                    yield (
                        f"agents[{i}].tools[{j}]: domain {self.domain!r} has no tool {tool!r}"
                        f"{_suggest(tool, domain_tools)}"
                    )

    def _server_problems(self) -> Iterator[str]:
        """A ``domain: mcp`` spec: servers declared, roles named, no domain tools listed."""
        if self.domain != MCP_DOMAIN:
            yield (
                f"domain: a spec with mcp_servers has domain {MCP_DOMAIN!r}, got "
                f"{self.domain!r}; its tools come from the servers"
            )
        if not self.mcp_servers:
            yield "mcp_servers: domain 'mcp' needs at least one server; declare one"
        names = [s.name for s in self.mcp_servers]
        for i, server in enumerate(self.mcp_servers):
            if names.index(server.name) != i:
                yield f"mcp_servers[{i}].name: duplicate server name {server.name!r}"
            for j, role in enumerate(server.agents):
                if role not in self.agent_names:
                    yield (
                        f"mcp_servers[{i}].agents[{j}]: no agent is called {role!r}"
                        f"{_suggest(role, self.agent_names)}"
                    )
        for i, agent in enumerate(self.agents):
            if agent.tools:
                yield (
                    f"agents[{i}].tools: with domain 'mcp' the tools come from the servers; "
                    "list the agent in mcp_servers[].agents instead"
                )

    # -- YAML ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data, defaults left out, ready for YAML or JSON."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        data.setdefault("topology", self.topology)
        return data

    def to_yaml(self) -> str:
        """The spec as YAML text (loads back to an equal spec)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, width=100, allow_unicode=True)

    @classmethod
    def from_yaml(cls, text: str, *, source: str | None = None) -> HierarchySpec:
        """Parse and validate YAML text."""
        try:
            data = yaml.load(text, Loader=_LOADER)
        except yaml.YAMLError as e:
            raise SpecError(f"(yaml): not valid YAML: {e}", source=source) from e
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> HierarchySpec:
        """Validate plain data (for example parsed YAML)."""
        if not isinstance(data, dict):
            raise SpecError(
                f"(top level): expected a mapping with name, domain, root and agents, "
                f"got {type(data).__name__}",
                source=source,
            )
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise SpecError(_describe(e), source=source) from e


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(source: str | Path | dict[str, Any] | HierarchySpec) -> HierarchySpec:
    """Load a spec from a YAML path, YAML text, a dict, or pass a spec through."""
    if isinstance(source, HierarchySpec):
        return source
    if isinstance(source, dict):
        return HierarchySpec.from_dict(source)
    if isinstance(source, Path) or (
        isinstance(source, str) and source.endswith((".yaml", ".yml")) and "\n" not in source
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise SpecError(f"(file): cannot read {path}: {e.strerror}", source=str(path)) from e
        return HierarchySpec.from_yaml(text, source=str(path))
    return HierarchySpec.from_yaml(str(source))


def _suggest(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=2, cutoff=0.5)
    if close:
        return f"; did you mean {' or '.join(repr(c) for c in close)}?"
    listing = ", ".join(sorted(known)[:10])
    return f"; expected one of: {listing}" if listing else ""


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in graph.get(node, ()):
            if state.get(child) == 1:
                return [*stack[stack.index(child) :], child]
            if child in graph and not state.get(child):
                found = visit(child)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if not state.get(node):
            found = visit(node)
            if found:
                return found
    return None


def _describe(e: ValidationError) -> list[str]:
    lines = []
    for err in e.errors():
        path = _path(err["loc"])
        msg = err["msg"]
        original = err.get("ctx", {}).get("error")
        if isinstance(original, SpecError):  # the semantic checks of model_post_init
            lines.extend(original.problems)
        elif err["type"] == "value_error":
            lines.append(f"{path}: {msg.removeprefix('Value error, ')}")
        elif err["type"] == "extra_forbidden":
            lines.append(f"{path}: unknown field; remove it or check its spelling")
        elif err["type"] == "missing":
            lines.append(f"{path}: required field is missing")
        else:
            lines.append(f"{path}: {msg.removeprefix('Value error, ')}, got {err.get('input')!r}")
    return lines


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
