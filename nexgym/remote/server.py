"""An env served over HTTP and WebSocket (Starlette on uvicorn), one env per session.

Routes (JSON in, JSON out; every error is ``{"error": {"type", "message"}}``)::

    GET    /v1/health                   {"env_id", "sessions", "max_sessions", "expired"}
    GET    /v1/spaces                   {"observation_space", "action_space"}
    POST   /v1/sessions                 {"env_id"?, "kwargs"?} -> {"session", spaces, limits}
    POST   /v1/sessions/{id}/reset      {"seed"?, "options"?} -> {"observation", "info"}
    POST   /v1/sessions/{id}/step       {"action"} -> {"observation", "reward", "terminated",
                                                       "truncated", "info"}
    DELETE /v1/sessions/{id}            {"closed": true}
    WS     /v1/ws                       messages {"op": "open"|"reset"|"step"|"spaces"|"close"}

Status codes: 400 bad JSON or fields, 404 unknown session, 409 step before reset,
413 request too large, 503 too many sessions, 500 anything else. A WebSocket session
closes with its connection; an HTTP session closes on ``DELETE`` or after
``idle_timeout`` seconds without a call (a client that vanished frees its slot).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
import gymnasium as gym
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from nexgym.error import ConfigError, NexgymError, UnknownNameError
from nexgym.remote.codec import decode_value, encode_value, jsonable, space_to_json
from nexgym.remote.sessions import (
    Session,
    SessionLimitError,
    SessionPool,
    UnknownSessionError,
)

__all__ = ["CLIENT_KWARGS", "RequestError", "build_app"]

#: ``gym.make`` keyword arguments a client may choose per session; the rest are the
#: server's (``serve-env --kwargs``), so that no client can start processes or read files.
CLIENT_KWARGS = frozenset(
    {"difficulty", "control", "max_turns", "invalid_penalty", "topology", "teammate_error_rate"}
)


class RequestError(NexgymError):
    """A request the server cannot serve; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def build_app(
    env_id: str,
    *,
    env_kwargs: dict[str, Any] | None = None,
    max_sessions: int = 64,
    idle_timeout: float = 300.0,
    max_request_bytes: int = 1 << 20,
    reap_interval: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The web app that serves ``env_id`` (any registered Gymnasium id).

    Args:
        env_id: the env to serve.
        env_kwargs: ``gym.make`` keyword arguments of every session.
        max_sessions: sessions open at once (each is one env).
        idle_timeout: seconds without a call after which a session is closed.
        max_request_bytes: the largest request body (or WebSocket message) accepted.
        reap_interval: seconds between idle checks (default: a quarter of the timeout).
        clock: monotonic seconds.

    Raises:
        UnknownNameError: ``env_id`` is not registered.
        ConfigError: a bound is not positive, or the env's spaces cannot travel as JSON.
    """
    if env_id not in gym.registry:
        known = [k for k in gym.registry if k.startswith("nex/")]
        raise UnknownNameError("env", env_id, known, hint="See `nexgym list`.")
    for name, value in (
        ("max_sessions", max_sessions),
        ("idle_timeout", idle_timeout),
        ("max_request_bytes", max_request_bytes),
    ):
        if not value > 0:
            raise ConfigError(f"expected {name} > 0, got {value!r}")
    fixed = dict(env_kwargs or {})

    def make_env(kwargs: dict[str, Any]) -> gym.Env[Any, Any]:
        return gym.make(env_id, **{**fixed, **kwargs})

    probe = make_env({})
    try:
        spaces = {
            "observation_space": space_to_json(probe.observation_space),
            "action_space": space_to_json(probe.action_space),
        }
    finally:
        probe.close()
    pool = SessionPool(make_env, max_sessions=max_sessions, idle_timeout=idle_timeout, clock=clock)
    service = _Service(env_id, pool, spaces, max_request_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        reaper = asyncio.create_task(_reap(pool, reap_interval or idle_timeout / 4))
        try:
            yield
        finally:
            reaper.cancel()
            await anyio.to_thread.run_sync(pool.close_all)

    app = Starlette(
        routes=[
            Route("/v1/health", service.health, methods=["GET"]),
            Route("/v1/spaces", service.spaces_route, methods=["GET"]),
            Route("/v1/sessions", service.open, methods=["POST"]),
            Route("/v1/sessions/{sid}/reset", service.reset, methods=["POST"]),
            Route("/v1/sessions/{sid}/step", service.step, methods=["POST"]),
            Route("/v1/sessions/{sid}", service.close, methods=["DELETE"]),
            WebSocketRoute("/v1/ws", service.websocket),
        ],
        lifespan=lifespan,
    )
    app.state.pool = pool
    return app


async def _reap(pool: SessionPool, interval: float) -> None:
    while True:  # the server's timer: closes sessions whose clients went quiet
        await asyncio.sleep(interval)
        await anyio.to_thread.run_sync(pool.expire)


class _Service:
    """The route handlers over one session pool."""

    def __init__(
        self, env_id: str, pool: SessionPool, spaces: dict[str, Any], max_bytes: int
    ) -> None:
        self.env_id = env_id
        self.pool = pool
        self.spaces = spaces
        self.max_bytes = max_bytes

    # -- HTTP ------------------------------------------------------------------------

    async def health(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "env_id": self.env_id,
                "sessions": len(self.pool),
                "max_sessions": self.pool.max_sessions,
                "expired": self.pool.expired,
            }
        )

    async def spaces_route(self, request: Request) -> JSONResponse:
        return JSONResponse(self.spaces)

    async def open(self, request: Request) -> JSONResponse:
        return await _answer(lambda: self._open(request), status=201)

    async def reset(self, request: Request) -> JSONResponse:
        return await _answer(lambda: self._call(request, "reset"))

    async def step(self, request: Request) -> JSONResponse:
        return await _answer(lambda: self._call(request, "step"))

    async def close(self, request: Request) -> JSONResponse:
        async def run() -> dict[str, Any]:
            sid = request.path_params["sid"]
            if not await anyio.to_thread.run_sync(self.pool.close, sid):
                self.pool.get(sid)  # raises the unknown-session error
            return {"closed": True}

        return await _answer(run)

    async def _open(self, request: Request) -> dict[str, Any]:
        body = await self._body(request)
        session = await self._open_session(body)
        return {"session": session.id, **self._session_info()}

    async def _call(self, request: Request, op: str) -> dict[str, Any]:
        session = self.pool.get(request.path_params["sid"])
        body = await self._body(request)
        return await self._run(session, op, body)

    async def _body(self, request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(int(declared), self.max_bytes)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_bytes:
                raise _too_large(size, self.max_bytes)
            chunks.append(chunk)
        return _parse(b"".join(chunks))

    # -- shared by HTTP and WebSocket ------------------------------------------------

    def _session_info(self) -> dict[str, Any]:
        return {
            **self.spaces,
            "env_id": self.env_id,
            "idle_timeout": self.pool.idle_timeout,
            "max_request_bytes": self.max_bytes,
        }

    async def _open_session(self, body: dict[str, Any]) -> Session:
        asked = body.get("env_id", self.env_id)
        if asked != self.env_id:
            raise RequestError(
                400, f"expected env_id {self.env_id!r} (this server's), got {asked!r}"
            )
        kwargs = body.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise RequestError(400, f"expected 'kwargs' to be an object, got {kwargs!r}")
        refused = sorted(set(kwargs) - CLIENT_KWARGS)
        if refused:
            raise RequestError(
                400,
                f"expected session kwargs among {sorted(CLIENT_KWARGS)}, got {refused}; "
                "other options are the server's (serve-env --kwargs)",
            )
        return await anyio.to_thread.run_sync(self.pool.open, kwargs)

    async def _run(self, session: Session, op: str, body: dict[str, Any]) -> dict[str, Any]:
        env = session.env
        if op == "reset":
            seed, options = body.get("seed"), body.get("options")
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise RequestError(400, f"expected 'seed' to be an integer or null, got {seed!r}")
            if options is not None and not isinstance(options, dict):
                raise RequestError(400, f"expected 'options' to be an object, got {options!r}")

            def work() -> dict[str, Any]:
                obs, info = env.reset(seed=seed, options=options)
                return {
                    "observation": encode_value(env.observation_space, obs),
                    "info": jsonable(info),
                }

        elif op == "step":
            if "action" not in body:
                raise RequestError(400, "expected an 'action' field, got none")
            action = decode_value(env.action_space, body["action"])

            def work() -> dict[str, Any]:
                obs, reward, terminated, truncated, info = env.step(action)
                return {
                    "observation": encode_value(env.observation_space, obs),
                    "reward": float(reward),
                    "terminated": bool(terminated),
                    "truncated": bool(truncated),
                    "info": jsonable(info),
                }

        else:
            raise RequestError(400, f"expected op open, reset, step, spaces or close, got {op!r}")

        def locked() -> dict[str, Any]:
            with session.lock:
                return work()

        session.busy += 1
        try:
            return await anyio.to_thread.run_sync(locked)
        finally:
            session.busy -= 1
            session.last_used = self.pool.clock()

    async def websocket(self, socket: WebSocket) -> None:
        await socket.accept()
        session: Session | None = None
        try:
            while True:
                text = await socket.receive_text()
                reply, session = await self._ws_message(text, session)
                await socket.send_text(json.dumps(reply))
                if reply.get("closed"):
                    await socket.close()
                    return
        except WebSocketDisconnect:
            pass
        finally:
            if session is not None:
                await anyio.to_thread.run_sync(self.pool.close, session.id)

    async def _ws_message(
        self, text: str, session: Session | None
    ) -> tuple[dict[str, Any], Session | None]:
        try:
            if len(text.encode()) > self.max_bytes:
                raise _too_large(len(text.encode()), self.max_bytes)
            body = _parse(text.encode())
            op = body.get("op")
            if op == "spaces":
                return {"ok": True, **self._session_info()}, session
            if op == "open":
                if session is not None:
                    raise RequestError(400, "expected one 'open' per connection, got a second")
                session = await self._open_session(body)
                return {"ok": True, "session": session.id, **self._session_info()}, session
            if session is None:
                raise RequestError(400, f"expected {{'op': 'open'}} first, got op {op!r}")
            if op == "close":
                await anyio.to_thread.run_sync(self.pool.close, session.id)
                return {"ok": True, "closed": True}, None
            live = self.pool.get(session.id)
            return {"ok": True, **await self._run(live, str(op), body)}, session
        except Exception as e:  # every error is a reply; the connection stays usable
            status, payload = _error(e)
            return {"ok": False, "status": status, **payload}, session


async def _answer(work: Callable[[], Any], status: int = 200) -> JSONResponse:
    try:
        return JSONResponse(await work(), status_code=status)
    except Exception as e:
        code, payload = _error(e)
        return JSONResponse(payload, status_code=code)


def _error(e: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(e, RequestError):
        status = e.status
    elif isinstance(e, UnknownSessionError):
        status = 404
    elif isinstance(e, SessionLimitError):
        status = 503
    elif isinstance(e, gym.error.ResetNeeded):
        status = 409
    elif isinstance(e, NexgymError | ValueError | TypeError | KeyError):
        status = 400
    else:
        status = 500
    return status, {"error": {"type": type(e).__name__, "message": str(e)}}


def _parse(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RequestError(400, f"expected a JSON object, got text that is not JSON ({e})") from e
    if not isinstance(body, dict):
        raise RequestError(400, f"expected a JSON object, got {type(body).__name__}")
    return body


def _too_large(size: int, limit: int) -> RequestError:
    return RequestError(
        413, f"expected a request of at most {limit} bytes, got {size}; send a shorter one"
    )
