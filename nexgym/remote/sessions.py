"""Sessions of a served env: one env per session, a bound on their number, idle expiry.

Kept apart from the web server so that its rules (isolation, bounds, expiry, closing
everything) are plain code with a clock passed in.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from nexgym.error import NexgymError

__all__ = ["Session", "SessionLimitError", "SessionPool", "UnknownSessionError"]


class UnknownSessionError(NexgymError, KeyError):
    """A request named a session the server does not hold (never opened, closed or expired)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SessionLimitError(NexgymError):
    """The server holds as many sessions as it may; close one or retry later."""


@dataclass
class Session:
    """One client's env, the lock that orders its calls, and when it was last used."""

    id: str
    env: gym.Env[Any, Any]
    last_used: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    busy: int = 0  # calls in progress (a busy session is never expired)


class SessionPool:
    """Opens, finds, expires and closes sessions.

    Args:
        make_env: builds a fresh env for a new session (from the client's kwargs).
        max_sessions: sessions open at once; one more is refused.
        idle_timeout: seconds without a call after which a session is closed.
        clock: monotonic seconds (``time.monotonic`` in the server).
    """

    def __init__(
        self,
        make_env: Callable[[dict[str, Any]], gym.Env[Any, Any]],
        *,
        max_sessions: int,
        idle_timeout: float,
        clock: Callable[[], float],
    ) -> None:
        self.make_env = make_env
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._guard = threading.Lock()
        #: sessions closed because their client went quiet, since the server started
        self.expired = 0

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, kwargs: dict[str, Any]) -> Session:
        """A new session with its own env.

        Raises:
            SessionLimitError: ``max_sessions`` are open.
        """
        with self._guard:
            if len(self._sessions) >= self.max_sessions:
                raise SessionLimitError(
                    f"expected fewer than {self.max_sessions} open sessions, got "
                    f"{len(self._sessions)}; close a session (or let one expire after "
                    f"{self.idle_timeout:g} s idle) and retry"
                )
            sid = secrets.token_hex(16)
            # reserve the slot before the (slow) env is built, outside the guard
            self._sessions[sid] = Session(sid, _Pending(), self.clock())
        try:
            env = self.make_env(kwargs)
        except BaseException:
            with self._guard:
                del self._sessions[sid]
            raise
        session = self._sessions[sid]
        session.env = env
        return session

    def get(self, sid: str) -> Session:
        """The open session ``sid`` (its idle clock restarts).

        Raises:
            UnknownSessionError: no such session is open.
        """
        session = self._sessions.get(sid)
        if session is None or isinstance(session.env, _Pending):
            raise UnknownSessionError(
                f"unknown session {sid!r}: expected the id an open session was given; it "
                f"may have been closed or expired after {self.idle_timeout:g} s idle. "
                "Open a new session"
            )
        session.last_used = self.clock()
        return session

    def close(self, sid: str) -> bool:
        """Close a session and its env; False if it was not open."""
        with self._guard:
            session = self._sessions.pop(sid, None)
        if session is None:
            return False
        with session.lock:  # let a call in progress finish first
            session.env.close()
        return True

    def expire(self) -> list[str]:
        """Close the sessions idle longer than ``idle_timeout``; returns their ids."""
        now = self.clock()
        stale = [
            s.id
            for s in list(self._sessions.values())
            if not s.busy
            and not isinstance(s.env, _Pending)
            and now - s.last_used > self.idle_timeout
        ]
        closed = [sid for sid in stale if self.close(sid)]
        self.expired += len(closed)
        return closed

    def close_all(self) -> None:
        """Close every session (at server shutdown)."""
        for sid in list(self._sessions):
            self.close(sid)


class _Pending(gym.Env[Any, Any]):
    """The placeholder env of a session whose env is still being built."""
