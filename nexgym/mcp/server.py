"""Serve any domain as a real MCP server over stdio (``nexgym serve-mcp DOMAIN``).

The server lists one MCP tool per domain tool, with the domain tool's JSON schema
as its ``inputSchema``, plus control tools (names starting with ``_nexgym_``) that
hold the episode's worlds on the server:

* ``_nexgym_reset(seed, difficulty)``: generate the task from the seed (task
  generation is deterministic, so this is the very task the client generated) and
  load its world; returns the instruction.
* ``_nexgym_verify(answer, world)``: the task verifier's verdict on a world.
* ``_nexgym_invariants(world)``: the domain's invariants on a world.
* ``_nexgym_fork(n)`` / ``_nexgym_select(index)``: per-agent worlds for parallel
  topologies.

A domain tool call runs on world 0 unless the request's ``_meta`` carries
``{"nexgym/world": k}``. A domain :class:`~nexgym.error.ToolError` comes back as an
``isError`` result carrying its text; any other failure of a call as a JSON-RPC
internal error (-32603). Lines that are not valid JSON-RPC get JSON-RPC errors
(:mod:`nexgym.mcp.server_stdio`). A result that is not a string is sent as its
JSON text with ``_meta`` ``{"nexgym/json": true}`` so that a nexgym client restores
the value exactly; any other MCP client simply reads the JSON text.

Run it with ``python -m nexgym.mcp.server files`` or ``nexgym serve-mcp files``.
The domain is a registered name or ``package.module:DomainClass``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from collections.abc import Sequence
from typing import Any

from nexgym.envs.domains import DOMAINS, get_domain
from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.error import ConfigError, NexgymError, ToolError, UnknownNameError
from nexgym.runtime.backends import InProcessBackend
from nexgym.tools import Tool, ToolCall, render_result

__all__ = [
    "CONTROL_PREFIX",
    "JSON_META_KEY",
    "WORLD_META_KEY",
    "DomainServerState",
    "build_server",
    "load_domain",
    "main",
    "serve_stdio",
]

CONTROL_PREFIX = "_nexgym_"
#: Request ``_meta`` key naming the world a domain tool call acts on.
WORLD_META_KEY = "nexgym/world"
#: Result ``_meta`` key marking a text that is the JSON encoding of the tool's value.
JSON_META_KEY = "nexgym/json"
#: The most worlds ``_nexgym_fork`` makes (a hierarchy's parallel agents are far fewer).
MAX_WORLDS = 64


class DomainServerState:
    """The worlds and the current task a domain server holds (one client per process).

    Args:
        domain: the domain whose tools are served.
    """

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.backend = InProcessBackend(domain)
        self.task: Task | None = None

    def _world(self, index: int) -> int:
        if self.task is None:
            raise ToolError(f"no task is loaded; call {CONTROL_PREFIX}reset(seed=...) first")
        if not 0 <= index < len(self.backend.worlds):
            raise ToolError(
                f"expected a world index in [0, {len(self.backend.worlds)}), got {index}"
            )
        return index

    def reset(self, seed: int, difficulty: int = 1) -> dict[str, Any]:
        """Generate the task of ``seed`` and load its world as world 0."""
        try:
            self.domain.check_difficulty(difficulty)
        except ConfigError as e:
            raise ToolError(str(e)) from None
        self.task = self.domain.generate_task(seed, difficulty)
        self.backend.reset(self.task)
        return {"seed": seed, "difficulty": difficulty, "instruction": self.task.instruction}

    def verify(self, answer: str | None = None, world: int = 0) -> dict[str, Any]:
        """The verifier's verdict on a world."""
        index = self._world(world)
        assert self.task is not None  # checked by _world
        verdict = self.backend.verify(self.task, answer, index)
        return {
            "score": verdict.score,
            "solved": verdict.solved,
            "checks": [[text, ok] for text, ok in verdict.checks],
        }

    def invariants(self, world: int = 0) -> list[str]:
        """The domain's invariant violations on a world."""
        return self.backend.check_invariants(self._world(world))

    def fork(self, n: int) -> str:
        """Replace the worlds by ``n`` copies of world 0."""
        self._world(0)
        if not 1 <= n <= MAX_WORLDS:
            raise ToolError(
                f"expected n between 1 and {MAX_WORLDS} worlds, got {n}; one per parallel agent"
            )
        self.backend.fork(n)
        return f"{n} worlds"

    def select(self, index: int) -> str:
        """Keep only world ``index``."""
        self.backend.select(self._world(index))
        return f"kept world {index}"

    def call(self, name: str, arguments: dict[str, Any], world: int) -> tuple[bool, Any]:
        """Run a domain tool; returns ``(ok, value or error text)``."""
        tool = self.domain.tool(name)
        index = self._world(world)
        result = self.backend.call(ToolCall(name, tool.validate(arguments)), index)
        return (True, result.content) if result.ok else (False, result.error)


def _control_tools() -> dict[str, Tool]:
    def reset(state: DomainServerState, seed: int, difficulty: int = 1) -> dict[str, Any]:
        """Load the task generated from a seed (nexgym control tool).

        Args:
            state: the worlds the server holds.
            seed: the task seed.
            difficulty: 1 (easy) to 3 (hard).
        """
        return state.reset(seed, difficulty)

    def verify(state: DomainServerState, answer: str | None = None, world: int = 0) -> Any:
        """Score a world and a final answer with the task's verifier (nexgym control tool).

        Args:
            state: the worlds the server holds.
            answer: the final answer, if the task asks a question.
            world: which world to judge.
        """
        return state.verify(answer, world)

    def invariants(state: DomainServerState, world: int = 0) -> list[str]:
        """List the domain's invariant violations on a world (nexgym control tool).

        Args:
            state: the worlds the server holds.
            world: which world to check.
        """
        return state.invariants(world)

    def fork(state: DomainServerState, n: int) -> str:
        """Give each of n parallel agents its own copy of world 0 (nexgym control tool).

        Args:
            state: the worlds the server holds.
            n: the number of worlds.
        """
        return state.fork(n)

    def select(state: DomainServerState, index: int) -> str:
        """Keep only one world, which becomes world 0 (nexgym control tool).

        Args:
            state: the worlds the server holds.
            index: the world to keep.
        """
        return state.select(index)

    fns = (reset, verify, invariants, fork, select)
    return {CONTROL_PREFIX + f.__name__: Tool(f, name=CONTROL_PREFIX + f.__name__) for f in fns}


CONTROL_TOOLS = _control_tools()


def build_server(domain: Domain, *, state: DomainServerState | None = None) -> Any:
    """A low-level MCP ``Server`` serving ``domain``'s tools and the control tools.

    Args:
        domain: the domain instance (the server owns it).
        state: the worlds to serve (a fresh :class:`DomainServerState` by default).
    """
    import mcp_types as types
    from mcp.server.lowlevel import Server
    from mcp.shared.exceptions import MCPError

    state = state or DomainServerState(domain)
    listed = [
        types.Tool(name=t.name, description=t.description, input_schema=t.parameters)
        for t in (*domain.tools, *CONTROL_TOOLS.values())
    ]
    listing = types.ListToolsResult(tools=listed)

    def text_result(text: str, *, error: bool = False, is_json: bool = False) -> Any:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            is_error=error,
            _meta={JSON_META_KEY: True} if is_json else None,
        )

    async def on_list_tools(ctx: Any, params: Any) -> Any:
        return listing

    async def on_call_tool(ctx: Any, params: Any) -> Any:
        name: str = params.name
        arguments = params.arguments or {}
        try:
            if name in CONTROL_TOOLS:
                control = CONTROL_TOOLS[name]
                value = control.fn(state, **control.validate(arguments))
                ok = True
            else:
                meta = params.meta or {}
                world = meta.get(WORLD_META_KEY, 0)
                if not isinstance(world, int):
                    raise ToolError(f"expected an integer {WORLD_META_KEY!r}, got {world!r}")
                ok, value = state.call(name, arguments, world)
        except (ToolError, UnknownNameError) as e:
            return text_result(str(e), error=True)
        except Exception as e:  # a crash: a JSON-RPC internal error, not the SDK's code 0
            raise MCPError(
                types.INTERNAL_ERROR, f"Internal error in {name}: {type(e).__name__}: {e}"
            ) from e
        if not ok:
            return text_result(str(value), error=True)
        if isinstance(value, str):
            return text_result(value)
        return text_result(render_result(value), is_json=True)

    return Server(
        f"nexgym-{domain.name}",
        version=_version(),
        description=domain.description,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


def _version() -> str:
    try:
        return importlib.metadata.version("nexgym")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return "0+source"


def load_domain(spec: str) -> Domain:
    """A domain instance from a registered name or ``package.module:Class``."""
    if ":" not in spec:
        return get_domain(spec)
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as e:
        raise UnknownNameError(
            "domain", spec, DOMAINS, hint=f"(could not import {spec!r}: {e})"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Domain)):
        raise ConfigError(f"expected {spec!r} to name a Domain subclass, got {cls!r}")
    return cls()


async def serve_stdio(domain: Domain, *, seed: int | None = None, difficulty: int = 1) -> None:
    """Serve ``domain`` over stdin/stdout until the client closes stdin.

    Args:
        domain: the domain to serve.
        seed: if given, load this task at start-up so tools work without a reset.
        difficulty: the difficulty of that task.
    """
    from mcp.server.stdio import stdio_server

    from nexgym.mcp.server_stdio import ScreenedStdin, wire_stdin

    state = DomainServerState(domain)
    if seed is not None:
        state.reset(seed, difficulty)
    server = build_server(domain, state=state)
    # OpenTelemetry middleware is a no-op without an exporter; dropping it saves
    # a little work on every call.
    server.middleware = []
    # Bad lines are answered with JSON-RPC errors (see nexgym.mcp.server_stdio).
    with wire_stdin() as wire:
        stdin = ScreenedStdin(wire)
        async with stdio_server(stdin=stdin) as (read_stream, write_stream):  # type: ignore[arg-type]
            stdin.answer_with(write_stream)
            await server.run(read_stream, write_stream, server.create_initialization_options())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line arguments of a domain server."""
    parser.add_argument("domain", help="a domain name (e.g. files) or package.module:DomainClass")
    parser.add_argument(
        "--seed", type=int, default=None, help="load this task at start-up (default: none)"
    )
    parser.add_argument("--difficulty", type=int, default=1, help="difficulty of that task")


def run(args: argparse.Namespace) -> int:
    """Serve the domain named in ``args`` (blocks until stdin closes)."""
    import anyio

    domain = load_domain(args.domain)
    try:
        anyio.run(lambda: serve_stdio(domain, seed=args.seed, difficulty=args.difficulty))
    finally:
        domain.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m nexgym.mcp.server DOMAIN``."""
    parser = argparse.ArgumentParser(
        prog="python -m nexgym.mcp.server", description="Serve a nexgym domain over MCP (stdio)."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except NexgymError as e:
        print(f"nexgym mcp server: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
