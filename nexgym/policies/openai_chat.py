"""A policy served over HTTP by any OpenAI-compatible chat-completions endpoint.

vLLM (``vllm serve MODEL --enable-auto-tool-choice --tool-call-parser hermes``),
llama.cpp's ``llama-server --jinja`` and hosted APIs all speak ``POST
{base_url}/chat/completions`` with ``tools``. :class:`OpenAIChatPolicy` sends the acting
role's chat and tool schemas there and turns the reply into the env's canonical action
text. Whatever goes wrong on the way (a timeout, a refused connection, an HTTP error,
a body that is not JSON, a reply with nothing in it) becomes an action text that the
env reports as invalid: ``step`` never sees an exception and a rollout never hangs
(every request has a timeout and retries are bounded).
"""

from __future__ import annotations

import json
import os
from typing import Any

from nexgym.error import ConfigError, require
from nexgym.policies.hf import RunningChat, sampling_seed

__all__ = ["NO_ACTION", "OpenAIChatPolicy", "action_from_reply"]

#: Prefix of the action returned when the server gave no usable reply (the env rejects it).
NO_ACTION = "(no action: "
#: HTTP statuses worth another try: timeouts, conflicts, rate limits and server errors.
_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
#: Message keys the chat-completions API accepts.
_MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id")


def _canonical(name: Any, arguments: Any) -> str:
    """``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` for one function call.

    Arguments that arrive as a JSON string are decoded; a string that is not JSON is kept
    as it came, so that the env reports the malformed arguments to the agent.
    """
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            quoted = json.dumps(str(name))
            return f'<tool_call>{{"name": {quoted}, "arguments": {arguments}}}</tool_call>'
    body = json.dumps({"name": str(name), "arguments": arguments}, default=str)
    return f"<tool_call>{body}</tool_call>"


def action_from_reply(reply: Any) -> str:
    """The action text of a chat-completions response body (already decoded from JSON).

    The first tool call wins (one call per action is the env's grammar); without tool
    calls the message text is the action (the env parses ``<tool_call>`` tags in it).
    Anything unusable gives a :data:`NO_ACTION` text saying what was wrong.
    """
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return f"{NO_ACTION}the server's reply has no choices)"
    message = choices[0].get("message")
    if not isinstance(message, dict):
        return f"{NO_ACTION}the server's first choice has no message)"
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls and isinstance(calls[0], dict):
        function = calls[0].get("function")
        if isinstance(function, dict) and function.get("name"):
            return _canonical(function["name"], function.get("arguments", {}))
    content = message.get("content")
    if isinstance(content, str) and content.strip():
        return content.strip()
    return f"{NO_ACTION}the model's reply was empty)"


def _api_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message with only the keys the API accepts (the env adds ``name`` to tool results)."""
    out = {key: message[key] for key in _MESSAGE_KEYS if message.get(key) is not None}
    out.setdefault("content", "")
    return out


class OpenAIChatPolicy:
    """A chat-completions endpoint as a policy: ``policy(observation, info) -> action text``.

    Args:
        env: the env it plays; sampling seeds come from its ``np_random``.
        base_url: the API root, e.g. ``"http://127.0.0.1:8000/v1"``.
        model: the model name the server knows.
        api_key: sent as a bearer token (default: ``$OPENAI_API_KEY``, else none).
        timeout_s: the limit of one request (connect, read and write), in seconds.
        max_retries: further tries after a timeout, a connection error or a retryable
            HTTP status (408, 409, 429, 5xx); tried again at once, never waiting, so one
            action takes at most ``(max_retries + 1) * timeout_s``.
        max_tokens: the longest reply, in tokens.
        temperature: sampling temperature (0: greedy).
        tools_in_request: send ``info["tools"]`` as the request's ``tools`` (needed for
            servers to return ``tool_calls``; the env's system prompt lists them too).
        transport: an ``httpx`` transport, for tests or custom networking.

    The chat comes from ``info["history"]`` (``return_history=True``) or from the
    observations seen so far, as for :class:`~nexgym.policies.hf.HFPolicy`.
    ``last_error`` holds the reason of the latest failed request (``None`` after a success).

    Example:
        >>> policy = OpenAIChatPolicy(env, "http://127.0.0.1:8000/v1", "smollm2")  # doctest: +SKIP
        >>> obs, info = env.reset(seed=0)  # doctest: +SKIP
        >>> obs, reward, terminated, truncated, info = env.step(policy(obs, info))  # doctest: +SKIP
    """

    def __init__(
        self,
        env: Any,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        max_tokens: int = 256,
        temperature: float = 0.0,
        tools_in_request: bool = True,
        transport: Any = None,
    ) -> None:
        httpx = require("httpx", "llm", "OpenAIChatPolicy")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"expected base_url like 'http://127.0.0.1:8000/v1', got {base_url!r}"
            )
        if timeout_s <= 0 or max_retries < 0 or max_tokens < 1 or temperature < 0:
            raise ConfigError(
                "expected timeout_s > 0, max_retries >= 0, max_tokens >= 1 and temperature >= 0, "
                f"got {timeout_s}, {max_retries}, {max_tokens} and {temperature}"
            )
        self.env = env
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.tools_in_request = tools_in_request
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._httpx = httpx
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout_s), headers=headers, transport=transport
        )
        self.chat = RunningChat()
        self.last_error: str | None = None
        self.requests = 0

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        """The action for the acting role's observation."""
        history = info.get("history")
        if isinstance(history, list | tuple) and history:
            messages = [dict(m) for m in history]
        else:
            text = observation if isinstance(observation, str) else str(observation)
            messages = self.chat.update(info.get("role"), text)
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [_api_message(m) for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        tools = info.get("tools")
        if self.tools_in_request and tools:
            payload["tools"] = [dict(t) for t in tools]
        if self.temperature > 0:
            payload["seed"] = sampling_seed(self.env)
        action = self._complete(payload)
        self.chat.record(info.get("role"), action)
        return action

    def _complete(self, payload: dict[str, Any]) -> str:
        """POST the request (with bounded retries) and return the action text."""
        httpx = self._httpx
        reason = "no request was made"
        for _ in range(self.max_retries + 1):
            self.requests += 1
            try:
                response = self.client.post(self.url, json=payload)
            except httpx.TimeoutException as e:
                reason = f"the server did not answer in time ({type(e).__name__})"
                continue
            except httpx.HTTPError as e:
                reason = f"the request failed ({type(e).__name__}: {e})"
                continue
            if response.status_code in _RETRY_STATUSES:
                reason = f"the server answered HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                reason = f"the server answered HTTP {response.status_code}: {response.text[:200]}"
                break
            try:
                reply = response.json()
            except ValueError:
                reason = f"the server's reply is not JSON: {response.text[:80]!r}"
                break
            self.last_error = None
            return action_from_reply(reply)
        self.last_error = reason
        return f"{NO_ACTION}{reason})"

    def reset(self) -> None:
        """Forget the running chats (they also restart by themselves on a new task)."""
        self.chat.clear()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()
