"""``nexgym list`` and ``nexgym show``: browse the catalog of registered envs.

``list`` prints one row per env (id, domain, topology, agents, depth), filtered by
``--domain`` and ``--topology``, or JSON with ``--json``. ``show ID`` prints an env's
hierarchy as an indented tree with each agent's tools, a summary of the tool
schemas, and a sample task for ``--seed`` and ``--difficulty``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from nexgym.error import UnknownNameError

__all__ = ["add_parser", "describe_env", "hierarchy_tree", "run_list", "run_show", "tool_signature"]


def add_parser(sub: Any) -> None:
    """Register ``list`` and ``show``."""
    from nexgym.topology import list_topologies

    listing = sub.add_parser(
        "list",
        help="list the registered envs",
        description="List the registered nex/... envs: domain, topology, agents, depth.",
    )
    listing.add_argument("--domain", help="only envs of this domain (e.g. files)")
    listing.add_argument("--topology", choices=list_topologies(), help="only envs of this topology")
    listing.add_argument("--json", action="store_true", help="print a JSON list instead")
    listing.set_defaults(func=run_list)

    show = sub.add_parser(
        "show",
        help="show an env's hierarchy, tools and a sample task",
        description="Show an env's agent hierarchy as a tree, its tools and a sample task.",
    )
    show.add_argument("env_id", metavar="ID", help="env id (nex/FileOps-v0) or name (FileOps)")
    show.add_argument("--seed", type=int, default=0, help="seed of the sample task")
    show.add_argument("--difficulty", type=int, default=1, help="difficulty of the sample task")
    show.add_argument("--yaml", action="store_true", help="also print the spec as YAML")
    show.set_defaults(func=run_show)


# -- list ---------------------------------------------------------------------------


def describe_env(env_id: str) -> dict[str, Any]:
    """One catalog row: id, name, domain, topology, agent count, depth and tool count."""
    from nexgym.registry import load_catalog_spec

    spec = load_catalog_spec(env_id)
    return {
        "id": env_id,
        "name": spec.name,
        "domain": spec.domain,
        "topology": spec.topology,
        "agents": len(spec.agents),
        "depth": spec.depth(),
        "tools": len(spec.all_tools()),
        "description": spec.description,
    }


def run_list(args: argparse.Namespace) -> int:
    """Print the catalog (rows that fail to load are reported on stderr, exit code 1)."""
    import nexgym
    from nexgym.envs.domains import list_domains
    from nexgym.error import NexgymError

    if args.domain is not None and args.domain not in list_domains():
        raise UnknownNameError("domain", args.domain, list_domains())
    rows, broken = [], []
    for env_id in nexgym.list_envs():
        try:
            row = describe_env(env_id)
        except NexgymError as e:
            broken.append(f"{env_id}: {e}")
            continue
        if args.domain is not None and row["domain"] != args.domain:
            continue
        if args.topology is not None and row["topology"] != args.topology:
            continue
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
    for line in broken:
        print(f"nexgym list: warning: {line}", file=sys.stderr)
    return 1 if broken else 0


def _table(rows: list[dict[str, Any]]) -> str:
    columns = [("id", "<"), ("domain", "<"), ("topology", "<"), ("agents", ">"), ("depth", ">")]
    widths = {
        key: max(len(key), *(len(str(r[key])) for r in rows)) if rows else len(key)
        for key, _ in columns
    }
    lines = ["  ".join(f"{key:{align}{widths[key]}}" for key, align in columns).rstrip()]
    lines.append("  ".join("-" * widths[key] for key, _ in columns))
    for row in rows:
        lines.append(
            "  ".join(f"{row[key]!s:{align}{widths[key]}}" for key, align in columns).rstrip()
        )
    lines.append(f"({len(rows)} env{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


# -- show ---------------------------------------------------------------------------


def tool_signature(parameters: dict[str, Any]) -> str:
    """A one-line argument list from a JSON schema: ``path: string, limit?: integer``."""
    required = set(parameters.get("required", []))
    parts = []
    for name, prop in parameters.get("properties", {}).items():
        kind = prop.get("type")
        if kind is None and "anyOf" in prop:
            kind = "|".join(str(p.get("type", "any")) for p in prop["anyOf"])
        parts.append(f"{name}{'' if name in required else '?'}: {kind or 'any'}")
    return ", ".join(parts)


def hierarchy_tree(spec: Any) -> list[str]:
    """The hierarchy as indented ASCII tree lines, each agent with its tools.

    An agent reachable from two callers is expanded once and marked "(see above)" after.
    """
    lines: list[str] = []
    seen: set[str] = set()

    def visit(name: str, prefix: str, connector: str, child_prefix: str) -> None:
        agent = spec.agent(name)
        tools = ", ".join(agent.tools) if agent.tools else "-"
        label = f"{name} [tools: {tools}]"
        if name in seen:
            lines.append(f"{prefix}{connector}{name} (see above)")
            return
        seen.add(name)
        lines.append(f"{prefix}{connector}{label}")
        children = agent.sub_agents
        for i, child in enumerate(children):
            last = i == len(children) - 1
            visit(
                child, prefix + child_prefix, "`-- " if last else "|-- ", "    " if last else "|   "
            )

    visit(spec.root, "", "", "")
    return lines


def run_show(args: argparse.Namespace) -> int:
    """Print the hierarchy, the tools and a sample task of one env."""
    from nexgym.envs.domains import get_domain
    from nexgym.registry import env_id, load_catalog_spec

    spec = load_catalog_spec(args.env_id)
    domain = get_domain(spec.domain)
    try:
        domain.check_difficulty(args.difficulty)
        task = domain.generate_task(args.seed, args.difficulty)
        out = [
            f"{env_id(spec.name)}: {spec.description or spec.name}",
            f"domain {spec.domain} ({domain.description}); topology {spec.topology}; "
            f"{len(spec.agents)} agent(s), depth {spec.depth()}",
            "",
            "Hierarchy (root first; sub-agents are called like tools):",
        ]
        out += ["  " + line for line in hierarchy_tree(spec)]
        out += ["", "Agents:"]
        for agent in spec.agents:
            limit = f"max {agent.max_turns} turns"
            out.append(f"  {agent.name} ({limit}): {agent.summary()}")
        out += ["", "Tools (a trailing ? marks an optional argument):"]
        held = spec.all_tools()
        for tool in domain.tools:
            if tool.name not in held:
                continue
            holders = ", ".join(spec.holders(tool.name))
            out.append(f"  {tool.name}({tool_signature(tool.parameters)})")
            out.append(f"      {tool.description} [held by {holders}]")
        out.append("  finish(answer: string)")
        out.append("      Give the final answer (every agent has it).")
        plan = task.plans[0] if task.plans else ()
        out += [
            "",
            f"Sample task (seed {args.seed}, difficulty {args.difficulty}):",
            *("  " + line for line in task.instruction.splitlines()),
            f"  (oracle plan: {len(plan)} tool call(s); {len(task.plans)} alternative plan(s))",
        ]
        if args.yaml:
            out += ["", "Spec (YAML):", spec.to_yaml().rstrip()]
    finally:
        domain.close()
    print("\n".join(out))
    return 0
