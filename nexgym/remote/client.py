"""A Gymnasium env whose episodes run on a ``nexgym serve-env`` server.

``gym.make("nex/FileOps-v0", remote="http://127.0.0.1:8765")`` returns one: the same
spaces as the served env, ``reset``/``step``/``close`` sent over HTTP (one kept-alive
connection), errors raised as the local env raises them.
"""

from __future__ import annotations

import contextlib
from typing import Any

import gymnasium as gym

from nexgym.error import BackendError, ConfigError
from nexgym.remote.codec import decode_value, encode_value, space_from_json

__all__ = ["RemoteEnv", "RemoteError"]


class RemoteError(BackendError):
    """The server could not be reached or answered with an error; ``status`` is its code."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RemoteEnv(gym.Env[Any, Any]):
    """An env served by ``nexgym serve-env``, driven over HTTP.

    Args:
        url: the server's base URL (``http://host:port``).
        env_id: the id the server must serve (checked when the session opens).
        timeout: seconds to wait for each answer.
        **kwargs: per-session ``gym.make`` options the server lets clients choose
            (``difficulty``, ``control``, ``max_turns``, ...).

    Raises:
        RemoteError: the server is unreachable, serves another env, or refuses the session.
    """

    metadata = {"render_modes": []}  # noqa: RUF012 (Gymnasium's own class attribute)

    def __init__(self, url: str, env_id: str, *, timeout: float = 60.0, **kwargs: Any) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"expected remote to be an http:// or https:// URL, got {url!r}")
        self.url = url.rstrip("/")
        self.env_id = env_id
        self._http: httpx.Client | None = httpx.Client(base_url=self.url, timeout=timeout)
        answer = self._request("POST", "/v1/sessions", {"env_id": env_id, "kwargs": kwargs})
        self.session: str | None = answer["session"]
        self.observation_space = space_from_json(answer["observation_space"])
        self.action_space = space_from_json(answer["action_space"])
        self.idle_timeout = float(answer["idle_timeout"])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the served env (the seed travels; the server's env draws from it)."""
        super().reset(seed=seed)
        answer = self._request(
            "POST", f"/v1/sessions/{self._sid()}/reset", {"seed": seed, "options": options}
        )
        return decode_value(self.observation_space, answer["observation"]), answer["info"]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """One step of the served env."""
        payload = {"action": encode_value(self.action_space, action)}
        answer = self._request("POST", f"/v1/sessions/{self._sid()}/step", payload)
        return (
            decode_value(self.observation_space, answer["observation"]),
            float(answer["reward"]),
            bool(answer["terminated"]),
            bool(answer["truncated"]),
            answer["info"],
        )

    def close(self) -> None:
        """Close the session on the server (idempotent; a lost server is not an error)."""
        http, self._http = self._http, None
        if http is None:
            return
        sid, self.session = self.session, None
        if sid is not None:
            # a server that is gone frees the session itself, after its idle timeout
            with contextlib.suppress(Exception):
                http.delete(f"/v1/sessions/{sid}")
        http.close()

    def __del__(self) -> None:
        # a dropped env still frees its server session (and the idle timeout backs this up)
        with contextlib.suppress(Exception):
            self.close()

    def _sid(self) -> str:
        if self.session is None:
            raise RemoteError("the remote env is closed; make a new one")
        return self.session

    def _request(self, method: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        import httpx

        if self._http is None:
            raise RemoteError("the remote env is closed; make a new one")
        try:
            response = self._http.request(method, path, json=payload)
        except httpx.HTTPError as e:
            raise RemoteError(
                f"expected an answer from {self.url}{path}, got {type(e).__name__}: {e}; "
                "is `nexgym serve-env` running there?"
            ) from e
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise RemoteError(
                f"expected a JSON object from {self.url}{path}, got {response.text[:200]!r}",
                response.status_code,
            )
        if response.status_code >= 400:
            error = answer.get("error") or {}
            message = f"{error.get('message', response.text[:200])} (server {self.url})"
            if error.get("type") == "ResetNeeded":
                raise gym.error.ResetNeeded(message)
            raise RemoteError(message, response.status_code)
        return answer
