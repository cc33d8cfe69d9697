"""``nexgym serve-mcp DOMAIN``: serve a domain's tools as an MCP server over stdio.

Any MCP client can then list the tools (with their JSON schemas), load a task with
``_nexgym_reset(seed, difficulty)`` and call the tools; ``_nexgym_verify`` scores
the world. DOMAIN is a domain name (``files``), an env id (``nex/FileOps-v0``, which
serves that env's domain) or ``package.module:DomainClass``. ``--tools`` prints
the tool list as JSON instead of serving.

Example client configuration (any MCP host)::

    {"command": "nexgym", "args": ["serve-mcp", "files", "--seed", "0"]}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parser", "run_serve_mcp"]


def add_parser(sub: Any) -> None:
    """Register ``serve-mcp``."""
    parser = sub.add_parser(
        "serve-mcp",
        help="serve a domain's tools as an MCP server over stdio",
        description="Serve a domain's tools (plus _nexgym_reset/_nexgym_verify control "
        "tools) as an MCP server over stdin/stdout.",
    )
    parser.add_argument(
        "domain",
        metavar="DOMAIN",
        help="a domain name (files), an env id (nex/FileOps-v0) or package.module:DomainClass",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="load this task at start-up (default: none)"
    )
    parser.add_argument("--difficulty", type=int, default=1, help="difficulty of that task")
    parser.add_argument(
        "--tools", action="store_true", help="print the tools and their schemas as JSON and exit"
    )
    parser.set_defaults(func=run_serve_mcp)


def _domain_name(target: str) -> str:
    from nexgym.registry import NAMESPACE, load_catalog_spec

    if target.startswith(f"{NAMESPACE}/"):
        return load_catalog_spec(target).domain
    return target


def run_serve_mcp(args: argparse.Namespace) -> int:
    """Serve until the client closes stdin (or print the tools with ``--tools``)."""
    from nexgym.mcp.server import CONTROL_TOOLS, load_domain, run

    name = _domain_name(args.domain)
    if args.tools:
        domain = load_domain(name)
        try:
            tools = [
                {"name": t.name, "description": t.description, "inputSchema": t.parameters}
                for t in (*domain.tools, *CONTROL_TOOLS.values())
            ]
        finally:
            domain.close()
        json.dump(tools, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    return run(argparse.Namespace(domain=name, seed=args.seed, difficulty=args.difficulty))
