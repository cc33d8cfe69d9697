"""A policy backed by a local causal language model (transformers).

:class:`HFPolicy` turns what the env shows into a chat, renders it with the tokenizer's
chat template and the role's tool schemas, generates, and returns the generated text as
the action. The env parses that text: a model that writes garbage gets an
invalid-action observation like any other agent, never an exception.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError, require
from nexgym.runtime.parsing import InvalidAction, parse_action
from nexgym.runtime.prompts import TASK_HEADER

__all__ = ["HFPolicy", "RunningChat", "load_checkpoint", "sampling_seed"]

_TOOL_OPEN, _TOOL_CLOSE = "<tool_response>\n", "\n</tool_response>"
_INVALID = "Invalid action:"
#: Where an invocation's first observation turns from the system prompt to the task.
_TASK = "\n\n" + TASK_HEADER
#: The action returned when the tokenizer gives no tokens for the prompt (the env reports it).
EMPTY_PROMPT_ACTION = "(no action: the tokenizer returned no tokens for the prompt)"


class RunningChat:
    """The chat of each role, rebuilt from observations when the env gives no history.

    The env shows a role its system prompt and task on the first turn of an invocation,
    then ``<tool_response>`` blocks or invalid-action feedback. Those are put back into
    the OpenAI message form the env's own history uses.
    """

    def __init__(self) -> None:
        self.chats: dict[Any, list[dict[str, Any]]] = {}
        self.pending: dict[Any, str] = {}

    def clear(self) -> None:
        """Forget every chat (a new episode)."""
        self.chats.clear()
        self.pending.clear()

    def update(self, key: Any, observation: str) -> list[dict[str, Any]]:
        """Add ``observation`` to the chat under ``key`` and return that chat."""
        chat = self.chats.get(key)
        is_result = observation.startswith(_TOOL_OPEN.rstrip("\n"))
        is_feedback = observation.startswith(_INVALID)
        if chat is None or not (is_result or is_feedback):
            chat = self._opening(observation)
            self.chats[key] = chat
            self.pending.pop(key, None)
            return chat
        action = self.pending.pop(key, None)
        if is_result:
            content = observation.removeprefix(_TOOL_OPEN).removesuffix(_TOOL_CLOSE)
            if action is not None:
                chat.append(_assistant_call(action, len(chat)))
            call_id = chat[-1]["tool_calls"][0]["id"] if chat[-1].get("tool_calls") else ""
            name = chat[-1]["tool_calls"][0]["function"]["name"] if call_id else ""
            chat.append({"role": "tool", "tool_call_id": call_id, "name": name, "content": content})
        else:
            if action is not None:
                chat.append({"role": "assistant", "content": action})
            chat.append({"role": "user", "content": observation})
        return chat

    def record(self, key: Any, action: str) -> None:
        """Remember the action taken under ``key``; the next observation says how it went."""
        self.pending[key] = action

    @staticmethod
    def _opening(observation: str) -> list[dict[str, Any]]:
        head, sep, task = observation.rpartition(_TASK)
        if not sep:
            return [{"role": "user", "content": observation}]
        return [
            {"role": "system", "content": head},
            {"role": "user", "content": TASK_HEADER + task},
        ]


def _assistant_call(action: str, index: int) -> dict[str, Any]:
    call = parse_action(action)
    if isinstance(call, InvalidAction):
        return {"role": "assistant", "content": action}
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": json.dumps(call.arguments, default=str),
                },
            }
        ],
    }


@functools.lru_cache(maxsize=4)
def load_checkpoint(path: str | Path) -> tuple[Any, Any]:
    """The model and tokenizer of a local checkpoint folder (loaded once per process).

    ``path`` is a folder holding ``config.json`` (``save_pretrained``) or the name of a
    known model (``"smollm2"``), prepared into the cache on first use
    (:func:`~nexgym.training.checkpoints.prepare_model`). Nothing is downloaded; a missing
    or corrupt folder raises :class:`~nexgym.error.ConfigError` saying how to rebuild it.
    """
    require("transformers", "llm", "HFPolicy")
    from nexgym.training.checkpoints import load_pretrained

    return load_pretrained(path)


class HFPolicy:
    """A local causal LM as a policy: ``policy(observation, info) -> action text``.

    Args:
        env: the env it plays (a single env or a vector env); sampling seeds come from its
            ``np_random``.
        model: a checkpoint folder (loaded with ``AutoModelForCausalLM.from_pretrained``)
            or a loaded ``PreTrainedModel``.
        tokenizer: a tokenizer; default: loaded from the checkpoint folder.
        max_new_tokens: the longest action generated, in tokens.
        temperature: 0 for greedy decoding, else the sampling temperature.
        top_p: nucleus sampling threshold (with ``temperature > 0``).
        device: ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``...
        max_prompt_tokens: longest prompt; older turns are dropped beyond it (default: the
            model's context length minus ``max_new_tokens``).
        tools_in_template: pass ``info["tools"]`` to the chat template when the system
            prompt does not list them already (the env's own prompt does, so templates
            that add a tools block, Qwen's or Hermes', never show them twice; see
            :func:`~nexgym.training.generation.adapt_chat`).
        engine: ``"transformers"`` (``generate``), ``"vllm"`` (needs vLLM, a GPU and a
            checkpoint folder as ``model``), or ``"auto"``: vLLM when it is installed, CUDA
            is present and ``model`` is a folder, else transformers.

    The chat comes from ``info["history"]`` when the env was made with
    ``return_history=True``, otherwise from the observations the policy has seen
    (:class:`RunningChat`). Tool schemas come from ``info["tools"]`` and go through the
    chat template (``apply_chat_template(..., tools=...)``); a tokenizer without a chat
    template gets a plain ``role: text`` layout.

    Example:
        >>> env = gym.make("nex/FileOps-v0")  # doctest: +SKIP
        >>> policy = HFPolicy(env, "runs/tiny")  # doctest: +SKIP
        >>> obs, info = env.reset(seed=0)  # doctest: +SKIP
        >>> obs, reward, terminated, truncated, info = env.step(policy(obs, info))  # doctest: +SKIP
    """

    def __init__(
        self,
        env: Any,
        model: Any,
        tokenizer: Any = None,
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        device: str = "auto",
        max_prompt_tokens: int | None = None,
        tools_in_template: bool = True,
        engine: str = "auto",
    ) -> None:
        transformers = require("transformers", "llm", "HFPolicy")
        from nexgym.training.generation import resolve_device

        if max_new_tokens < 1:
            raise ConfigError(f"expected max_new_tokens >= 1, got {max_new_tokens}")
        if temperature < 0 or not 0 < top_p <= 1:
            raise ConfigError(
                f"expected temperature >= 0 and 0 < top_p <= 1, got {temperature} and {top_p}"
            )
        if engine not in ("auto", "transformers", "vllm"):
            raise ConfigError(f"expected engine 'auto', 'transformers' or 'vllm', got {engine!r}")
        self.env = env
        self.device = resolve_device(device)
        self.vllm: Any = None
        if isinstance(model, str | Path) and engine != "transformers":
            from nexgym.training.checkpoints import resolve_checkpoint
            from nexgym.training.vllm_engine import VLLMEngine, vllm_available

            if engine == "vllm" or vllm_available():
                self.vllm = VLLMEngine(resolve_checkpoint(model))
        elif engine == "vllm":
            raise ConfigError(
                "expected a checkpoint folder as model for engine='vllm', got a model"
            )
        if isinstance(model, str | Path):
            model, own_tokenizer = load_checkpoint(model)
            tokenizer = own_tokenizer if tokenizer is None else tokenizer
        if tokenizer is None:
            source = getattr(model, "name_or_path", "")
            if not source or not Path(source).is_dir():
                raise ConfigError(
                    "expected a tokenizer with a loaded model (or a checkpoint folder), got None"
                )
            tokenizer = transformers.AutoTokenizer.from_pretrained(source)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        context = getattr(model.config, "max_position_embeddings", None) or 2048
        self.max_prompt_tokens = max_prompt_tokens or max(16, int(context) - max_new_tokens)
        self.tools_in_template = tools_in_template
        self.chat = RunningChat()
        self.last_prompts: list[list[int]] = []

    # -- acting ---------------------------------------------------------------------

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        """The action for one env's observation."""
        return self.act_batch([observation], [info])[0]

    def act_batch(
        self, observations: Sequence[Any], infos: Sequence[dict[str, Any]] | Mapping[str, Any]
    ) -> list[str]:
        """Actions for a batch of envs (a vector env's observations and infos, say).

        One ``generate`` call serves the whole batch (left-padded prompts).
        """
        from nexgym.training.generation import decode, fit_messages, generate_batch

        rows = _split_infos(infos, len(observations))
        prompts = []
        for index, (observation, info) in enumerate(zip(observations, rows, strict=True)):
            messages = self.messages(index, observation, info)
            tools = info.get("tools") if self.tools_in_template else None
            prompts.append(
                fit_messages(self.tokenizer, messages, _as_list(tools), self.max_prompt_tokens)
            )
        self.last_prompts = prompts
        seed = sampling_seed(self.env) if self.temperature > 0 else None
        sampling: dict[str, Any] = dict(
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            seed=seed,
        )
        if self.vllm is not None:
            generated = self.vllm.generate(prompts, **sampling)
        else:
            generated = generate_batch(self.model, self.tokenizer, prompts, **sampling)
        actions = []
        for index, (prompt, ids, info) in enumerate(zip(prompts, generated, rows, strict=True)):
            if not prompt:
                warnings.warn(
                    "HFPolicy: the tokenizer returned no tokens for the prompt; "
                    "the env will report an invalid action",
                    RuntimeWarning,
                    stacklevel=2,
                )
                action = EMPTY_PROMPT_ACTION
            else:
                action = decode(self.tokenizer, ids).strip()
            self.chat.record((index, info.get("role")), action)
            actions.append(action)
        return actions

    def messages(self, index: int, observation: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
        """The chat of the acting role of env ``index``, ending with ``observation``."""
        history = info.get("history")
        if isinstance(history, list | tuple) and history:
            return [dict(m) for m in history]
        text = observation if isinstance(observation, str) else str(observation)
        return list(self.chat.update((index, info.get("role")), text))

    def reset(self) -> None:
        """Forget the running chats (they also restart by themselves on a new task)."""
        self.chat.clear()


def sampling_seed(env: Any) -> int:
    """A sampling seed drawn from the env's ``np_random`` (a vector env's first sub-env's)."""
    subs = getattr(env, "envs", None)
    if subs:
        env = subs[0]
    rng = getattr(env, "unwrapped", env).np_random
    if isinstance(rng, tuple | list):
        rng = rng[0]
    return int(rng.integers(2**31 - 1))


def _as_list(tools: Any) -> list[dict[str, Any]] | None:
    if tools is None:
        return None
    return [dict(t) for t in tools] or None


def _split_infos(
    infos: Sequence[dict[str, Any]] | Mapping[str, Any], n: int
) -> list[dict[str, Any]]:
    """Per-env info dicts, from a list of them or a vector env's dict of arrays."""
    if isinstance(infos, Mapping):
        rows: list[dict[str, Any]] = [{} for _ in range(n)]
        for key, values in infos.items():
            if key.startswith("_"):
                continue
            present = infos.get(f"_{key}")
            for i in range(n):
                if present is None or bool(present[i]):
                    rows[i][key] = values[i]
        return rows
    rows = [dict(info or {}) for info in infos]
    if len(rows) != n:
        raise ConfigError(f"expected one info per observation ({n}), got {len(rows)}")
    return rows
