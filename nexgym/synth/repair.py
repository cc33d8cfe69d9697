"""Deterministic repair of near-miss hierarchy specs (what a language model writes).

A model's YAML is often almost right: a tool name slightly off, an agent nobody
calls, a missing root, agents given as a mapping, keys in other words. :func:`repair`
fixes what can be fixed without guessing the author's intent, records each fix, and
leaves the rest to validation (whose errors are fed back to the model).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from nexgym.error import SpecError
from nexgym.synth.wording import camel_name, snake_name
from nexgym.topology import list_topologies

__all__ = ["extract_yaml", "repair"]

_FENCE = re.compile(r"```(?:ya?ml)?\s*\n(.*?)(?:```|$)", re.DOTALL)
_KEY_ALIASES = {
    "subagents": "sub_agents",
    "sub-agents": "sub_agents",
    "children": "sub_agents",
    "delegates": "sub_agents",
    "workers": "sub_agents",
    "calls": "sub_agents",
    "prompt": "role",
    "system_prompt": "role",
    "instructions": "role",
    "instruction": "role",
    "tool": "tools",
    "functions": "tools",
    "actions": "tools",
    "id": "name",
}
_AGENT_KEYS = ("name", "role", "description", "tools", "sub_agents", "max_turns")
_TOP_KEYS = ("name", "description", "domain", "topology", "root", "agents", "metadata")


def extract_yaml(text: str) -> Any:
    """The YAML a model wrote: inside a code fence if there is one, from ``name:`` on.

    Raises:
        SpecError: when no YAML mapping can be read.
    """
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    start = body.find("name:")
    if start > 0:
        body = body[start:]
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0] if str(e) else "parse error"
        raise SpecError(f"(yaml): not valid YAML ({first}); write the spec as YAML") from e
    if not isinstance(data, dict):
        raise SpecError(
            f"(top level): expected a YAML mapping with name, domain, root and agents, "
            f"got {type(data).__name__}"
        )
    return data


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _agents(value: Any, notes: list[str]) -> list[dict[str, Any]]:
    if isinstance(value, dict):  # {name: {role: ...}} instead of a list
        notes.append("agents: turned the mapping of agents into a list")
        value = [
            dict(v or {}, name=k) if isinstance(v, dict) else {"name": k} for k, v in value.items()
        ]
    out = []
    for item in _listify(value):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            notes.append(f"agents: dropped an entry that is not a mapping ({item!r})")
            continue
        agent: dict[str, Any] = {}
        for key, v in item.items():
            key = _KEY_ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
            if key in _AGENT_KEYS:
                agent[key] = v
            else:
                notes.append(f"agents: dropped the unknown field {key!r}")
        out.append(agent)
    return out


def repair(
    data: dict[str, Any],
    *,
    domains: Mapping[str, Sequence[str]],
    text: str = "",
    cover: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """Fix a near-miss spec; returns the repaired data and one note per fix.

    Args:
        data: the parsed YAML.
        domains: ``{domain: tool names}`` it may use (the first is the default domain).
        text: the description (for a name when the spec has none).
        cover: give tools nobody holds to the root, so the oracle can use every tool.

    Raises:
        SpecError: the data has no agents at all.
    """
    notes: list[str] = []
    data = {
        _KEY_ALIASES.get(str(k).strip().lower(), str(k).strip().lower()): v for k, v in data.items()
    }
    for key in list(data):
        if key not in _TOP_KEYS:
            notes.append(f"dropped the unknown top-level field {key!r}")
            del data[key]
    agents = _agents(data.get("agents"), notes)
    if not agents:
        raise SpecError("agents: expected a list of agents with name, role and tools, got none")
    name = str(data.get("name") or "")
    fixed_name = camel_name(re.findall(r"[A-Za-z0-9]+", name) or text.split()[:3] or ["Synth"])
    if fixed_name != name:
        notes.append(f"name: {name!r} -> {fixed_name!r}")
    domain = str(data.get("domain") or "")
    if domain not in domains:
        close = difflib.get_close_matches(domain, list(domains), n=1, cutoff=0.5)
        new = close[0] if close else next(iter(domains))
        notes.append(f"domain: {domain!r} -> {new!r}")
        domain = new
    known_tools = list(domains[domain])
    renamed: dict[str, str] = {}
    for i, agent in enumerate(agents):
        old = str(agent.get("name") or f"agent_{i + 1}")
        new = snake_name(re.findall(r"[A-Za-z0-9]+", old) or [f"agent_{i + 1}"])
        while new in renamed.values():
            new = f"{new[:44]}_{i + 1}"
        if new != old:
            notes.append(f"agents[{i}].name: {old!r} -> {new!r}")
        renamed[old] = new
        agent["name"] = new
        role = agent.get("role")
        if not isinstance(role, str) or not role.strip():
            agent["role"] = f"You are the {new.replace('_', ' ')}."
            notes.append(f"agents[{i}].role: wrote a default role")
        if "description" in agent and not isinstance(agent["description"], str):
            del agent["description"]
        agent["tools"] = _fix_tools(agent.get("tools"), known_tools, f"agents[{i}]", notes)
        if "max_turns" in agent and not (
            isinstance(agent["max_turns"], int) and 1 <= agent["max_turns"] <= 1000
        ):
            del agent["max_turns"]
    names = [a["name"] for a in agents]
    for i, agent in enumerate(agents):
        children = []
        for child in _listify(agent.get("sub_agents")):
            target = renamed.get(
                str(child), snake_name(re.findall(r"[A-Za-z0-9]+", str(child)) or ["x"])
            )
            if target in names and target != agent["name"] and target not in children:
                children.append(target)
            else:
                notes.append(f"agents[{i}].sub_agents: dropped {child!r}")
        agent["sub_agents"] = children
    root = renamed.get(str(data.get("root")), str(data.get("root") or ""))
    if root not in names:
        new_root = _best_root(agents)
        notes.append(f"root: {data.get('root')!r} -> {new_root!r}")
        root = new_root
    _make_tree(agents, root, notes)
    topology = str(data.get("topology") or "")
    depth = _depth(agents, root)
    if topology not in list_topologies() or (topology == "single" and len(agents) > 1):
        new_topology = "single" if len(agents) == 1 else ("tree" if depth >= 3 else "centralized")
        notes.append(f"topology: {topology!r} -> {new_topology!r}")
        topology = new_topology
    if cover:
        held = {t for a in agents for t in a["tools"]}
        missing = [t for t in known_tools if t not in held]
        if missing:
            root_agent = next(a for a in agents if a["name"] == root)
            root_agent["tools"] = [*root_agent["tools"], *missing]
            notes.append(f"gave the tools nobody held to {root}: {', '.join(missing)}")
    out: dict[str, Any] = {
        "name": fixed_name,
        "domain": domain,
        "topology": topology,
        "root": root,
        "agents": [{k: v for k, v in a.items() if v not in ([], None)} for a in agents],
    }
    if isinstance(data.get("description"), str):
        out["description"] = data["description"]
    return out, notes


def _fix_tools(value: Any, known: list[str], where: str, notes: list[str]) -> list[str]:
    tools: list[str] = []
    for raw in _listify(value):
        tool = str(raw).strip().strip("'\"`").replace("-", "_").replace(" ", "_").lower()
        if tool == "finish":
            continue
        if tool not in known:
            close = difflib.get_close_matches(tool, known, n=1, cutoff=0.6)
            if not close:
                notes.append(f"{where}.tools: dropped {raw!r} (no such tool)")
                continue
            notes.append(f"{where}.tools: {raw!r} -> {close[0]!r}")
            tool = close[0]
        if tool not in tools:
            tools.append(tool)
    return tools


def _make_tree(agents: list[dict[str, Any]], root: str, notes: list[str]) -> None:
    """Cut calls that loop or give an agent a second caller; attach stray agents to the root."""
    by_name = {a["name"]: a for a in agents}
    seen: set[str] = set()

    def walk(start: str) -> None:  # breadth-first; the first caller keeps a child
        seen.add(start)
        order = [start]
        for name in order:
            agent = by_name[name]
            kept = []
            for child in agent["sub_agents"]:
                if child in seen:
                    notes.append(f"{name}.sub_agents: dropped {child!r} (called elsewhere)")
                    continue
                seen.add(child)
                order.append(child)
                kept.append(child)
            agent["sub_agents"] = kept

    walk(root)
    for agent in agents:
        if agent["name"] not in seen:
            by_name[root]["sub_agents"].append(agent["name"])
            notes.append(f"{root}.sub_agents: added {agent['name']!r} (nobody called it)")
            walk(agent["name"])


def _best_root(agents: list[dict[str, Any]]) -> str:
    """The agent that reaches the most others (then: one nobody calls, the first)."""
    by_name = {a["name"]: a for a in agents}
    called = {c for a in agents for c in a["sub_agents"]}

    def reach(name: str) -> int:
        seen, stack = {name}, [name]
        while stack:
            for child in by_name[stack.pop()]["sub_agents"]:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return len(seen)

    ranked = [(reach(a["name"]), a["name"] not in called, -i) for i, a in enumerate(agents)]
    return agents[-max(ranked)[2]]["name"]


def _depth(agents: list[dict[str, Any]], root: str) -> int:
    by_name = {a["name"]: a for a in agents}

    def depth(name: str, seen: frozenset[str]) -> int:
        children = [c for c in by_name[name]["sub_agents"] if c not in seen]
        return 1 + max((depth(c, seen | {c}) for c in children), default=0)

    return depth(root, frozenset({root}))
