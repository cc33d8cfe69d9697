"""Turn one action text into a :class:`~nexgym.tools.ToolCall`, or a reason it is invalid.

Accepted forms (one call per action):

* canonical: ``<tool_call>{"name": "read_file", "arguments": {"path": "/a"}}</tool_call>``
  (what Qwen/Hermes chat templates emit; text around the tags is ignored);
* a bare JSON object of that shape (``arguments`` may also be a JSON string, as the
  OpenAI API sends it);
* a function call: ``read_file(path="/a")`` (keyword arguments, Python literals; parsed
  with :mod:`ast`, never evaluated);
* NexAU's XML: ``<tool_use><tool_name>read_file</tool_name><parameter><path>/a</path>
  </parameter></tool_use>``.

:func:`parse_action` never raises: any text yields either a call or an
:class:`InvalidAction` with a reason the agent can act on.
"""

from __future__ import annotations

import ast
import json
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nexgym.tools import ToolCall

__all__ = ["MAX_ACTION_CHARS", "InvalidAction", "parse_action"]

#: Longer actions are rejected before any parsing (no model call is that long).
MAX_ACTION_CHARS = 65_536
# Tags are found with ``str.find`` and tag-only patterns, never with a pattern of the
# form ``<a>.*?</a>``: that one rescans the rest of the text from every unclosed
# ``<a>``, quadratic in the action's length (seconds for 64 KiB of ``<think>``).
_OPEN, _CLOSE = "<tool_call>", "</tool_call>"
_OPEN_LEN, _CLOSE_LEN = len(_OPEN), len(_CLOSE)
_XML_OPEN_TAG = re.compile(r"<([A-Za-z_][\w-]*)>")
_XML_CLOSE_TAG = re.compile(r"</([A-Za-z_][\w-]*)>")
_FUNC = re.compile(r"^([A-Za-z_][\w.]*)\s*\((.*)\)\s*;?$", re.DOTALL)
_IDENT = re.compile(r"^[A-Za-z_][\w.-]{0,127}$")
_KEYS = frozenset({"name", "arguments", "id", "type"})
#: The scanner of ``json.loads``: (value, end) of the JSON text at an index.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


#: Names that matched ``_IDENT`` (a set look-up costs a tenth of the match).
_NAMES: set[str] = set()


def _known(name: str) -> bool:
    """Whether ``name`` matches ``_IDENT``, remembered for the next time if it does."""
    if _IDENT.match(name) is None:
        return False
    if len(_NAMES) >= 4096:  # bounded: names come from agents' actions
        _NAMES.clear()
    _NAMES.add(name)
    return True


@dataclass(frozen=True, slots=True)
class InvalidAction:
    """Why an action text is not a tool call."""

    reason: str


def parse_action(text: Any) -> ToolCall | InvalidAction:
    """Parse an action text; never raises."""
    try:
        return _parse(text)
    except (RecursionError, MemoryError):
        return InvalidAction("the action is nested too deeply to parse")
    except Exception as e:  # defensive: parsing must never escape step()
        return InvalidAction(f"the action could not be parsed ({type(e).__name__})")


def _parse(text: Any) -> ToolCall | InvalidAction:
    if (
        type(text) is str
        and text.startswith(_OPEN)
        and text.find(_CLOSE, _OPEN_LEN) == len(text) - _CLOSE_LEN
        and len(text) <= MAX_ACTION_CHARS
        and "<think>" not in text
    ):
        # the canonical form, one ``<tool_call>`` tag making up the whole text: what the
        # general path below finds, without its stripping and tag search; the usual
        # {"name": ..., "arguments": {...}} with nothing around it is read in place
        try:
            data, end = _SCAN(text, _OPEN_LEN)
        except (StopIteration, json.JSONDecodeError):
            end = -1
        if end == len(text) - _CLOSE_LEN and type(data) is dict:
            usual = _usual(data)
            if usual is not None:
                return usual
        return _from_json(text[_OPEN_LEN:-_CLOSE_LEN].strip(), True)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return InvalidAction(f"expected the action as text, got {type(text).__name__}")
    if len(text) > MAX_ACTION_CHARS:
        return InvalidAction(
            f"the action is {len(text):,} characters long; at most {MAX_ACTION_CHARS:,} are read"
        )
    if "<think>" in text:
        text = _strip_think(text)
    stripped = text.strip()
    if not stripped:
        return InvalidAction("the action is empty")
    if "<tool_call>" in stripped:
        bodies = _tag_bodies(stripped, _OPEN, _CLOSE)
        if len(bodies) > 1:
            return InvalidAction(f"expected one <tool_call> per action, got {len(bodies)}")
        return _from_json(bodies[0].strip(), True)
    if "<tool_use>" in stripped:
        return _from_xml(_tag_bodies(stripped, "<tool_use>", "</tool_use>"))
    if stripped.startswith("{"):
        return _from_json(stripped, False)
    match = _FUNC.match(stripped)
    if match:
        return _from_function(stripped, match.group(1))
    return InvalidAction("no tool call found in the action")


def _strip_think(text: str) -> str:
    """Remove every closed ``<think>...</think>`` span, in one pass.

    What ``re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)`` returns: each span
    runs from a ``<think>`` to the first ``</think>`` after it; an unclosed ``<think>``
    (and all text after it) stays.
    """
    kept = []
    position = 0
    while (opening := text.find("<think>", position)) >= 0:
        closing = text.find("</think>", opening + len("<think>"))
        if closing < 0:  # no later ``<think>`` is closed either
            break
        kept.append(text[position:opening])
        position = closing + len("</think>")
    kept.append(text[position:])
    return "".join(kept)


def _tag_bodies(text: str, open_tag: str, close_tag: str) -> list[str]:
    """The bodies of the ``open_tag`` tags in stripped text.

    It finds what ``re.findall(f"{open_tag}(.*?)(?:{close_tag}|$)", text, re.DOTALL)``
    finds, in linear time and five times faster (``str.find``). Each body runs from an
    opening tag to the first closing tag after it, or to the end of the text; the
    search goes on after that closing tag.
    """
    bodies = []
    position = 0
    while (opening := text.find(open_tag, position)) >= 0:
        start = opening + len(open_tag)
        closing = text.find(close_tag, start)
        if closing < 0:
            bodies.append(text[start:])
            break
        bodies.append(text[start:closing])
        position = closing + len(close_tag)
    return bodies


def _tool_call_bodies(text: str) -> list[str]:
    """The bodies of the ``<tool_call>`` tags in stripped text (see :func:`_tag_bodies`)."""
    return _tag_bodies(text, _OPEN, _CLOSE)


def _first_body(text: str, open_tag: str, close_tag: str) -> str | None:
    """The text between the first ``open_tag`` and the first ``close_tag`` after it.

    What ``re.search(f"{open_tag}(.*?){close_tag}", text, re.DOTALL).group(1)`` finds
    (None where that finds nothing), in linear time: when the first opening tag has
    no closing tag after it, no later one has.
    """
    opening = text.find(open_tag)
    if opening < 0:
        return None
    start = opening + len(open_tag)
    closing = text.find(close_tag, start)
    return None if closing < 0 else text[start:closing]


def _xml_fields(text: str) -> list[tuple[str, str]]:
    r"""``(name, body)`` of each ``<name>body</name>`` element, left to right.

    What ``re.findall(r"<([A-Za-z_][\w-]*)>(.*?)</\1>", text, re.DOTALL)`` finds, in
    O(n log n): each opening tag is paired with the first closing tag of its name
    after it, found by bisection in the list of that name's closing tags, instead of
    a scan of the rest of the text (quadratic for many unclosed tags). Elements do
    not nest: the search goes on after each element's closing tag.
    """
    closings: dict[str, list[int]] = {}
    for match in _XML_CLOSE_TAG.finditer(text):
        closings.setdefault(match.group(1), []).append(match.start())
    fields = []
    position = 0
    for match in _XML_OPEN_TAG.finditer(text):
        name, start = match.group(1), match.end()
        ends = closings.get(name)
        if match.start() < position or not ends:
            continue
        index = bisect_left(ends, start)
        if index < len(ends):
            fields.append((name, text[start : ends[index]]))
            position = ends[index] + len(name) + 3  # past ``</name>``
    return fields


def _from_json(body: str, wrapped: bool) -> ToolCall | InvalidAction:
    where = "inside <tool_call>" if wrapped else "in the action"
    if not body:
        return InvalidAction(f"nothing {where}")
    try:
        data, end = _SCAN(body, 0)  # ``json.loads`` without its Python wrapper layers
    except (StopIteration, json.JSONDecodeError):
        end = -1
    if end != len(body):  # malformed or trailing text: ``json.loads`` says why
        try:
            data = json.loads(body)
        except json.JSONDecodeError as e:
            return InvalidAction(f"the JSON {where} is malformed ({e.msg} at character {e.pos})")
    if not isinstance(data, dict):
        return InvalidAction(f"expected a JSON object {where}, got {type(data).__name__}")
    return _usual(data) or _from_mapping(data)


def _usual(data: dict[str, Any]) -> ToolCall | None:
    """The call of the usual ``{"name": ..., "arguments": {...}}`` (None for any other)."""
    if len(data) == 2:  # no key checks needed
        name, arguments = data.get("name"), data.get("arguments")
        if type(name) is str and type(arguments) is dict and (name in _NAMES or _known(name)):
            return ToolCall(name, arguments)
    return None


def _from_mapping(data: dict[str, Any]) -> ToolCall | InvalidAction:
    if "function" in data and isinstance(data["function"], dict):  # OpenAI's tool_calls item
        data = data["function"]
    if "parameters" in data:  # Llama 3.1's JSON tool calls name the arguments "parameters"
        if "arguments" in data:
            return InvalidAction('expected "arguments" or "parameters", got both')
        data = {("arguments" if k == "parameters" else k): v for k, v in data.items()}
    name = data.get("name")
    if not isinstance(name, str) or not name:
        keys = ", ".join(repr(k) for k in list(data)[:6])
        return InvalidAction(
            f'expected a "name" key holding the tool name, got keys {keys or "none"}'
        )
    extra = [key for key in data if key not in _KEYS]
    if extra:
        return InvalidAction(
            f"unexpected key(s) {', '.join(sorted(map(repr, extra)))}; "
            'put the tool\'s arguments under "arguments"'
        )
    arguments = data.get("arguments", {})
    if isinstance(arguments, str):  # the OpenAI API sends arguments as a JSON string
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as e:
            return InvalidAction(f'the "arguments" string is not valid JSON ({e.msg})')
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return InvalidAction(
            f'expected "arguments" to be a JSON object, got {type(arguments).__name__}'
        )
    return _named(name, arguments)


def _from_function(text: str, name: str) -> ToolCall | InvalidAction:
    try:
        tree = ast.parse(text.rstrip(";"), mode="eval")
    except SyntaxError as e:
        return InvalidAction(f"the function call is not valid syntax ({e.msg})")
    call = tree.body
    if not isinstance(call, ast.Call):
        return InvalidAction("expected a single call such as read_file(path='/a')")
    if call.args:
        return InvalidAction(
            f"pass arguments by keyword, e.g. {name}(key=value); got {len(call.args)} positional"
        )
    arguments: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            return InvalidAction("**kwargs are not accepted; write each argument as key=value")
        try:
            arguments[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            return InvalidAction(
                f"argument {kw.arg!r} must be a literal "
                "(string, number, list, dict, True/False/None)"
            )
    return _named(name, arguments)


def _from_xml(bodies: list[str]) -> ToolCall | InvalidAction:
    if len(bodies) != 1:
        return InvalidAction(f"expected one <tool_use> per action, got {len(bodies)}")
    body = bodies[0]
    name = _first_body(body, "<tool_name>", "</tool_name>")
    if name is None:
        return InvalidAction("expected <tool_name>...</tool_name> inside <tool_use>")
    arguments: dict[str, Any] = {}
    params = _first_body(body, "<parameter>", "</parameter>")
    if params is not None:
        for key, raw in _xml_fields(params):
            arguments[key] = _xml_value(raw.strip())
    return _named(name.strip(), arguments)


def _xml_value(raw: str) -> Any:
    """XML parameters are text; JSON-looking values (lists, objects, numbers) are decoded."""
    if raw[:1] in "[{" or raw in ("true", "false", "null"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _named(name: str, arguments: dict[str, Any]) -> ToolCall | InvalidAction:
    if not _IDENT.match(name):
        shown = name if len(name) < 40 else name[:37] + "..."
        return InvalidAction(f"{shown!r} is not a tool name")
    return ToolCall(name, arguments)
