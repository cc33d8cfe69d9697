"""How NexAU's fields meet nexgym's: the domain behind the tools, and MCP server entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from nexgym.error import NexgymError, SpecError
from nexgym.nexau.files import fail

__all__ = ["choose_domain", "mcp_server_entries", "server_specs"]

#: NexAU server entry fields that become fields of a nexgym ``McpServerSpec``.
_SERVER_FIELDS = ("command", "args", "env", "url", "timeout", "restart_on_reset")


class _HasTools(Protocol):
    tools: list[str]


def choose_domain(
    agents: Mapping[str, _HasTools], given: str | None, declared: Any, where: str
) -> tuple[str, list[str]]:
    """The domain whose tools the agents hold, and notes on how it was chosen.

    The order: the ``domain`` argument, then ``global_storage.nexgym.domain`` of the root
    file, then the registered domain with the fewest tools that has every tool named
    (composite domains hold their parts' tools, so the narrowest one is the match).

    Raises:
        SpecError: no domain was named and none (or no single narrowest one) fits.
    """
    from nexgym.envs.domains import DOMAINS, domain_class

    notes: list[str] = []
    if given is not None:
        if declared is not None and declared != given:
            notes.append(
                f"{where}: global_storage.nexgym.domain: {declared!r} overridden by {given!r}"
            )
        return given, notes
    if declared is not None:
        if not isinstance(declared, str):
            raise fail(where, "global_storage.nexgym.domain", f"expected a name, got {declared!r}")
        return declared, notes
    wanted = {t for a in agents.values() for t in a.tools}
    if not wanted:
        raise fail(
            where,
            "tools",
            "no agent names a tool, so the domain cannot be inferred; "
            "pass nexau.load(path, domain=...)",
        )
    fits: list[tuple[int, str]] = []
    best: tuple[int, str] = (-1, "")
    for name in sorted(DOMAINS):
        try:
            tools = {t.name for t in domain_class(name).tools}
        except NexgymError:  # a domain whose optional dependency is missing
            continue
        if wanted <= tools:
            fits.append((len(tools), name))
        best = max(best, (len(wanted & tools), name))
    if not fits:
        missing = sorted(wanted - {t.name for t in domain_class(best[1]).tools}) if best[1] else []
        raise SpecError(
            f"{where}: tools: expected tools of one registered domain, got {sorted(wanted)}; "
            f"the closest, {best[1]!r}, lacks {missing}; pass nexau.load(path, domain=...) "
            "with strict=False to drop the others, or register a domain that has them",
            source=where,
        )
    fits.sort()
    if len(fits) > 1 and fits[0][0] == fits[1][0]:
        names = [n for size, n in fits if size == fits[0][0]]
        raise fail(
            where,
            "tools",
            f"domains {names} all have every tool named; pass nexau.load(path, domain=...)",
        )
    chosen = fits[0][1]
    others = [n for _, n in fits[1:]]
    notes.append(
        f"{where}: domain {chosen!r} inferred from the tool names"
        + (f" (also fit: {', '.join(others)})" if others else "")
    )
    return chosen, notes


def mcp_server_entries(raw: Any, where: str) -> list[dict[str, Any]]:
    """NexAU ``mcp_servers`` entries, checked: each a stdio command or an HTTP URL.

    Raises:
        SpecError: an entry is not a mapping, has no name, or lacks its command or url.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise fail(where, "mcp_servers", f"expected a list of server entries, got {raw!r}")
    out = []
    for i, entry in enumerate(raw):
        field = f"mcp_servers[{i}]"
        if not isinstance(entry, dict):
            raise fail(where, field, f"expected a mapping with name and type, got {entry!r}")
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise fail(
                where, f"{field}.name", f"expected the server's name, got {entry.get('name')!r}"
            )
        kind = entry.get("type", "stdio")
        if kind == "stdio":
            if not isinstance(entry.get("command"), str) or not entry["command"]:
                raise fail(where, f"{field}.command", "expected the command that starts the server")
            args = entry.get("args", [])
            if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                raise fail(where, f"{field}.args", f"expected a list of strings, got {args!r}")
            env = entry.get("env", {})
            if not isinstance(env, dict):
                raise fail(where, f"{field}.env", f"expected a mapping, got {env!r}")
        elif kind in ("http", "streamable_http", "sse"):
            if not isinstance(entry.get("url"), str) or not entry["url"]:
                raise fail(where, f"{field}.url", "expected the server's URL")
        else:
            raise fail(where, f"{field}.type", f"expected stdio or http, got {kind!r}")
        out.append(dict(entry))
    return out


def server_specs(
    declared: list[tuple[str, dict[str, Any]]], agents: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """NexAU server entries (``(agent, entry)``) as ``McpServerSpec`` data, merged by name.

    The agents that declare one server share it. NexAU-only fields (``type``,
    ``headers``, ...) are returned apart, by server, for :func:`~nexgym.nexau.dump`.

    Raises:
        SpecError: two agents declare different servers under one name.
    """
    from nexgym.nexau.files import snake_name

    servers: dict[str, dict[str, Any]] = {}
    extras: dict[str, dict[str, Any]] = {}
    for agent, entry in declared:
        name = snake_name(entry["name"])
        spec: dict[str, Any] = {"name": name, **{k: entry[k] for k in _SERVER_FIELDS if k in entry}}
        extra = {k: v for k, v in entry.items() if k not in (*_SERVER_FIELDS, "name")}
        if entry["name"] != name:
            extra["config_name"] = entry["name"]
        if name in servers:
            if {k: v for k, v in servers[name].items() if k != "agents"} != spec or (
                extras[name] != extra
            ):
                raise fail(
                    agents[agent].where,
                    "mcp_servers",
                    f"server {entry['name']!r} is declared differently in "
                    f"{agents[servers[name]['agents'][0]].where}; give it another name",
                )
            servers[name]["agents"].append(agent)
            continue
        servers[name] = {**spec, "agents": [agent]}
        extras[name] = extra
    return list(servers.values()), {k: v for k, v in extras.items() if v}
