"""Chat prompts to token ids, and batched generation, for any local causal LM.

Shared by :class:`~nexgym.policies.hf.HFPolicy` and the GRPO rollouts. Nothing here raises
on what a model or tokenizer produces: an empty prompt or undecodable ids become empty
results that the caller turns into an (invalid) action.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nexgym.error import ConfigError

__all__ = [
    "adapt_chat",
    "decode",
    "encode_chat",
    "fit_messages",
    "generate_batch",
    "plain_chat_text",
    "render_chat",
    "resolve_device",
]


def resolve_device(device: str) -> str:
    """``"auto"`` becomes ``"cuda"`` when a GPU is present, else ``"cpu"``; others pass through."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"expected device 'cpu' or 'auto' on this machine (no CUDA), got {device!r}"
        )
    return device


def plain_chat_text(
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
    *,
    add_generation_prompt: bool = True,
) -> str:
    """The fallback prompt for tokenizers without a chat template: ``role: text`` blocks."""
    parts = []
    system_has_tools = (
        bool(messages)
        and messages[0].get("role") == "system"
        and "<tools>" in str(messages[0].get("content") or "")
    )
    if tools and not system_has_tools:
        parts.append("tools:\n<tools>\n" + "\n".join(json.dumps(t) for t in tools) + "\n</tools>")
    for message in messages:
        text = str(message.get("content") or "")
        for call in message.get("tool_calls") or []:
            fn = call.get("function", call)
            arguments = fn.get("arguments", {})
            arguments = arguments if isinstance(arguments, str) else json.dumps(arguments)
            name = json.dumps(fn.get("name", ""))
            text += f'<tool_call>{{"name": {name}, "arguments": {arguments}}}</tool_call>'
        if message.get("role") == "tool":
            text = f"<tool_response>\n{text}\n</tool_response>"
        parts.append(f"{message.get('role', 'user')}: {text}")
    if add_generation_prompt:
        parts.append("assistant:")
    return "\n\n".join(parts) + ("" if add_generation_prompt else "\n")


def _object_arguments(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call whose arguments are a JSON object, not the OpenAI format's JSON string.

    Chat templates apply ``tojson`` to the arguments (Qwen2.5, Llama 3.1): a string would
    come out encoded twice. Arguments that are not a JSON object stay as they are.
    """
    fn = dict(call.get("function", call))
    arguments = fn.get("arguments", {})
    if isinstance(arguments, str):
        try:
            decoded = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            fn["arguments"] = decoded
    return {**call, "type": "function", "function": fn}


def adapt_chat(
    template: str,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The messages and tools to give ``template`` so that it renders them faithfully.

    * Tool-call arguments become JSON objects (no double encoding under ``tojson``).
    * Tools already listed in the system prompt (the env's prompt has a ``<tools>``
      block) are not passed again: templates that add their own block would show every
      schema twice.
    * A template that knows no tool calls (SmolLM2's, plain ChatML) gets each call as
      the canonical ``<tool_call>`` text in the assistant's content and each tool result
      as a user turn holding ``<tool_response>...</tool_response>``: what the env shows
      and parses.
    """
    from nexgym.tools import ToolCall

    system = messages[0].get("content") if messages and messages[0].get("role") == "system" else ""
    if tools and "<tools>" in str(system or ""):
        tools = None
    knows_tools = "tool_calls" in template
    out: list[dict[str, Any]] = []
    for message in messages:
        message = dict(message)
        calls = [_object_arguments(c) for c in message.get("tool_calls") or []]
        if calls and knows_tools:
            message["tool_calls"] = calls
        elif calls:
            texts = []
            for call in calls:
                fn = call["function"]
                arguments = fn.get("arguments")
                if isinstance(arguments, dict):
                    texts.append(ToolCall(str(fn.get("name", "")), arguments).to_text())
                else:
                    texts.append(
                        f'<tool_call>{{"name": {json.dumps(fn.get("name", ""))}, '
                        f'"arguments": {arguments}}}</tool_call>'
                    )
            message.pop("tool_calls")
            message["content"] = str(message.get("content") or "") + "".join(texts)
        if message.get("role") == "tool" and not knows_tools:
            body = str(message.get("content") or "")
            message = {"role": "user", "content": f"<tool_response>\n{body}\n</tool_response>"}
        out.append(message)
    return out, list(tools) if tools else None


def render_chat(
    tokenizer: Any,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
    *,
    add_generation_prompt: bool = True,
) -> str:
    """The prompt text: the tokenizer's chat template, or :func:`plain_chat_text` without one.

    The chat goes through :func:`adapt_chat` first, so that any common template (Qwen2.5,
    Llama 3.1, Hermes, SmolLM2, nexgym's own) shows each call and each schema once.
    """
    template = getattr(tokenizer, "chat_template", None)
    if template:
        chat, schemas = adapt_chat(str(template), messages, tools)
        text = tokenizer.apply_chat_template(
            chat, tools=schemas, tokenize=False, add_generation_prompt=add_generation_prompt
        )
        return text if isinstance(text, str) else ""
    return plain_chat_text(messages, tools, add_generation_prompt=add_generation_prompt)


def encode_chat(
    tokenizer: Any, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None
) -> list[int]:
    """Token ids of the prompt for ``messages`` (empty if the tokenizer returns nothing)."""
    text = render_chat(tokenizer, messages, tools)
    if not text:
        return []
    encoded = tokenizer(text, add_special_tokens=False)
    ids = encoded["input_ids"] if hasattr(encoded, "keys") else encoded
    return [int(i) for i in ids or []]


def fit_messages(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
    limit: int,
) -> list[int]:
    """Prompt ids no longer than ``limit``.

    Middle turns are dropped first (the system prompt and the task stay), then the
    oldest tokens.
    """
    ids = encode_chat(tokenizer, messages, tools)
    keep_head = 2 if len(messages) > 2 and messages[0].get("role") == "system" else 1
    trimmed = list(messages)
    while len(ids) > limit and len(trimmed) > keep_head + 1:
        drop = 1
        # Drop an assistant turn together with the result that answers it.
        if trimmed[keep_head].get("role") == "assistant" and len(trimmed) > keep_head + 2:
            drop = 2
        del trimmed[keep_head : keep_head + drop]
        ids = encode_chat(tokenizer, trimmed, tools)
    return ids[-limit:] if len(ids) > limit else ids


def decode(tokenizer: Any, ids: Sequence[int]) -> str:
    """Text of generated ids; ids the tokenizer does not know are skipped, never raised on."""
    size = len(tokenizer)
    known = [int(i) for i in ids if 0 <= int(i) < size]
    try:
        text = tokenizer.decode(known, skip_special_tokens=True)
    except Exception:  # a broken tokenizer must not end the episode; the env sees ""
        return ""
    return text if isinstance(text, str) else ""


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    seed: int | None = None,
) -> list[list[int]]:
    """Generate a continuation for each prompt in one left-padded ``generate`` call.

    Empty prompts get an empty continuation. Sampling (``temperature > 0``) uses a torch
    RNG seeded with ``seed`` inside :func:`torch.random.fork_rng`, so the global RNG is left
    as it was. Returns the new ids of each prompt, cut after the first end-of-sequence.
    """
    import torch

    out: list[list[int]] = [[] for _ in prompts]
    live = [i for i, p in enumerate(prompts) if len(p) > 0]
    if not live or max_new_tokens < 1:
        return out
    device = next(model.parameters()).device
    pad_id = tokenizer.pad_token_id
    eos_ids = _eos_ids(model, tokenizer)
    if pad_id is None:
        pad_id = eos_ids[0] if eos_ids else 0
    width = max(len(prompts[i]) for i in live)
    input_ids = torch.full((len(live), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(live), width), dtype=torch.long)
    for row, i in enumerate(live):
        ids = torch.tensor(list(prompts[i]), dtype=torch.long)
        input_ids[row, width - len(ids) :] = ids
        mask[row, width - len(ids) :] = 1
    sample = temperature > 0
    kwargs: dict[str, Any] = dict(
        max_new_tokens=max_new_tokens,
        do_sample=sample,
        pad_token_id=pad_id,
        eos_token_id=eos_ids or None,
    )
    if sample:
        kwargs.update(temperature=temperature, top_p=top_p, top_k=0)
    else:  # silence a sampling config inherited from the checkpoint
        kwargs.update(temperature=None, top_p=None, top_k=None)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        if sample:
            torch.manual_seed(0 if seed is None else seed)
        generated = model.generate(
            input_ids=input_ids.to(device), attention_mask=mask.to(device), **kwargs
        )
    new = generated[:, width:].tolist()
    stop = set(eos_ids)
    for row, i in enumerate(live):
        ids = new[row]
        for cut, token in enumerate(ids):
            if token in stop:
                ids = ids[: cut + 1]
                break
        out[i] = [t for t in ids if t != pad_id or t in stop]
    return out


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    ids: list[int] = []
    for source in (
        getattr(tokenizer, "eos_token_id", None),
        getattr(getattr(model, "generation_config", None), "eos_token_id", None),
    ):
        for value in source if isinstance(source, list | tuple) else [source]:
            if isinstance(value, int) and value not in ids:
                ids.append(value)
    return ids
