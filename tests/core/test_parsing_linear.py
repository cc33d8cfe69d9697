"""The action parser runs in time linear in the action's length, whatever the text.

The tag scanners that replaced the lazy ``<a>.*?</a>`` patterns (quadratic: 10.8 s
for 64 KiB of unclosed ``<a>`` fields, 3.2 s for ``<think>`` repeated) must find what
those patterns found, and parse adversarial actions at the 64 KiB cap in milliseconds.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexgym.runtime.parsing import (
    MAX_ACTION_CHARS,
    InvalidAction,
    _first_body,
    _strip_think,
    _tag_bodies,
    _xml_fields,
    parse_action,
)
from nexgym.tools import ToolCall

# -- the scanners agree with the regular expressions they replace ----------------------

_PIECES = [
    "<think>", "</think>", "<tool_use>", "</tool_use>", "<tool_name>", "</tool_name>",
    "<parameter>", "</parameter>", "<a>", "</a>", "<b-1>", "</b-1>", "<a", "a>", "</",
    "x", " ", "\n", "\u00a0",
]  # fmt: skip
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_strip_think_matches_the_regular_expression(text: str) -> None:
    assert _strip_think(text) == re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_tag_bodies_match_the_regular_expression(text: str) -> None:
    stripped = text.strip()
    expected = re.findall(r"<tool_use>(.*?)(?:</tool_use>|$)", stripped, re.DOTALL)
    assert _tag_bodies(stripped, "<tool_use>", "</tool_use>") == expected


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_first_body_matches_the_regular_expression(text: str) -> None:
    found = re.search(r"<tool_name>\s*(.*?)\s*</tool_name>", text, re.DOTALL)
    body = _first_body(text, "<tool_name>", "</tool_name>")
    assert (body is None) == (found is None)
    if found is not None and body is not None:
        assert body.strip() == found.group(1)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_xml_fields_match_the_regular_expression(text: str) -> None:
    expected = re.findall(r"<([A-Za-z_][\w-]*)>(.*?)</\1>", text, re.DOTALL)
    assert _xml_fields(text) == expected


def test_xml_with_several_fields_still_parses() -> None:
    text = (
        "<think>plan</think><tool_use><tool_name> move_file </tool_name><parameter>"
        "<source>/a.log</source><destination> /archive/ </destination><n>[1, 2]</n>"
        "</parameter></tool_use>"
    )
    expected = ToolCall("move_file", {"source": "/a.log", "destination": "/archive/", "n": [1, 2]})
    assert parse_action(text) == expected


# -- adversarial actions at the length cap -------------------------------------------

_XML = "<tool_use><tool_name>x</tool_name><parameter>"
_XML_END = "</parameter></tool_use>"
#: (head, repeated unit, tail): each repeats the unit to fill a given length.
ADVERSARIAL = {
    "think": ("", "<think>", ""),
    "think-in-call": ("<tool_call>", "<think>", "</tool_call>"),
    "unclosed-fields": (_XML, "<a>", _XML_END),
    "fields-and-other-closings": (_XML, "<a></b>", _XML_END),
    "fields-without-gt": (_XML, "<a", _XML_END),
    "long-field-name": (_XML + "<", "a", _XML_END),
    "unclosed-tool-names": ("<tool_use>", "<tool_name>", ""),
    "tool-name-spaces": ("<tool_use><tool_name>x", " \t", "y</tool_name>"),
    "unclosed-parameters": ("<tool_use><tool_name>x</tool_name>", "<parameter>", ""),
    "tool-use-repeated": ("", "<tool_use>", ""),
    "tool-call-repeated": ("", "<tool_call>", ""),
    "function-parentheses": ("f(", ")  ", ""),
    "function-nesting": ("f(x=", "[", ""),
    "json-nesting": ("", '{"a":', ""),
}


def _fill(case: str, length: int) -> str:
    head, unit, tail = ADVERSARIAL[case]
    return head + unit * ((length - len(head) - len(tail)) // len(unit)) + tail


def _parse_seconds(text: str, repeats: int = 5) -> float:
    """The least CPU time of a few parses (CPU time: other processes share the cores)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        parse_action(text)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_adversarial_actions_parse_fast_and_in_linear_time(case: str) -> None:
    full = _fill(case, MAX_ACTION_CHARS)
    quarter = _fill(case, MAX_ACTION_CHARS // 4)
    assert MAX_ACTION_CHARS - 16 < len(full) <= MAX_ACTION_CHARS
    parsed = parse_action(full)
    assert isinstance(parsed, ToolCall | InvalidAction)
    seconds = _parse_seconds(full)
    assert seconds < 0.2, f"{case}: {seconds * 1000:.1f} ms to parse 64 KiB"
    # linear: 4x the text costs about 4x the time (quadratic would be 16x); tiny times
    # are all clock noise, so the growth is judged above a millisecond only
    growth = seconds / max(_parse_seconds(quarter), 1e-3 / 4)
    assert growth < 9, f"{case}: 4x the text took {growth:.1f}x the time"


def test_the_reported_actions_parse_in_milliseconds() -> None:
    fields = _XML + "<a>" * 21814 + _XML_END
    thinks = "<think>" * 9362
    assert len(fields) <= MAX_ACTION_CHARS and len(thinks) <= MAX_ACTION_CHARS
    assert parse_action(fields) == ToolCall("x", {})
    assert parse_action(thinks) == InvalidAction("no tool call found in the action")
    assert _parse_seconds(fields) < 0.2
    assert _parse_seconds(thinks) < 0.2
