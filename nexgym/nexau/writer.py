"""Write a :class:`~nexgym.spec.HierarchySpec` as a NexAU agent config tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nexgym.nexau.files import NEXGYM_KEY, safe_relative
from nexgym.spec import AgentSpec, HierarchySpec

__all__ = ["dump"]

#: The order of the fields the writer sets; fields kept from a NexAU file follow them.
_FIELD_ORDER = (
    "type",
    "name",
    "description",
    "max_iterations",
    "system_prompt",
    "system_prompt_type",
    "tools",
    "sub_agents",
    "mcp_servers",
)


def dump(spec: HierarchySpec, folder: str | Path) -> Path:
    """Write ``spec`` as NexAU files under ``folder``; returns the main agent file.

    One agent file per agent (the names recorded by :func:`~nexgym.nexau.load`, else
    ``<agent>.yaml``), one ``tools/<tool>.tool.yaml`` per domain tool held (name,
    description, ``input_schema`` from the domain), and what only nexgym reads (domain,
    topology, limits, call form, metadata) under the root file's
    ``global_storage.nexgym``. Fields kept from a loaded NexAU file (``llm_config``,
    hooks, ...) are written back as they were. A ``binding`` names the nexgym function
    behind the tool; it takes the world as its first argument, so NexAU cannot call it
    as it is.

    Raises:
        SpecError: the spec's ``metadata.nexau`` names a path outside ``folder``.
    """
    from nexgym.envs.domains import domain_class

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    info = dict(spec.metadata.get("nexau") or {})
    recorded: dict[str, dict[str, Any]] = dict(info.get("agents") or {})
    tools = {} if spec.mcp_servers else {t.name: t for t in domain_class(spec.domain).tools}
    server_entries = _server_entries(spec, info.get("mcp_servers", {}))
    files = {
        a.name: safe_relative(recorded.get(a.name, {}).get("file", f"{a.name}.yaml"), a.name)
        for a in spec.agents
    }
    for agent in spec.agents:
        meta = recorded.get(agent.name, {})
        data = _agent_data(agent, meta, files, tools, out, server_entries)
        if agent.name == spec.root:
            data["global_storage"] = _storage(spec, info)
        _write_yaml(out / files[agent.name], data)
    return out / files[spec.root]


def _agent_data(
    agent: AgentSpec,
    meta: dict[str, Any],
    files: dict[str, Any],
    tools: dict[str, Any],
    out: Path,
    server_entries: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "agent", "name": meta.get("config_name", agent.name)}
    if agent.description:
        data["description"] = agent.description
    data["max_iterations"] = agent.max_turns
    prompt_files = meta.get("system_prompt_files")
    if prompt_files:
        # the role was read from files and joined: it goes back into the first one
        target = safe_relative(prompt_files[0], f"{agent.name}.system_prompt_files")
        _write_text(out / files[agent.name].parent / target, agent.role + "\n")
        data["system_prompt"] = prompt_files[0]
        data["system_prompt_type"] = meta.get("system_prompt_type", "file")
    else:
        data["system_prompt"] = agent.role
    tool_meta: dict[str, dict[str, Any]] = meta.get("tools", {})
    entries = []
    for name in agent.tools:
        kept = dict(tool_meta.get(name, {}))
        path = kept.pop("yaml_path", f"./tools/{name}.tool.yaml")
        tool = tools[name]
        # a composite domain's tool is a callable object: its class's module, the tool's name
        module, function = tool.fn.__module__, getattr(tool.fn, "__name__", name)
        binding = kept.pop("binding", f"{module}:{function}")
        file = out / files[agent.name].parent / safe_relative(path, f"{name}.yaml_path")
        _write_yaml(file, _tool_data(tool))
        entries.append({"name": name, "yaml_path": path, "binding": binding, **kept})
    if entries:
        data["tools"] = entries
    sub_meta: dict[str, dict[str, Any]] = meta.get("sub_agents", {})
    children = []
    for child in agent.sub_agents:
        kept = dict(sub_meta.get(child, {}))
        given = kept.pop("name", child)
        path = kept.pop("config_path", _relative_to(files[agent.name], files[child]))
        children.append({"name": given, "config_path": path, **kept})
    if children:
        data["sub_agents"] = children
    entries = list(meta.get("mcp_servers", ()))
    entries.extend(server_entries.get(agent.name, ()))
    if entries:
        data["mcp_servers"] = entries
    ordered = {k: data[k] for k in _FIELD_ORDER if k in data}
    ordered.update(meta.get("fields", {}))
    return ordered


def _server_entries(
    spec: HierarchySpec, extras: dict[str, dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Each agent's NexAU ``mcp_servers`` entries for the spec's servers."""
    out: dict[str, list[dict[str, Any]]] = {}
    for server in spec.mcp_servers:
        extra = dict(extras.get(server.name, {}))
        entry: dict[str, Any] = {"name": extra.pop("config_name", server.name)}
        entry["type"] = extra.pop("type", "stdio" if server.command else "http")
        fields = server.model_dump(mode="json", exclude={"name", "agents"}, exclude_defaults=True)
        entry.update(fields)
        entry.update(extra)
        for agent in server.agents or (spec.root,):
            out.setdefault(agent, []).append(entry)
    return out


def _tool_data(tool: Any) -> dict[str, Any]:
    schema = dict(tool.parameters)
    schema.setdefault("type", "object")
    return {
        "type": "tool",
        "name": tool.name,
        "description": tool.description,
        "input_schema": schema,
    }


def _storage(spec: HierarchySpec, info: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = {"name": spec.name, "domain": spec.domain, "topology": spec.topology}
    dumped = spec.to_dict()
    for key in ("description", "topology_params", "limits"):
        if key in dumped:
            block[key] = dumped[key]
    block["subagent_call"] = spec.subagent_call
    metadata = {k: v for k, v in spec.metadata.items() if k != "nexau"}
    if metadata:
        block["metadata"] = metadata
    return {**info.get("global_storage", {}), NEXGYM_KEY: block}


def _relative_to(source: Any, target: Any) -> str:
    """``target``'s path as written in ``source``'s file (both relative to the folder)."""
    up = len(source.parent.parts)
    return "./" + "/".join([".."] * up + list(target.parts)) if up else f"./{target}"


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)
    _write_text(path, text)


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
