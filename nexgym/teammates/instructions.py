"""How a scripted teammate reads the message it was sent: a parser over tool schemas.

A teammate holds some tools (and, as a lead, sub-agents whose subtrees hold more). The
:class:`InstructionReader` turns a free-text request into the tool calls it names,
using only the tools' names and JSON schemas, so it works on every domain without a
line of domain code. It understands:

* function-call forms: ``replace_in_file(path='/etc/app/db.conf', old='a = 1', new='a = 2')``
  (Python or JSON literals, the form the oracle root writes);
* a tool name followed by ``key=value`` or ``key: value`` pairs for that tool's argument
  names: ``Use read_file with path=/etc/app/db.conf`` or ``get_order, order_id: ORD-1``;
  values may be quoted strings, JSON lists or objects, numbers, dates, paths or ids
  (bare tokens end at a comma, a semicolon or white space);
* names of tools it does not hold (``outside``), so it can say what it can do instead.

Values are coerced to the schema's types (``"43"`` to ``43`` for an integer) and optional
arguments not given take their schema defaults (the call as it will run). A key given
twice with different values is a conflict; a required argument not given is missing. The
reader never guesses a value: a request it cannot complete is reported back, not done.
It is deterministic (no randomness at all); the teammate's error rate lives in
:class:`~nexgym.teammates.instructed.InstructedTeammate`.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nexgym.runtime.prompts import TASK_HEADER
from nexgym.tools import ToolCall

__all__ = ["Instruction", "InstructionReader", "Problem", "phrase_request", "request_text"]

#: Only this much of a message is read (a megabyte-long message is cut, and said so).
MAX_READ_CHARS = 20_000
#: Closing parentheses tried per function-call form before giving up on it.
_MAX_CLOSERS = 64
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_BARE = re.compile(r"[^\s,;]+")


@dataclass(frozen=True)
class Problem:
    """Why (part of) a request could not be done as asked."""

    tool: str
    reason: str

    def text(self) -> str:
        """One line for the report."""
        return f"{self.tool}: {self.reason}" if self.tool else self.reason


@dataclass
class Instruction:
    """What a message asks for, as read by :class:`InstructionReader`.

    Attributes:
        calls: the complete, well-typed calls, in the order the message names them.
        problems: calls named but not doable as written (missing or conflicting values).
        outside: tool names the message names that the reader's owner does not hold.
        cut: True when the message was longer than :data:`MAX_READ_CHARS` and was cut.
    """

    calls: list[ToolCall] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    cut: bool = False

    @property
    def empty(self) -> bool:
        """Whether the message asked for nothing the reader recognised."""
        return not (self.calls or self.problems or self.outside)


def request_text(message: str) -> str:
    """The request inside an invocation's opening message (without its task header).

    The header is :data:`~nexgym.runtime.prompts.TASK_HEADER`, which
    :func:`~nexgym.runtime.prompts.task_text` puts before every assignment.
    """
    return message.lstrip().removeprefix(TASK_HEADER).strip()


def phrase_request(calls: Iterable[ToolCall]) -> str:
    """The message that asks a teammate for ``calls`` (the form the reader reads best).

    ``Please call read_file(path='/a') and report what it returns.`` for one call, a
    numbered list for several.
    """
    steps = [c.describe() for c in calls]
    if len(steps) == 1:
        return f"Please call {steps[0]} and report what it returns."
    lines = "\n".join(f"{i}. call {s}" for i, s in enumerate(steps, 1))
    return f"Please do the following, in order:\n{lines}\nThen report what each call returned."


class InstructionReader:
    """Reads requests against a set of tool schemas (deterministic, domain-generic).

    Args:
        tools: shown tool name -> its JSON-schema ``parameters`` (the tools the reader's
            owner can have done: its own and, for a lead, its sub-agents' subtrees').
        other_tools: names of tools that exist but are not the owner's (to recognise a
            request outside its tools).
    """

    def __init__(
        self, tools: Mapping[str, Mapping[str, Any]], other_tools: Iterable[str] = ()
    ) -> None:
        self.tools = {name: dict(params) for name, params in tools.items()}
        self.other_tools = sorted(set(other_tools) - set(self.tools))
        names = sorted([*self.tools, *self.other_tools], key=len, reverse=True)
        self._mention = (
            re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(?![\w])")
            if names
            else None
        )

    def read(self, message: str) -> Instruction:
        """The calls, problems and out-of-reach tools that ``message`` names."""
        out = Instruction()
        text = request_text(message or "")
        if len(text) > MAX_READ_CHARS:
            text, out.cut = text[:MAX_READ_CHARS], True
        mentions = list(self._mention.finditer(text)) if self._mention is not None else []
        if not mentions:
            self._read_plain(text, out)
            return out
        cursor = 0  # a name inside an earlier call's arguments is a value, not a request
        for index, match in enumerate(mentions):
            if match.start() < cursor:
                continue
            name = match.group(1)
            end = mentions[index + 1].start() if index + 1 < len(mentions) else len(text)
            if name not in self.tools:
                if name not in out.outside:
                    out.outside.append(name)
                continue
            segment = text[match.end() : end]
            cursor = match.end() + self._read_call(name, segment, text[match.end() :], out)
        return out

    # -- a request that names no tool ---------------------------------------------------

    def _read_plain(self, text: str, out: Instruction) -> None:
        """Read a request in plain words ("please read /etc/app/db.conf").

        The tool is the one whose name's verb the text uses, with the most of its name
        words; its values are the text's ``key=value`` pairs, then its paths, emails,
        ids and quoted strings, by the kind each argument's name asks for. Nothing is
        guessed: a tie between tools, or a required value the text does not give
        exactly, is left to the caller (a problem, or an empty instruction).
        """
        words = {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower())}
        scored = []
        for name in self.tools:
            parts = [p.rstrip("s") for p in name.lower().split("_") if p]
            if parts and parts[0] in words:
                scored.append((sum(p in words for p in parts), name))
        if not scored:
            return
        scored.sort(reverse=True)
        if len(scored) > 1 and scored[0][0] == scored[1][0]:
            return  # two tools fit as well: ask rather than guess
        name = scored[0][1]
        params = self.tools[name]
        props: dict[str, Any] = params.get("properties", {})
        given, conflicts = _pair_arguments(text, props)
        arguments = {k: v for k, v in given.items() if k not in conflicts}
        paths = list(dict.fromkeys(_PATH.findall(text)))
        for key in params.get("required", []):
            if key in arguments:
                continue
            kind = _kind_of(key)
            if kind == "path" and paths:
                arguments[key] = paths.pop(0)  # in the order the text gives them
            elif kind in _BY_KIND:
                found = list(dict.fromkeys(_BY_KIND[kind].findall(text)))
                if len(found) == 1:
                    arguments[key] = found[0]
        for key in props:  # a path left over goes to an optional path argument
            if paths and key not in arguments and _kind_of(key) == "path":
                arguments[key] = paths.pop(0)
        rebuilt = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        self._read_call(name, "", f"({rebuilt})", out)

    # -- one call --------------------------------------------------------------------

    def _read_call(self, name: str, segment: str, rest: str, out: Instruction) -> int:
        """Read one named call into ``out``; returns how many characters of ``rest`` it used."""
        params = self.tools[name]
        props: dict[str, Any] = params.get("properties", {})
        used = 0
        if rest.lstrip().startswith("("):
            parsed = _function_arguments(name, rest)
            conflicts: list[str] = []
            if parsed is None:
                out.problems.append(Problem(name, "the call's arguments are not valid syntax"))
                return used
            given, used = parsed
        else:
            given, conflicts = _pair_arguments(segment, props)
        unknown = [k for k in given if k not in props]
        for key in unknown:
            given.pop(key)
        arguments: dict[str, Any] = {}
        for key, value in given.items():
            typed = _coerce(value, props[key])
            if typed is _BAD:
                expected = _type_name(props[key])
                out.problems.append(Problem(name, f"{key} must be {expected}, got {value!r}"))
                return used
            arguments[key] = typed
        if conflicts:
            out.problems.append(
                Problem(name, "conflicting values for " + ", ".join(sorted(set(conflicts))))
            )
            return used
        missing = [k for k in params.get("required", []) if k not in arguments]
        if missing:
            out.problems.append(Problem(name, "no value given for " + ", ".join(missing)))
            return used
        for key, prop in props.items():  # the call as it will run: defaults written out
            if key not in arguments and "default" in prop:
                arguments[key] = prop["default"]
        out.calls.append(ToolCall(name, arguments))
        return used


def _function_arguments(name: str, rest: str) -> tuple[dict[str, Any], int] | None:
    """Keyword arguments of ``name(...)`` at the start of ``rest`` and the length read.

    None when no closing parenthesis makes a valid call.
    """
    start = rest.index("(")
    tried = 0
    for close in re.finditer(r"\)", rest):
        tried += 1
        if tried > _MAX_CLOSERS:
            return None
        source = name + rest[start : close.end()]
        try:
            tree = ast.parse(source, mode="eval")
        except (SyntaxError, ValueError):
            continue
        call = tree.body
        if not isinstance(call, ast.Call) or call.args:
            return None
        arguments: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg is None:
                return None
            try:
                arguments[kw.arg] = ast.literal_eval(kw.value)
            except (ValueError, SyntaxError):
                if isinstance(kw.value, ast.Name):  # true/false/null written JSON-style
                    arguments[kw.arg] = {"true": True, "false": False, "null": None}.get(
                        kw.value.id, kw.value.id
                    )
                else:
                    return None
        return arguments, close.end()
    return None


def _pair_arguments(segment: str, props: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``key=value`` / ``key: value`` pairs of the known keys; keys given twice differently."""
    found: dict[str, Any] = {}
    conflicts: list[str] = []
    if not props:
        return found, conflicts
    keys = "|".join(map(re.escape, sorted(props, key=len, reverse=True)))
    for match in re.finditer(r"(?<![\w.])(" + keys + r")\s*(?:=|:)\s*", segment):
        value = _value_at(segment, match.end())
        if value is _BAD:
            continue
        key = match.group(1)
        if key in found and found[key] != value:
            conflicts.append(key)
        found[key] = value
    return found, conflicts


def _value_at(text: str, pos: int) -> Any:
    """The literal that starts at ``text[pos]``: quoted, JSON/Python list or object, or bare."""
    head = text[pos : pos + 1]
    if head in ("'", '"'):
        match = _QUOTED.match(text, pos)
        if match is None:
            return _BAD
        raw = match.group(0)
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw[1:-1]
    if head in ("[", "{"):
        closer = "]" if head == "[" else "}"
        for end in (m.end() for m in re.finditer(re.escape(closer), text[pos:])):
            raw = text[pos : pos + end]
            for parse in (json.loads, ast.literal_eval):
                try:
                    return parse(raw)
                except (ValueError, SyntaxError):
                    continue
        return _BAD
    match = _BARE.match(text, pos)
    if match is None:
        return _BAD
    token = match.group(0)
    # a sentence's full stop is not part of the value (but a version's dot is)
    return token[:-1] if token.endswith(".") and len(token) > 1 else token


_PATH = re.compile(r"(?<![\w/])/[\w.-]+(?:/[\w.-]+)*")
_BY_KIND = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "id": re.compile(r"(?<![\w-])(?=[\w-]*\d)[A-Za-z]*-?\d[\w-]*"),
    "quoted": re.compile(r"'([^'\n]+)'|\"([^\"\n]+)\""),
}


def _kind_of(key: str) -> str:
    """The kind of value an argument takes, from its name."""
    key = key.lower()
    if any(w in key for w in ("path", "source", "destination", "file", "dir", "folder")):
        return "path"
    if any(w in key for w in ("email", "person", "attendee")):
        return "email"
    if key == "id" or key.endswith("_id"):
        return "id"
    return "quoted"


class _Bad:
    def __repr__(self) -> str:
        return "<unreadable>"


_BAD: Any = _Bad()


def _type_name(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return "one of " + ", ".join(map(repr, prop["enum"]))
    kinds = [p.get("type", "any") for p in prop.get("anyOf", [])] or [prop.get("type", "any")]
    return " or ".join(kinds)


def _coerce(value: Any, prop: Mapping[str, Any]) -> Any:
    """``value`` as the schema's type (text read from a message is a string at first)."""
    options = [p for p in prop.get("anyOf", []) if p.get("type") != "null"] or [prop]
    if value is None and any(p.get("type") == "null" for p in prop.get("anyOf", [])):
        return None
    for option in options:
        typed = _coerce_one(value, option)
        if typed is not _BAD:
            return typed
    return _BAD


def _coerce_one(value: Any, prop: Mapping[str, Any]) -> Any:
    kind = prop.get("type")
    if "enum" in prop:
        for choice in prop["enum"]:
            if value == choice or str(value).lower() == str(choice).lower():
                return choice
        return _BAD
    if kind == "integer":
        if isinstance(value, bool):
            return _BAD
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        return _BAD
    if kind == "number":
        if isinstance(value, bool):
            return _BAD
        if isinstance(value, int | float):
            return value
        if isinstance(value, str):
            try:
                return float(value.strip().lstrip("$").replace(",", ""))
            except ValueError:
                return _BAD
        return _BAD
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        return {"true": True, "yes": True, "false": False, "no": False}.get(lowered, _BAD)
    if kind == "array":
        if isinstance(value, list | tuple):
            return list(value)
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return _BAD
    if kind == "object":
        return value if isinstance(value, dict) else _BAD
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    return value  # no type: anything
