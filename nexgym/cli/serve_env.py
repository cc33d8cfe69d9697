"""``nexgym serve-env ID``: serve an env over HTTP and WebSocket for remote trainers.

Each client session gets its own env; sessions are bounded (``--max-sessions``), close
after ``--idle-timeout`` seconds without a call, and requests are size-limited
(``--max-request-bytes``). Clients in Python use
``gym.make(ID, remote="http://HOST:PORT")``; others speak the JSON routes described in
:mod:`nexgym.remote.server`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from nexgym.error import ConfigError

__all__ = ["add_parser", "run_serve_env"]


def add_parser(sub: Any) -> None:
    """Register ``serve-env``."""
    parser = sub.add_parser(
        "serve-env",
        help="serve an env over HTTP + WebSocket (one env per client session)",
        description="Serve reset/step/close/spaces of an env over HTTP and WebSocket "
        '(Starlette on uvicorn). Needs: pip install "nexgym[serve]".',
    )
    parser.add_argument("env_id", metavar="ID", help="a registered env id (nex/FileOps-v0)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (default: 8765)")
    parser.add_argument(
        "--kwargs",
        default="{}",
        help='gym.make options of every session, as JSON (e.g. \'{"backend": "mcp"}\')',
    )
    parser.add_argument("--max-sessions", type=int, default=64, help="sessions open at once")
    parser.add_argument(
        "--idle-timeout", type=float, default=300.0, help="seconds before an idle session closes"
    )
    parser.add_argument(
        "--max-request-bytes", type=int, default=1 << 20, help="largest request body accepted"
    )
    parser.set_defaults(func=run_serve_env)


def run_serve_env(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from nexgym.remote.run import serve

    try:
        env_kwargs = json.loads(args.kwargs)
    except json.JSONDecodeError as e:
        raise ConfigError(f"--kwargs: expected a JSON object, got {args.kwargs!r} ({e})") from e
    if not isinstance(env_kwargs, dict):
        raise ConfigError(f"--kwargs: expected a JSON object, got {args.kwargs!r}")
    print(f"serving {args.env_id} at http://{args.host}:{args.port}", flush=True)
    serve(
        args.env_id,
        host=args.host,
        port=args.port,
        env_kwargs=env_kwargs,
        max_sessions=args.max_sessions,
        idle_timeout=args.idle_timeout,
        max_request_bytes=args.max_request_bytes,
    )
    return 0
