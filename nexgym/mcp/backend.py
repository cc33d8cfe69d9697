"""``backend="mcp"``: every domain tool call goes through a real MCP client session.

One server process per env instance, started lazily on the first reset, reused
across resets and ended by :meth:`MCPBackend.close` (or by a finalizer if the env
is dropped without ``close()``).

Two kinds of server:

* **nexgym domain servers** (:mod:`nexgym.mcp.server`, the default): the server
  holds the worlds. ``reset`` asks it to regenerate the task from the seed (and
  checks that the instruction matches the client's), ``verify``, invariants and
  forks are control-tool calls.
* **external tool servers**: a domain whose ``tool_server()`` returns a
  :class:`~nexgym.envs.domains.kit.tool_server.ToolServer` (``mcp-server-git``, ``mcp-server-time``,
  ``mcp-server-fetch``) keeps its world on the host; reset, verify and forks run
  locally and only tool calls go to the server.

Failure handling: a call with no answer within ``timeout`` seconds, a server that
died, or an answer that is garbage, oversized or not UTF-8 becomes an error
observation; a dead server is killed and restarted at once. To restore a nexgym
domain server's state the backend keeps a journal of the episode (every call that
got an answer, in order, and every fork and select) and replays it on the new server
after regenerating the task from its seed: tools are deterministic functions of
(world, arguments), so the replay rebuilds the very world the agent had before the
failed call. The failed call itself is not replayed: it counts as not applied. Arguments the client
could not serialize (a lone surrogate, nesting past
:data:`~nexgym.runtime.arguments.MAX_ARGUMENT_DEPTH`) are refused before they reach the
transport: an error observation, and the healthy server is kept.

An external server that declares ``max_children`` (see
:class:`~nexgym.envs.domains.kit.tool_server.ToolServer`) is replaced at a reset when more processes
than that run under it: ``mcp-server-git`` keeps ``git cat-file`` processes for every
repository object it has not yet garbage-collected.

Options (keyword arguments, or environment variables for envs built by ``gym.make``):
``timeout`` (``NEXGYM_MCP_TIMEOUT``, seconds per call, default 30) and ``call_log``
(``NEXGYM_CALL_LOG``, a JSONL path; see :mod:`nexgym.mcp.calllog`).
"""

from __future__ import annotations

import json
import os
import sys
import time
import weakref
from typing import Any

from nexgym.envs.domains import DOMAINS, domain_class
from nexgym.envs.domains.kit.base import Domain, Task, Verdict
from nexgym.envs.domains.kit.tool_server import ToolServer, tool_server_of
from nexgym.error import BackendError, ConfigError, ToolError
from nexgym.mcp.calllog import CallLog, CallRecord
from nexgym.mcp.connection import CallFailure, ServerConnection, ServerSpec
from nexgym.mcp.server import CONTROL_PREFIX, JSON_META_KEY, WORLD_META_KEY
from nexgym.runtime.arguments import argument_problem, without_lone_surrogates
from nexgym.runtime.backends import InProcessBackend, ToolBackend
from nexgym.tools import ToolCall, ToolResult

__all__ = ["MCPBackend"]

DEFAULT_TIMEOUT = 30.0
#: A tool result larger than this (UTF-8 bytes of its text) is refused as oversized.
DEFAULT_MAX_RESULT_BYTES = 1024 * 1024
#: Attempts at a control call (reset, verify, ...) before giving up.
CONTROL_ATTEMPTS = 2


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"expected {name} to be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"expected {name} > 0 seconds, got {raw!r}")
    return value


def domain_reference(domain: Domain) -> str:
    """How ``python -m nexgym.mcp.server`` finds the domain: its name or ``module:Class``."""
    cls = type(domain)
    # a compiled world names the place any process can rebuild it from
    served = getattr(cls, "server_reference", None)
    if served:
        return str(served)
    if domain.name in DOMAINS and domain_class(domain.name) is cls:
        return domain.name
    return f"{cls.__module__}:{cls.__qualname__}"


class MCPBackend(ToolBackend):
    """Runs domain tools on an MCP server process over stdio.

    Args:
        domain: the env's domain instance.
        timeout: seconds a tool call may take before it fails and the server restarts.
        start_timeout: seconds allowed for a server to start.
        call_log: a JSONL path (or :class:`CallLog`) receiving one record per tool call.
        max_result_bytes: larger results become an error observation.
    """

    name = "mcp"

    def __init__(
        self,
        domain: Domain,
        *,
        timeout: float | None = None,
        start_timeout: float = 60.0,
        call_log: str | os.PathLike[str] | CallLog | None = None,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    ) -> None:
        super().__init__(domain)
        self.timeout = (
            _env_float("NEXGYM_MCP_TIMEOUT", DEFAULT_TIMEOUT) if timeout is None else timeout
        )
        if not self.timeout > 0:
            raise ConfigError(f"expected timeout > 0 seconds, got {timeout!r}")
        self.start_timeout = start_timeout
        self.max_result_bytes = max_result_bytes
        log = call_log if call_log is not None else os.environ.get("NEXGYM_CALL_LOG") or None
        self.call_log = log if isinstance(log, CallLog) or log is None else CallLog(log)
        self.external: ToolServer | None = tool_server_of(domain)
        if self.external is not None:
            ext = self.external
            self.server = ServerSpec(ext.name, ext.command, tuple(ext.args), dict(ext.env))
        else:
            ref = domain_reference(domain)
            self.server = ServerSpec(
                f"nexgym-{domain.name}", sys.executable, ("-m", "nexgym.mcp.server", ref)
            )
        self._local = InProcessBackend(domain) if self.external is not None else None
        self._connection: ServerConnection | None = None
        # A live session (and its loop's thread, if it has one) holds references to its
        # connection, so the finalizer hangs on the backend: an env dropped without
        # close() still ends its server.
        self._live: list[ServerConnection] = []
        self._finalizer = weakref.finalize(self, _kill_all, self._live)
        self._task: Task | None = None
        self._journal: list[tuple[Any, ...]] = []
        #: server processes this backend has started (1 unless a server had to restart).
        self.starts = 0
        #: external servers replaced at a reset for running too many child processes.
        self.recycles = 0

    def __repr__(self) -> str:
        return f"MCPBackend({self.server.name!r}, pid={self.pid})"

    @property
    def pid(self) -> int | None:
        """The running server's process id (None before the first reset or after close)."""
        conn = self._connection
        return conn.pid if conn is not None and conn.alive else None

    # -- the server process -------------------------------------------------------------

    def _connect(self) -> ServerConnection:
        """The live connection, starting a server (and restoring its state) if needed."""
        conn = self._connection
        if conn is not None and conn.alive:
            return conn
        if conn is not None:
            conn.kill()
            self._connection = None
        conn = ServerConnection(self.server, start_timeout=self.start_timeout)
        self.starts += 1
        self._connection = conn
        self._live[:] = [conn]
        if self.external is None and self._task is not None:
            self._restore(conn)
        return conn

    def _restore(self, conn: ServerConnection) -> None:
        """Reload the task on a fresh server and replay the episode's journal."""
        assert self._task is not None
        try:
            self._load_task(conn, self._task)
            for entry in self._journal:
                if entry[0] == "call":
                    _, world, name, arguments = entry
                    conn.call(name, arguments, timeout=self.timeout, meta=_world_meta(world))
                else:
                    kind, value = entry
                    key = "n" if kind == "fork" else "index"
                    self._control_on(conn, kind, {key: value})
        except (CallFailure, BackendError) as e:
            conn.kill()
            raise BackendError(f"could not restore the episode on a restarted server: {e}") from e

    def _load_task(self, conn: ServerConnection, task: Task) -> None:
        reply = self._control_on(conn, "reset", {"seed": task.seed, "difficulty": task.difficulty})
        if not isinstance(reply, dict) or reply.get("instruction") != task.instruction:
            raise BackendError(
                f"expected the server to regenerate the task of seed {task.seed} "
                f"(difficulty {task.difficulty}) with the client's instruction, got "
                f"{reply!r:.200}; the MCP backend only serves tasks generated from a seed "
                f"by a deterministic domain"
            )

    def _control_on(self, conn: ServerConnection, name: str, arguments: dict[str, Any]) -> Any:
        result = conn.call(CONTROL_PREFIX + name, arguments, timeout=self.timeout, meta=None)
        text = _text_of(result)
        if result.is_error:
            raise BackendError(f"{CONTROL_PREFIX}{name} failed on the server: {text}")
        return json.loads(text) if _is_json(result) else text

    def _control(self, name: str, arguments: dict[str, Any]) -> Any:
        """A control call, restarting the server and retrying once if it fails."""
        error: Exception | None = None
        for _ in range(CONTROL_ATTEMPTS):
            try:
                return self._control_on(self._connect(), name, arguments)
            except (CallFailure, ValueError) as e:
                error = e
        raise BackendError(f"{CONTROL_PREFIX}{name} failed {CONTROL_ATTEMPTS} times: {error}")

    # -- ToolBackend ----------------------------------------------------------------------

    def reset(self, task: Task) -> None:
        """Load the task (starting the server on first use)."""
        self._journal = []
        if self._local is not None:
            self._task = task
            self._local.reset(task)
            self._recycle_if_over_limit()
            self._connect()
            return
        self._task = None  # a server started now has nothing to restore
        for attempt in range(CONTROL_ATTEMPTS):
            conn = self._connect()
            try:
                self._load_task(conn, task)
                break
            except CallFailure as e:
                if attempt + 1 == CONTROL_ATTEMPTS:
                    raise BackendError(f"could not load the task on the MCP server: {e}") from e
        self._task = task

    def _recycle_if_over_limit(self) -> None:
        """Replace an external server whose child processes passed its ``max_children``."""
        limit = self.external.max_children if self.external is not None else None
        conn = self._connection
        if limit is None or conn is None or not conn.alive:
            return
        running = conn.descendants()
        if running is not None and running > limit:
            conn.close()
            self._connection = None
            self.recycles += 1

    def call(self, call: ToolCall, world: int = 0) -> ToolResult:
        """Send one tool call to the server; every failure becomes an error result."""
        previous = self._connection
        if previous is not None and not previous.alive:
            # The server died since the last call: like a real client, this call fails.
            status = previous.exit_status()
            failure = CallFailure(f"the tool server had exited (exit status {status})")
            self._log(call, time.time(), 0.0, failure=failure)
            return self._after_failure(failure)
        try:
            conn = self._connect()
        except BackendError as e:
            return ToolResult.failure(f"the tool server is unavailable: {e}", fault="server_down")
        if self._local is not None:
            assert self.external is not None
            target = self._local.world(world)
            try:
                sent = self.external.to_server(call, target)
            except ToolError as e:  # refused on the client, as the in-process tool does
                return ToolResult.failure(str(e))
            meta = None
        else:
            target, sent, meta = None, call, _world_meta(world)
        problem = argument_problem(sent.arguments)
        if problem is not None:  # the client could not send it: refuse, keep the server
            return ToolResult.failure(
                f"invalid arguments for {call.name}: {problem}; nothing was sent to the server"
            )
        started = time.time()
        clock = time.perf_counter()
        try:
            reply = conn.call(sent.name, sent.arguments, timeout=self.timeout, meta=meta)
        except CallFailure as failure:
            self._log(sent, started, time.perf_counter() - clock, failure=failure)
            return self._after_failure(failure)
        latency = time.perf_counter() - clock
        result = self._convert(reply, target)
        if self._local is None:
            self._journal.append(("call", world, call.name, call.arguments))
        self._log(sent, started, latency, result=result)
        return result

    def _after_failure(self, failure: CallFailure) -> ToolResult:
        try:
            self._connect()
            note = (
                "the server was restarted and the world is as it was before this call"
                if self.external is None
                else "the server was restarted"
            )
        except BackendError as e:
            note = f"the server could not be restarted ({e}); the next call tries again"
        fault = "timeout" if failure.timed_out else "server_error"
        return ToolResult.failure(f"{failure}; {note}", fault=fault)

    def _convert(self, reply: Any, world: Any) -> ToolResult:
        texts: list[str] = []
        for item in reply.content:
            if getattr(item, "type", None) != "text":
                kind = getattr(item, "type", type(item).__name__)
                return ToolResult.failure(
                    f"the tool server returned {kind} content; expected text", fault="bad_result"
                )
            texts.append(item.text)
        text = "\n".join(texts)
        size = len(text.encode("utf-8", errors="replace"))
        if size > self.max_result_bytes:
            return ToolResult.failure(
                f"the tool server returned {size} bytes, over the {self.max_result_bytes}-byte "
                f"limit for one result",
                fault="bad_result",
            )
        if self.external is not None:
            text = self.external.from_server(text, world)
        if reply.is_error:
            return ToolResult.failure(text)
        if _is_json(reply):
            try:
                return ToolResult(ok=True, content=json.loads(text))
            except ValueError:
                return ToolResult.failure(
                    "the tool server returned a result marked as JSON that is not JSON",
                    fault="bad_result",
                )
        return ToolResult(ok=True, content=text)

    def _log(
        self,
        call: ToolCall,
        started: float,
        latency: float,
        *,
        result: ToolResult | None = None,
        failure: CallFailure | None = None,
    ) -> None:
        if self.call_log is None:
            return
        ok = result is not None and result.ok
        error = str(failure) if failure is not None else None
        kind = None
        if failure is not None:
            kind = "timeout" if failure.timed_out else "server_error"
        elif result is not None and not result.ok:
            error = result.error
            kind = result.meta.get("fault", "refused")  # no fault: the tool's own answer
        self.call_log.append(
            CallRecord(
                tool=call.name,
                server=self.server.name,
                argument_bytes=len(json.dumps(call.arguments, default=str).encode("utf-8")),
                latency=latency,
                ok=ok,
                timed_out=bool(failure and failure.timed_out),
                error=error,
                result_bytes=len(result.render().encode("utf-8", "replace")) if result else 0,
                timestamp=started,
                failure=kind,
            )
        )

    def verify(self, task: Task, answer: str | None, world: int = 0) -> Verdict:
        """The verdict on a world; a server that cannot answer scores the episode 0."""
        if self._local is not None:
            return self._local.verify(task, answer, world)
        try:
            # JSON-RPC carries UTF-8 text only; no expected answer holds a surrogate
            sendable = None if answer is None else without_lone_surrogates(answer)
            reply = self._control("verify", {"answer": sendable, "world": world})
            checks = tuple((str(text), bool(ok)) for text, ok in reply["checks"])
            return Verdict(float(reply["score"]), bool(reply["solved"]), checks)
        except (BackendError, KeyError, TypeError, ValueError) as e:
            return Verdict(
                0.0, False, ((f"the tool server could not verify the world: {e}", False),)
            )

    def check_invariants(self, world: int = 0) -> list[str]:
        """The domain's invariant violations on a world."""
        if self._local is not None:
            return self._local.check_invariants(world)
        try:
            return [str(v) for v in self._control("invariants", {"world": world})]
        except BackendError as e:
            return [f"the tool server could not check invariants: {e}"]

    def fork(self, n: int) -> None:
        """Give each of ``n`` parallel agents its own copy of world 0."""
        if self._local is not None:
            self._local.fork(n)
            return
        self._control("fork", {"n": n})
        self._journal.append(("fork", n))

    def select(self, index: int) -> None:
        """Keep world ``index``."""
        if self._local is not None:
            self._local.select(index)
            return
        self._control("select", {"index": index})
        self._journal.append(("select", index))

    def close(self) -> None:
        """End the server process (idempotent; a later reset starts a new one)."""
        conn, self._connection = self._connection, None
        self._live.clear()
        if conn is not None:
            conn.close()


def _kill_all(connections: list[ServerConnection]) -> None:
    for conn in connections:
        conn.kill()
    connections.clear()


def _world_meta(world: int) -> dict[str, Any] | None:
    return {WORLD_META_KEY: world} if world else None


def _is_json(result: Any) -> bool:
    return bool(result.meta and result.meta.get(JSON_META_KEY))


def _text_of(result: Any) -> str:
    return "\n".join(getattr(item, "text", "") for item in result.content)
