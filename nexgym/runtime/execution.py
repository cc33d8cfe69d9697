"""Running one domain tool call: through the middlewares, then on a world of the backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nexgym.runtime.arguments import argument_problem
from nexgym.runtime.backends import ToolBackend
from nexgym.tools import ToolCall, ToolResult

__all__ = ["Middleware", "run_call"]

#: ``middleware(call, role, call_next) -> ToolResult`` wraps every domain tool call.
Middleware = Callable[[ToolCall, str, Callable[[ToolCall], ToolResult]], ToolResult]


def run_call(
    call: ToolCall,
    role: str,
    world: int,
    backend: ToolBackend,
    middlewares: Sequence[Middleware],
) -> ToolResult:
    """Run ``call`` for ``role`` on world ``world``; the first middleware is the outermost.

    Never raises: a broken middleware or backend becomes an error result. Arguments
    that no JSON-RPC transport could carry (a lone surrogate, nesting deeper than
    :data:`~nexgym.runtime.arguments.MAX_ARGUMENT_DEPTH`) are refused here with the reason,
    before any backend sees them, so both backends answer them alike.
    """
    problem = argument_problem(call.arguments)
    if problem is not None:
        return ToolResult.failure(f"invalid arguments for {call.name}: {problem}; nothing was run")
    if not middlewares:  # the common case: no handler chain to build
        try:
            return backend.call(call, world)
        except Exception as e:  # a broken backend must not escape step()
            return ToolResult.failure(f"the call failed: {type(e).__name__}: {e}")

    def call_backend(c: ToolCall) -> ToolResult:
        return backend.call(c, world)

    handler: Callable[[ToolCall], ToolResult] = call_backend
    for middleware in reversed(middlewares):
        handler = _bind(middleware, role, handler)
    try:
        return handler(call)
    except Exception as e:  # a broken middleware or backend must not escape step()
        return ToolResult.failure(f"the call failed: {type(e).__name__}: {e}")


def _bind(
    middleware: Middleware, role: str, inner: Callable[[ToolCall], ToolResult]
) -> Callable[[ToolCall], ToolResult]:
    return lambda call: middleware(call, role, inner)
