"""A ChatML chat template with Hermes/Qwen-style tool calling, for locally built tokenizers.

Assistant tool calls render as ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
(the canonical nexgym action text), tool results as a user turn holding
``<tool_response>...</tool_response>`` (what the env shows), and the tool schemas as a
``<tools>`` block in the system turn. The env's own system prompt already lists the
tools in that form, so the block is added only when the system message lacks one: the
schemas appear exactly once either way. Assistant turns sit inside ``{% generation %}``
markers so that TRL's ``assistant_only_loss`` trains on them (end-of-turn token included).
"""

from __future__ import annotations

__all__ = ["CHAT_TEMPLATE", "END_OF_TURN", "PAD", "START_OF_TURN"]

START_OF_TURN = "<|im_start|>"
END_OF_TURN = "<|im_end|>"
PAD = "<|endoftext|>"

CHAT_TEMPLATE = (
    "{%- set system = none -%}"
    "{%- if messages and messages[0].role == 'system' -%}{%- set system = messages[0].content -%}"
    "{%- endif -%}"
    "{%- if tools and (system is none or '<tools>' not in system) -%}"
    "{{- '<|im_start|>system\\n' -}}"
    "{%- if system is not none -%}{{- system + '\\n\\n' -}}{%- endif -%}"
    "{{- '# Tools\\nYou may call these tools, given as JSON schemas:\\n<tools>\\n' -}}"
    "{%- for tool in tools -%}{{- tool | tojson -}}{{- '\\n' -}}{%- endfor -%}"
    "{{- '</tools><|im_end|>\\n' -}}"
    "{%- elif system is not none -%}"
    "{{- '<|im_start|>system\\n' + system + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message.role == 'system' and loop.first -%}"
    "{%- elif message.role == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- generation -%}"
    "{%- if message.content -%}{{- message.content -}}{%- endif -%}"
    "{%- if message.tool_calls -%}"
    "{%- for call in message.tool_calls -%}"
    "{%- set fn = call.function if call.function is defined and call.function else call -%}"
    "{{- '<tool_call>{\"name\": ' + (fn.name | tojson) + ', \"arguments\": ' -}}"
    "{%- if fn.arguments is string -%}{{- fn.arguments -}}"
    "{%- else -%}{{- fn.arguments | tojson -}}{%- endif -%}"
    "{{- '}</tool_call>' -}}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>' -}}"
    "{%- endgeneration -%}"
    "{{- '\\n' -}}"
    "{%- elif message.role == 'tool' -%}"
    "{{- '<|im_start|>user\\n<tool_response>\\n' + message.content -}}"
    "{{- '\\n</tool_response><|im_end|>\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message.role + '\\n' + (message.content or '') + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)
