"""Run the env server with uvicorn until it is stopped."""

from __future__ import annotations

from typing import Any

from nexgym.error import require

__all__ = ["serve"]


def serve(
    env_id: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    env_kwargs: dict[str, Any] | None = None,
    max_sessions: int = 64,
    idle_timeout: float = 300.0,
    max_request_bytes: int = 1 << 20,
) -> None:
    """Serve ``env_id`` on ``host:port`` until interrupted (every session closed at exit)."""
    require("starlette", "serve", "nexgym serve-env")
    require("uvicorn", "serve", "nexgym serve-env")
    import uvicorn

    from nexgym.remote.server import build_app

    app = build_app(
        env_id,
        env_kwargs=env_kwargs,
        max_sessions=max_sessions,
        idle_timeout=idle_timeout,
        max_request_bytes=max_request_bytes,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ws_max_size=max_request_bytes,
        timeout_graceful_shutdown=5,
    )
