"""The action parser: the four accepted forms, OpenAI-style arguments, think tags, invalid kinds."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexgym.runtime.parsing import MAX_ACTION_CHARS, InvalidAction, _tool_call_bodies, parse_action
from nexgym.tools import ToolCall

READ = ToolCall("read_file", {"path": "/etc/app/web.conf"})


def reason(text: object) -> str:
    parsed = parse_action(text)
    assert isinstance(parsed, InvalidAction), f"expected an invalid action, got {parsed}"
    return parsed.reason


# -- the four accepted forms ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>{"name": "read_file", "arguments": {"path": "/etc/app/web.conf"}}</tool_call>',
        'I will read it.\n<tool_call>\n{"name": "read_file", "arguments": '
        '{"path": "/etc/app/web.conf"}}\n</tool_call>\nDone.',
        # an unclosed tag at the end of a generation still counts
        '<tool_call>{"name": "read_file", "arguments": {"path": "/etc/app/web.conf"}}',
        '{"name": "read_file", "arguments": {"path": "/etc/app/web.conf"}}',
        '  {"name": "read_file", "arguments": {"path": "/etc/app/web.conf"}}  \n',
        'read_file(path="/etc/app/web.conf")',
        "read_file(path='/etc/app/web.conf');",
        "<tool_use><tool_name>read_file</tool_name><parameter><path>/etc/app/web.conf</path>"
        "</parameter></tool_use>",
        "<tool_use>\n  <tool_name> read_file </tool_name>\n  <parameter>\n"
        "    <path> /etc/app/web.conf </path>\n  </parameter>\n</tool_use>",
    ],
    ids=[
        "canonical",
        "canonical-with-prose",
        "canonical-unclosed",
        "bare-json",
        "bare-json-padded",
        "function",
        "function-semicolon",
        "xml",
        "xml-indented",
    ],
)
def test_every_accepted_form_parses_to_the_same_call(text: str) -> None:
    assert parse_action(text) == READ


def test_a_call_is_frozen() -> None:
    call = ToolCall("read_file", {"path": "/a"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.name = "write_file"  # type: ignore[misc]


def test_to_text_round_trips() -> None:
    call = ToolCall("write_file", {"path": "/a", "content": 'line "1"\nline 2', "n": [1, 2.5]})
    assert parse_action(call.to_text()) == call


def test_function_form_takes_python_literals() -> None:
    parsed = parse_action("f(a=1, b=-2.5, c=[1, 'x'], d={'k': None}, e=True, f=(1, 2))")
    assert parsed == ToolCall(
        "f", {"a": 1, "b": -2.5, "c": [1, "x"], "d": {"k": None}, "e": True, "f": (1, 2)}
    )
    assert parse_action("finish()") == ToolCall("finish", {})


def test_xml_values_that_look_like_json_are_decoded() -> None:
    text = (
        "<tool_use><tool_name>set</tool_name><parameter><items>[1, 2]</items>"
        '<flag>true</flag><opts>{"a": 1}</opts><bad>[1,</bad><word>hello</word>'
        "</parameter></tool_use>"
    )
    assert parse_action(text) == ToolCall(
        "set", {"items": [1, 2], "flag": True, "opts": {"a": 1}, "bad": "[1,", "word": "hello"}
    )
    # no <parameter> block: a call without arguments
    assert parse_action("<tool_use><tool_name>finish</tool_name></tool_use>") == ToolCall("finish")


# -- OpenAI-style payloads -------------------------------------------------------------


def test_arguments_as_a_json_string_like_the_openai_api_sends() -> None:
    args = json.dumps({"path": "/etc/app/web.conf"})
    assert parse_action(json.dumps({"name": "read_file", "arguments": args})) == READ
    assert parse_action(json.dumps({"name": "finish", "arguments": ""})) == ToolCall("finish")
    assert parse_action('{"name": "finish", "arguments": null}') == ToolCall("finish")
    assert parse_action('{"name": "finish"}') == ToolCall("finish")


def test_an_openai_tool_calls_item_is_accepted() -> None:
    item = {
        "id": "call_7",
        "type": "function",
        "function": {"name": "read_file", "arguments": json.dumps({"path": "/etc/app/web.conf"})},
    }
    assert parse_action(json.dumps(item)) == READ
    assert parse_action(f"<tool_call>{json.dumps(item)}</tool_call>") == READ


def test_bytes_are_decoded() -> None:
    assert parse_action(READ.to_text().encode()) == READ
    assert reason(b"\xff\xfe") == "no tool call found in the action"


# -- think tags --------------------------------------------------------------------------


def test_think_blocks_are_ignored() -> None:
    text = f"<think>Should I call delete_file(path='/')? No.</think>\n{READ.to_text()}"
    assert parse_action(text) == READ
    # a call that appears only inside the reasoning is not an action
    assert reason('<think><tool_call>{"name": "x"}</tool_call></think>') == "the action is empty"
    several = f"<think>a</think>{READ.to_text()}<think>b</think>"
    assert parse_action(several) == READ


# -- every invalid kind, with its reason ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the action is empty"),
        ("   \n\t ", "the action is empty"),
        ("<think>only thoughts</think>", "the action is empty"),
        ("I would read the file.", "no tool call found in the action"),
        (
            READ.to_text() + READ.to_text(),
            "expected one <tool_call> per action, got 2",
        ),
        ("<tool_call></tool_call>", "nothing inside <tool_call>"),
        ("<tool_call>{'name': 'x'}</tool_call>", "the JSON inside <tool_call> is malformed ("),
        ('{"name": "x",', "the JSON in the action is malformed ("),
        ("<tool_call>[1, 2]</tool_call>", "expected a JSON object inside <tool_call>, got list"),
        ('{"tool": "x", "args": {}}', 'expected a "name" key holding the tool name, got keys'),
        ('{"name": "", "arguments": {}}', 'expected a "name" key holding the tool name'),
        ('{"name": 3}', 'expected a "name" key holding the tool name'),
        (
            '{"name": "x", "path": "/a"}',
            "unexpected key(s) 'path'; put the tool's arguments under \"arguments\"",
        ),
        ('{"name": "x", "arguments": "{oops"}', 'the "arguments" string is not valid JSON ('),
        ('{"name": "x", "arguments": [1]}', 'expected "arguments" to be a JSON object, got list'),
        ("read_file(path='/a'", "no tool call found in the action"),
        ("read_file(path=)", "the function call is not valid syntax ("),
        (
            "read_file('/a')",
            "pass arguments by keyword, e.g. read_file(key=value); got 1 positional",
        ),
        ("read_file(**opts)", "**kwargs are not accepted; write each argument as key=value"),
        ("read_file(path=open('/etc/passwd'))", "argument 'path' must be a literal"),
        ("a(x=1) + b(y=2)", "expected a single call such as read_file(path='/a')"),
        (
            "<tool_use><tool_name>a</tool_name></tool_use><tool_use><tool_name>b</tool_name>"
            "</tool_use>",
            "expected one <tool_use> per action, got 2",
        ),
        ("<tool_use><name>a</name></tool_use>", "expected <tool_name>...</tool_name> inside"),
        ('{"name": "rm -rf /"}', "'rm -rf /' is not a tool name"),
        ('{"name": "' + "x" * 200 + '"}', "is not a tool name"),
        ("x" * (MAX_ACTION_CHARS + 1), f"at most {MAX_ACTION_CHARS:,} are read"),
        ("[" * 10_000 + "]" * 10_000, "no tool call found in the action"),
        ('{"a":' * 10_000 + "1" + "}" * 10_000, "the action is nested too deeply to parse"),
    ],
    ids=[
        "empty",
        "whitespace",
        "think-only",
        "prose",
        "two-calls",
        "empty-tag",
        "single-quoted-json",
        "truncated-json",
        "json-list",
        "no-name",
        "empty-name",
        "non-string-name",
        "extra-key",
        "arguments-string-not-json",
        "arguments-not-object",
        "function-unclosed",
        "function-syntax",
        "function-positional",
        "function-kwargs",
        "function-non-literal",
        "two-function-calls",
        "two-xml-calls",
        "xml-no-name",
        "bad-name",
        "long-name",
        "too-long",
        "deep-list",
        "deep-json",
    ],
)
def test_invalid_actions_say_why(text: str, expected: str) -> None:
    assert expected in reason(text)


@pytest.mark.parametrize("value", [None, 3, 2.5, ["a"], {"name": "finish"}, object()])
def test_non_text_actions_are_invalid(value: object) -> None:
    assert reason(value).startswith("expected the action as text, got ")


def test_lone_surrogates_and_control_characters_never_raise() -> None:
    for text in ["\ud800", '{"name": "\udfff"}', "read_file(path='\ud83d')", "\x00\x1b[2J"]:
        assert isinstance(parse_action(text), InvalidAction | ToolCall)
    parsed = parse_action('{"name": "write_file", "arguments": {"content": "\\ud800"}}')
    assert parsed == ToolCall("write_file", {"content": "\ud800"})


def test_a_deeply_nested_function_argument_never_raises() -> None:
    text = "f(x=" + "[" * 10_000 + "]" * 10_000 + ")"
    assert isinstance(parse_action(text), InvalidAction)


# -- the tag scanner agrees with the regular expression it replaces -----------------------

_TAG_PIECES = ["<tool_call>", "</tool_call>", "<tool_call", "tool_call>", "{", "}", "a", "\n", " "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TAG_PIECES), max_size=12).map("".join))
def test_tool_call_bodies_match_the_regular_expression(text: str) -> None:
    stripped = text.strip()
    expected = re.findall(r"<tool_call>(.*?)(?:</tool_call>|$)", stripped, re.DOTALL)
    assert _tool_call_bodies(stripped) == expected


def test_llama_style_parameters_are_the_arguments() -> None:
    text = '{"name": "read_file", "parameters": {"path": "/a"}}'
    assert parse_action(text) == ToolCall("read_file", {"path": "/a"})
    both = parse_action('{"name": "read_file", "parameters": {}, "arguments": {}}')
    assert isinstance(both, InvalidAction) and "got both" in both.reason
