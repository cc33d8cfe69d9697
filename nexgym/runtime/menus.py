"""What each role of a hierarchy may call and the system prompt that lists it.

A role's menu maps every name it may call (domain tools under their shown names,
sub-agents, ``message`` for hybrid workers, ``finish``) to what the name stands for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nexgym.envs.domains.kit.base import Domain
from nexgym.runtime.frames import AGENT, DELEGATE, FINISH, MESSAGE, MenuEntry
from nexgym.runtime.prompts import example_call, system_prompt
from nexgym.spec import AGENT_TOOL, HierarchySpec
from nexgym.tools import ToolCall, function_schema

__all__ = [
    "RoleMenu",
    "agent_tool_schema",
    "build_menus",
    "capability_text",
    "delegation",
    "siblings",
]


@dataclass(frozen=True, slots=True)
class RoleMenu:
    """A role's callable names, its system prompt and a well-formed example call."""

    entries: dict[str, MenuEntry]
    prompt: str
    example: str


def siblings(spec: HierarchySpec) -> dict[str, tuple[str, ...]]:
    """Each sub-agent's fellow sub-agents of the same caller (whom a hybrid worker may tell)."""
    out: dict[str, tuple[str, ...]] = {}
    for agent in spec.agents:
        for child in agent.sub_agents:
            others = tuple(c for c in agent.sub_agents if c != child)
            out[child] = tuple(dict.fromkeys(out.get(child, ()) + others))
    return out


def delegation(spec: HierarchySpec, child: str, task: str) -> ToolCall:
    """The call that hands ``task`` to sub-agent ``child`` in the spec's call form."""
    if spec.subagent_call == "agent_tool":
        return ToolCall(AGENT_TOOL, {"sub_agent_name": child, "message": task})
    return ToolCall(child, {"task": task})


def agent_tool_schema(spec: HierarchySpec, children: tuple[str, ...]) -> dict[str, Any]:
    """The schema of the ``Agent`` tool of a role whose sub-agents are ``children``."""
    params = json.loads(json.dumps(AGENT.parameters))
    params["properties"]["sub_agent_name"]["enum"] = list(children)
    listing = "; ".join(f"{c} ({spec.agent(c).summary().rstrip('.')})" for c in children)
    description = f"{AGENT.description} Your sub-agents: {listing}."
    return function_schema(AGENT_TOOL, description, params)


def capability_text(spec: HierarchySpec, domain: Domain, renames: dict[str, str], name: str) -> str:
    """What a caller reads about sub-agent ``name``: its summary and what it can do.

    The tools it holds, and for a lead the tools its subtree holds, each with its
    required arguments (``read_file(path)``), so that a caller knows whom to ask for
    what and which values to give.
    """
    agent = spec.agent(name)

    def listed(tools: list[str]) -> str:
        out = []
        for tool in dict.fromkeys(tools):
            required = domain.tool(tool).parameters.get("required", [])
            out.append(f"{renames.get(tool, tool)}({', '.join(required)})")
        return ", ".join(out)

    parts = [agent.summary().rstrip(".") + "."]
    if agent.tools:
        parts.append(f"Its tools: {listed(list(agent.tools))}.")
    team = [t for child in agent.sub_agents for _, a in spec.walk(child) for t in a.tools]
    team = [t for t in team if t not in agent.tools]
    if team:
        parts.append(f"Through its sub-agents it can also use: {listed(team)}.")
    return " ".join(parts)


def build_menus(
    spec: HierarchySpec,
    domain: Domain,
    renames: dict[str, str],
    descriptions: dict[str, str],
    peers: dict[str, tuple[str, ...]],
) -> dict[str, RoleMenu]:
    """The menu of every agent of ``spec``.

    Args:
        spec: the hierarchy.
        domain: where the tools come from.
        renames: domain tool name -> shown name (schema drift).
        descriptions: domain tool name -> shown description.
        peers: role -> the roles it may ``message`` (empty for non-hybrid teams).
    """
    menus: dict[str, RoleMenu] = {}
    for agent in spec.agents:
        entries: dict[str, MenuEntry] = {}
        for name in agent.tools:
            tool = domain.tool(name)
            shown = renames.get(name, name)
            desc = descriptions.get(name, tool.description)
            entries[shown] = MenuEntry("tool", name, function_schema(shown, desc, tool.parameters))
        if spec.subagent_call == "agent_tool" and agent.sub_agents:
            schema = agent_tool_schema(spec, agent.sub_agents)
            entries[AGENT_TOOL] = MenuEntry("agent_tool", "", schema)
        else:
            for child in agent.sub_agents:
                text = capability_text(spec, domain, renames, child)
                schema = function_schema(child, text, DELEGATE.parameters)
                entries[child] = MenuEntry("subagent", child, schema)
        if peers.get(agent.name):
            params = json.loads(json.dumps(MESSAGE.parameters))
            params["properties"]["to"]["enum"] = list(peers[agent.name])
            schema = function_schema("message", MESSAGE.description, params)
            entries["message"] = MenuEntry("message", "message", schema)
        entries["finish"] = MenuEntry("finish", "finish", FINISH.schema())
        schemas = [e.schema for e in entries.values()]
        prompt = system_prompt(
            agent.name,
            agent.role,
            domain.description,
            schemas,
            bool(agent.sub_agents),
            agent_tool=spec.subagent_call == "agent_tool",
        )
        menus[agent.name] = RoleMenu(entries, prompt, example_call(schemas[0]))
    return menus
