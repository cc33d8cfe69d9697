"""Envs over the network: ``nexgym serve-env ID`` serves one, :class:`RemoteEnv` plays it.

Server (one env per session, bounded, idle sessions expire)::

    nexgym serve-env nex/FileOps-v0 --port 8765 --max-sessions 64 --idle-timeout 300

Client (any machine that reaches the port)::

    env = gym.make("nex/FileOps-v0", remote="http://127.0.0.1:8765")
    obs, info = env.reset(seed=0)          # the same spaces and trajectories as local

Other languages speak the JSON routes of :mod:`nexgym.remote.server` over HTTP or one
WebSocket per session. Needs the ``serve`` extra (Starlette, uvicorn, httpx, websockets).
"""

from __future__ import annotations

from typing import Any

__all__ = ["RemoteEnv", "RemoteError", "build_app", "serve"]


def __getattr__(name: str) -> Any:
    # the web libraries are imported when first used, never by ``import nexgym``
    if name in ("RemoteEnv", "RemoteError"):
        from nexgym.remote import client

        return getattr(client, name)
    if name == "build_app":
        from nexgym.remote.server import build_app

        return build_app
    if name == "serve":
        from nexgym.remote.run import serve

        return serve
    raise AttributeError(f"module 'nexgym.remote' has no attribute {name!r}")
