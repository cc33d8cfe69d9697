"""Exported trajectories render faithfully under the common chat templates.

The templates (``templates/*.jinja``) are short, faithful copies of the tool-calling
templates of Qwen2.5, Llama 3.1 and Hermes (2 Pro / 3), SmolLM2-Instruct's own (as its
GGUF file ships it) and nexgym's ChatML template. Each renders, through a tokenizer built
offline, the per-agent chats that ``nexgym rollout --out`` exports: every tool call must
show its arguments once as a JSON object (never a JSON string inside JSON), and every
tool schema exactly once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexgym.cli.main import main
from nexgym.runtime.parsing import parse_action
from nexgym.tools import ToolCall

pytest.importorskip("transformers")

from nexgym.training.chat_template import CHAT_TEMPLATE
from nexgym.training.data import read_examples
from nexgym.training.generation import render_chat

TEMPLATES = {
    path.stem: path.read_text()
    for path in sorted((Path(__file__).parent / "templates").glob("*.jinja"))
}
TEMPLATES["nexgym"] = CHAT_TEMPLATE
#: Templates whose call format the env parses back (Llama 3.1 writes "parameters").
ENV_FORMAT = ("qwen2_5", "hermes", "smollm2", "nexgym", "llama3_1")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> list[dict]:
    """Per-agent chats of oracle episodes, written by ``nexgym rollout`` and read back."""
    out = tmp_path_factory.mktemp("rollout")
    code = main(
        [
            *("rollout", "nex/FileOps-v0", "nex/AgencySupportDesk-v0"),
            *(
                "--policy",
                "oracle",
                "--episodes",
                "2",
                "--control",
                "all",
                "--out",
                str(out),
                "--quiet",
            ),
        ]
    )
    assert code == 0
    examples = read_examples(out)
    assert any(m.get("tool_calls") for e in examples for m in e["messages"])
    return examples


@pytest.fixture(scope="module")
def tokenizer(tiny_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    tokenizer.bos_token = "<|endoftext|>"
    return tokenizer


def _calls(example: dict) -> list[ToolCall]:
    out = []
    for message in example["messages"]:
        for call in message.get("tool_calls") or []:
            fn = call["function"]
            out.append(ToolCall(fn["name"], json.loads(fn["arguments"])))
    return out


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_calls_and_schemas_render_once_and_unencoded(name, tokenizer, exported):
    tokenizer.chat_template = TEMPLATES[name]
    for example in exported:
        tools = json.loads(example["tools"])
        text = render_chat(tokenizer, example["messages"], tools, add_generation_prompt=False)
        assert '"arguments": "' not in text and '"parameters": "' not in text, name
        for call in _calls(example):
            assert json.dumps(call.arguments) in text, (name, call)
        for schema in tools:
            description = schema["function"]["description"]
            # shown as it is, or inside the JSON of the schemas (quotes escaped)
            escaped = json.dumps(description)[1:-1]
            shown = text.count(description) + (text.count(escaped) if escaped != description else 0)
            assert shown == 1, (name, schema["function"]["name"])
        for message in example["messages"]:
            if message["role"] == "tool":  # Llama 3.1 shows results as JSON strings
                shown = json.dumps(message["content"]) if name == "llama3_1" else message["content"]
                assert shown in text, name


@pytest.mark.parametrize("name", ENV_FORMAT)
def test_rendered_assistant_turns_parse_back_to_the_same_call(name, tokenizer, exported):
    """A model trained on these renderings learns text the env accepts."""
    tokenizer.chat_template = TEMPLATES[name]
    example = next(e for e in exported if _calls(e))
    messages = example["messages"]
    k = next(i for i, m in enumerate(messages) if m.get("tool_calls"))
    before = render_chat(tokenizer, messages[:k], None, add_generation_prompt=True)
    after = render_chat(tokenizer, messages[: k + 1], None, add_generation_prompt=False)
    assert after.startswith(before), name
    completion = after[len(before) :].replace("<|im_end|>", "").replace("<|eot_id|>", "")
    assert parse_action(completion) == _calls(example)[0], (name, completion)


def test_schemas_are_added_when_the_system_prompt_lacks_them(tokenizer, exported):
    tokenizer.chat_template = TEMPLATES["qwen2_5"]
    tools = json.loads(exported[0]["tools"])
    bare = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    text = render_chat(tokenizer, bare, tools)
    for schema in tools:
        assert text.count(json.dumps(schema)) == 1
