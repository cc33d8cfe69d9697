"""Read a NexAU agent config tree into a :class:`~nexgym.spec.HierarchySpec`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexgym.nexau.files import (
    AGENT_FIELDS,
    NEXGYM_KEY,
    fail,
    read_mapping,
    resolve,
    snake_name,
)
from nexgym.nexau.mapping import choose_domain, mcp_server_entries, server_specs
from nexgym.spec import MCP_DOMAIN, HierarchySpec

__all__ = ["NexauImport", "load", "load_report"]

#: Fields the loader maps onto the spec; every other NexAU field is kept as metadata.
_MAPPED = frozenset(
    {
        "type",
        "name",
        "description",
        "system_prompt",
        "system_prompt_type",
        "tools",
        "sub_agents",
        "max_iterations",
        "mcp_servers",
        "global_storage",
    }
)
_MAX_TURNS = 1000  # AgentSpec.max_turns' bound


@dataclass(frozen=True)
class NexauImport:
    """A loaded spec and the loader's notes (fields kept as metadata, names changed, ...)."""

    spec: HierarchySpec
    notes: tuple[str, ...]


@dataclass
class _Agent:
    """One agent file as read, before the domain is known."""

    name: str
    where: str
    role: str
    description: str
    tools: list[str]
    children: list[str]
    max_turns: int | None
    meta: dict[str, Any]


@dataclass
class _Tree:
    root_dir: Path
    agents: dict[str, _Agent] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load(
    path: str | Path, *, domain: str | None = None, name: str | None = None, strict: bool = True
) -> HierarchySpec:
    """Read a NexAU agent config tree (the main agent file and what it references).

    Args:
        path: the main agent YAML file.
        domain: the nexgym domain whose tools the agents hold. Without it, the domain
            is the one the root file names under ``global_storage.nexgym.domain``, or
            else the registered domain with the fewest tools that has every tool named.
        name: the spec's CamelCase name (default: the file's, else the root agent's).
        strict: if false, tools the domain lacks are dropped with a note instead of
            failing the load.

    Returns:
        The spec; what could not be mapped is in ``spec.metadata["nexau"]`` (see
        :func:`load_report` for the notes).

    Raises:
        SpecError: a file is missing, malformed or cyclic; each line names the file and field.
    """
    return load_report(path, domain=domain, name=name, strict=strict).spec


def load_report(
    path: str | Path, *, domain: str | None = None, name: str | None = None, strict: bool = True
) -> NexauImport:
    """Like :func:`load`, and also return the notes on what was kept, renamed or dropped."""
    main = Path(path)
    tree = _Tree(root_dir=main.parent)
    root_data = read_mapping(main, main.name, "nexau.load(path)", "NexAU agent config")
    storage = root_data.get("global_storage") or {}
    if not isinstance(storage, dict):
        raise fail(main.name, "global_storage", f"expected a mapping, got {storage!r}")
    block = storage.get(NEXGYM_KEY) or {}
    if not isinstance(block, dict):
        raise fail(main.name, f"global_storage.{NEXGYM_KEY}", f"expected a mapping, got {block!r}")
    root = _read_agent(tree, main, root_data, None, [])
    declared = [(n, e) for n in tree.order for e in tree.agents[n].meta.get("mcp_servers", ())]
    wanted = domain or block.get("domain")
    no_tools = not any(a.tools for a in tree.agents.values())
    servers: list[dict[str, Any]] = []
    server_meta: dict[str, dict[str, Any]] = {}
    if declared and (wanted == MCP_DOMAIN or (wanted is None and no_tools)):
        # the agents' tools are the servers' own: a bring-your-own-server spec
        chosen = MCP_DOMAIN
        servers, server_meta = server_specs(declared, tree.agents)
        for agent_name in tree.order:
            tree.agents[agent_name].meta.pop("mcp_servers", None)
        tree.notes.append(f"{main.name}: mcp_servers: {len(servers)} server(s) served (domain mcp)")
    else:
        chosen, domain_notes = choose_domain(tree.agents, domain, block.get("domain"), main.name)
        tree.notes.extend(domain_notes)
        for agent_name, server_entry in declared:
            tree.notes.append(
                f"{tree.agents[agent_name].where}: mcp_servers: {server_entry['name']!r} kept in "
                f"metadata (the spec's tools come from domain {chosen!r}, not from servers)"
            )
    from nexgym.envs.domains import domain_class

    known = set() if chosen == MCP_DOMAIN else {t.name for t in domain_class(chosen).tools}
    agents = []
    for agent_name in tree.order:
        agent = tree.agents[agent_name]
        tools = []
        for tool in agent.tools:
            if tool in known:
                tools.append(tool)
            elif strict:
                raise fail(
                    agent.where,
                    "tools",
                    f"domain {chosen!r} has no tool {tool!r}; pick the domain with "
                    "nexau.load(path, domain=...) or pass strict=False to drop the tool",
                )
            else:
                tree.notes.append(f"{agent.where}: tools: dropped {tool!r} (not a {chosen} tool)")
        entry: dict[str, Any] = {
            "name": agent.name,
            "role": agent.role,
            "tools": tools,
            "sub_agents": agent.children,
        }
        if agent.description:
            entry["description"] = agent.description
        if agent.max_turns is not None:
            entry["max_turns"] = agent.max_turns
        agents.append(entry)
    metadata = dict(block.get("metadata") or {})
    metadata["nexau"] = {
        "root_file": main.name,
        "agents": {n: tree.agents[n].meta for n in tree.order},
    }
    if server_meta:
        metadata["nexau"]["mcp_servers"] = server_meta
    storage_rest = {k: v for k, v in storage.items() if k != NEXGYM_KEY}
    if storage_rest:
        metadata["nexau"]["global_storage"] = storage_rest
    data: dict[str, Any] = {
        "name": name or block.get("name") or _camel(root),
        "domain": chosen,
        "topology": block.get("topology", "tree"),
        "root": root,
        "agents": agents,
        "subagent_call": block.get("subagent_call", "agent_tool"),
        "mcp_servers": servers,
        "metadata": metadata,
    }
    for key in ("description", "topology_params", "limits"):
        if key in block:
            data[key] = block[key]
    unknown = set(block) - {*data, "description", "topology_params", "limits"}
    if unknown:
        raise fail(
            main.name,
            f"global_storage.{NEXGYM_KEY}.{sorted(unknown)[0]}",
            "unknown field; expected name, description, domain, topology, topology_params, "
            "limits, subagent_call or metadata",
        )
    spec = HierarchySpec.from_dict(data, source=str(main))
    return NexauImport(spec, tuple(tree.notes))


def _read_agent(
    tree: _Tree, path: Path, data: dict[str, Any], given_name: str | None, stack: list[Path]
) -> str:
    """Read one agent file (and, depth first, its sub-agents); returns the agent's name."""
    where = _relative(tree.root_dir, path)
    kind = data.get("type", "agent")
    if kind != "agent":
        raise fail(where, "type", f"expected 'agent', got {kind!r}; point at an agent config")
    raw_name = given_name or data.get("name")
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise fail(where, "name", f"expected the agent's name (a string), got {raw_name!r}")
    name = snake_name(raw_name)
    meta: dict[str, Any] = {"file": where}
    if name != raw_name:
        meta["config_name"] = raw_name
        tree.notes.append(f"{where}: name: {raw_name!r} is {name!r} in the spec (snake_case)")
    if name in tree.agents:
        if tree.agents[name].where != where:
            raise fail(
                where,
                "name",
                f"agent {name!r} is defined in {tree.agents[name].where} too; "
                "give each agent its own name",
            )
        return name  # the same file reached along another path (a DAG, not a cycle)
    role = _role(tree, path, data, where, meta)
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise fail(where, "description", f"expected text, got {description!r}")
    max_turns = _max_turns(tree, data, where)
    agent = _Agent(name, where, role, description.strip(), [], [], max_turns, meta)
    agent.tools = _tools(tree, path, data, where, meta)
    servers = mcp_server_entries(data.get("mcp_servers"), where)
    if servers:
        meta["mcp_servers"] = servers  # served, or kept as metadata (see load_report)
    kept = {k: v for k, v in data.items() if k not in _MAPPED}
    if kept:
        meta["fields"] = kept
        for key in sorted(kept):
            what = "has no meaning in an env" if key in AGENT_FIELDS else "is not a NexAU field"
            tree.notes.append(f"{where}: {key}: {what}; kept in metadata")
    tree.agents[name] = agent
    tree.order.append(name)
    agent.children = _sub_agents(tree, path, data, where, meta, [*stack, path.resolve()])
    return name


def _role(tree: _Tree, path: Path, data: dict[str, Any], where: str, meta: dict[str, Any]) -> str:
    prompt = data.get("system_prompt")
    kind = data.get("system_prompt_type", "string")
    if kind not in ("string", "file", "jinja"):
        raise fail(where, "system_prompt_type", f"expected string, file or jinja, got {kind!r}")
    if prompt is None:
        tree.notes.append(f"{where}: system_prompt: none given; the role says only the name")
        return f"You are {data.get('name', 'an agent')}."
    parts = prompt if isinstance(prompt, list) else [prompt]
    texts = []
    for i, part in enumerate(parts):
        item = part.get("content") if isinstance(part, dict) else part
        field_name = "system_prompt" if len(parts) == 1 else f"system_prompt[{i}]"
        if not isinstance(item, str):
            raise fail(where, field_name, f"expected text or a file path, got {part!r}")
        if kind == "string":
            texts.append(item)
            continue
        file = resolve(path.parent, item, where, field_name)
        try:
            texts.append(file.read_text(encoding="utf-8"))
        except OSError:
            raise fail(
                where,
                field_name,
                f"expected a prompt file at {item!r} ({file}), found none; fix the path",
            ) from None
        meta.setdefault("system_prompt_files", []).append(item)
    if kind != "string":
        meta["system_prompt_type"] = kind
    role = "\n\n".join(t.strip() for t in texts).strip()
    if not role:
        raise fail(where, "system_prompt", "expected a non-empty prompt, got an empty one")
    if kind == "jinja" or "{{" in role:
        tree.notes.append(f"{where}: system_prompt: template placeholders are kept as text")
    return role


def _max_turns(tree: _Tree, data: dict[str, Any], where: str) -> int | None:
    raw = data.get("max_iterations")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise fail(where, "max_iterations", f"expected a positive integer, got {raw!r}")
    if raw > _MAX_TURNS:
        tree.notes.append(
            f"{where}: max_iterations: {raw} is above nexgym's limit; max_turns is {_MAX_TURNS}"
        )
        return _MAX_TURNS
    return raw


def _tools(
    tree: _Tree, path: Path, data: dict[str, Any], where: str, meta: dict[str, Any]
) -> list[str]:
    entries = data.get("tools") or []
    if not isinstance(entries, list):
        raise fail(where, "tools", f"expected a list of tool entries, got {entries!r}")
    names: list[str] = []
    kept: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise fail(
                where, f"tools[{i}]", f"expected a mapping with name and yaml_path, got {entry!r}"
            )
        tool_name = entry.get("name")
        if "yaml_path" in entry:
            tool_path = resolve(path.parent, entry["yaml_path"], where, f"tools[{i}].yaml_path")
            tool = read_mapping(
                tool_path,
                _relative(tree.root_dir, tool_path),
                f"{where}: tools[{i}].yaml_path",
                "NexAU tool config",
            )
            if tool.get("type", "tool") != "tool":
                raise fail(where, f"tools[{i}].yaml_path", "expected a file with type: tool")
            tool_name = tool_name or tool.get("name")
        if not isinstance(tool_name, str) or not tool_name:
            raise fail(where, f"tools[{i}].name", f"expected the tool's name, got {tool_name!r}")
        if tool_name in kept:
            raise fail(where, f"tools[{i}].name", f"tool {tool_name!r} is listed twice")
        names.append(tool_name)
        kept[tool_name] = {k: v for k, v in entry.items() if k != "name"}
    if kept:
        meta["tools"] = kept
    return names


def _sub_agents(
    tree: _Tree,
    path: Path,
    data: dict[str, Any],
    where: str,
    meta: dict[str, Any],
    stack: list[Path],
) -> list[str]:
    entries = data.get("sub_agents") or []
    if not isinstance(entries, list):
        raise fail(where, "sub_agents", f"expected a list of sub-agent entries, got {entries!r}")
    children: list[str] = []
    kept: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(entries):
        field_name = f"sub_agents[{i}]"
        if not isinstance(entry, dict) or "config_path" not in entry:
            raise fail(where, field_name, f"expected a mapping with config_path, got {entry!r}")
        child_path = resolve(path.parent, entry["config_path"], where, f"{field_name}.config_path")
        if child_path.resolve() in stack:
            chain = [_relative(tree.root_dir, p) for p in stack]
            chain.append(_relative(tree.root_dir, child_path))
            raise fail(
                where,
                f"{field_name}.config_path",
                f"cycle in the sub-agent files {' -> '.join(chain)}; "
                "sub-agents must form a tree or DAG",
            )
        child_data = read_mapping(
            child_path,
            _relative(tree.root_dir, child_path),
            f"{where}: {field_name}.config_path",
            "NexAU agent config",
        )
        given = entry.get("name")
        child = _read_agent(tree, child_path, child_data, given, stack)
        if child in children:
            raise fail(where, field_name, f"sub-agent {child!r} is listed twice")
        children.append(child)
        kept[child] = {k: v for k, v in entry.items() if k != "name"}
        if given is not None:
            kept[child]["name"] = given
    if kept:
        meta["sub_agents"] = kept
    return children


def _relative(root_dir: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _camel(name: str) -> str:
    camel = "".join(part.capitalize() for part in name.split("_") if part)
    return camel if camel[:1].isalpha() else f"Agent{camel}"
