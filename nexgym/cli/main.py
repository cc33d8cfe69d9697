"""The ``nexgym`` command line: one sub-command per module in :mod:`nexgym.cli`.

Each command module defines ``add_parser(subparsers)`` which registers its parser and
sets ``func`` (called with the parsed arguments, returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from nexgym.error import NexgymError

#: command name -> module in nexgym.cli
COMMANDS = {
    "list": "catalog",
    "show": "catalog",
    "play": "play",
    "rollout": "rollout",
    "synth": "synth",
    "serve-mcp": "serve_mcp",
    "serve-env": "serve_env",
    "bench": "bench",
    "train": "train",
    "models": "models",
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="nexgym",
        description="Agent-hierarchy environments for RL: list, inspect, play, "
        "roll out, synthesize, serve over MCP, benchmark and train.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    seen = set()
    for module_name in COMMANDS.values():
        if module_name in seen:
            continue
        seen.add(module_name)
        try:
            module = importlib.import_module(f"nexgym.cli.{module_name}")
        except ModuleNotFoundError as e:
            if e.name != f"nexgym.cli.{module_name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NexgymError as e:
        print(f"nexgym {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
