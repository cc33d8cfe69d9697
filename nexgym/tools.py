"""Typed tools: JSON schemas derived from Python signatures, argument validation, results.

A domain tool is a plain function whose first parameter is the world state::

    @tool
    def read_file(world: FileWorld, path: str) -> str:
        '''Return the text of a file.

Args:
            path: absolute path of the file, e.g. "/src/app.py".
        '''

The decorator turns it into a :class:`Tool` that is still callable as
``read_file(world, path="/a")``, carries an OpenAI-style function schema, and
validates arguments through a pydantic model built from the signature.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from nexgym.error import ArgumentError

#: ``ToolCall(name)``'s default: a fresh empty dict for each call.

__all__ = [
    "Tool",
    "ToolCall",
    "ToolResult",
    "render_result",
    "tool",
]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call of a tool (or sub-agent, or ``finish``) by name with JSON arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_text(self) -> str:
        """The canonical action text: ``<tool_call>{json}</tool_call>``."""
        payload = json.dumps({"name": self.name, "arguments": self.arguments})
        return f"<tool_call>{payload}</tool_call>"

    def key(self) -> str:
        """A stable string identity (name plus sorted JSON arguments)."""
        return self.name + json.dumps(self.arguments, sort_keys=True, default=str)

    def describe(self) -> str:
        """A short human form: ``read_file(path='/a.txt')``."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"{self.name}({args})"


@dataclass(slots=True)
class ToolResult:
    """What a tool call returned.

    Attributes:
        ok: False when the call failed (bad arguments, domain error, fault, timeout).
        content: the JSON-able value the tool returned (None on error).
        error: the error text shown to the agent when ``ok`` is False.
        latency: virtual seconds the call took (added to the runtime's clock).
        meta: free-form facts for wrappers and logs (e.g. ``{"fault": "transient"}``).
    """

    ok: bool
    content: Any = None
    error: str | None = None
    latency: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failure(cls, error: str, **meta: Any) -> ToolResult:
        """An error result with the given text."""
        return cls(ok=False, error=error, meta=dict(meta))

    def render(self) -> str:
        """The text the agent sees for this result."""
        if not self.ok:
            return f"Error: {self.error}"
        return render_result(self.content)


def render_result(value: Any) -> str:
    """Render a tool's return value as observation text (strings as is, the rest as JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


_ARG_START = re.compile(r"^(\w+)\s*(?:\([^)]*\))?:\s*(.*)$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its summary and per-argument descriptions."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    section, current, arg_indent = "summary", "", -1
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent == 0 and stripped.endswith(":") and stripped[:-1].isalpha():
            section, current, arg_indent = stripped[:-1].lower(), "", -1
            continue
        if section == "summary":
            if not stripped and summary:
                section = "body"
            elif stripped:
                summary.append(stripped)
        elif section in ("args", "arguments", "parameters") and stripped:
            if arg_indent < 0:
                arg_indent = indent
            match = _ARG_START.match(stripped)
            if indent == arg_indent and match:
                current = match.group(1)
                args[current] = match.group(2)
            elif current:
                args[current] += " " + stripped
    return " ".join(summary), args


def _strip_titles(schema: Any) -> Any:
    """Drop pydantic's auto-generated ``title`` keys (noise in a prompt)."""
    if isinstance(schema, dict):
        return {
            k: _strip_titles(v)
            for k, v in schema.items()
            if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


class Tool:
    """A typed tool: a function of ``(state, **arguments)`` with a JSON schema.

    Args:
        fn: the implementation; its first parameter receives the world state.
        name: the tool's name (defaults to the function's name).
        description: what the tool does (defaults to the docstring's summary).
        mutates: whether the tool changes the world (read-only tools are safe to retry).
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        mutates: bool | None = None,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        summary, arg_docs = _parse_docstring(fn.__doc__ or "")
        self.description = description or summary or self.name.replace("_", " ")
        self.mutates = bool(mutates)
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters.values())[1:]  # skip the state
        fields: dict[str, Any] = {}
        for p in params:
            annotation = hints.get(p.name, Any)
            default = ... if p.default is inspect.Parameter.empty else p.default
            fields[p.name] = (annotation, Field(default, description=arg_docs.get(p.name)))
        self.args_model: type[BaseModel] = create_model(
            f"{self.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
        )
        self._validator = self.args_model.__pydantic_validator__
        self.parameters: dict[str, Any] = _strip_titles(self.args_model.model_json_schema())
        self.parameters.setdefault("properties", {})
        self.parameter_names = tuple(fields)
        self._plain = _plain_signature(params, hints)

    def __call__(self, state: Any, /, **arguments: Any) -> Any:
        """Call the tool on a world (no validation: see :meth:`validate`)."""
        return self.fn(state, **arguments)

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    def schema(self) -> dict[str, Any]:
        """The OpenAI tool-calling schema: ``{"type": "function", "function": {...}}``."""
        return function_schema(self.name, self.description, self.parameters)

    def validate(self, arguments: Any) -> dict[str, Any]:
        """Check arguments against the schema and return them coerced to the signature's types.

        Raises:
            ArgumentError: with one line per problem, naming the argument and the fix.
        """
        if not isinstance(arguments, dict):
            raise ArgumentError(
                f"expected the arguments of {self.name} as a JSON object, "
                f"got {type(arguments).__name__}"
            )
        plain = self._plain
        if plain is not None and len(arguments) <= len(plain):
            # every parameter a plain str/int/float/bool: a value of exactly that type is
            # what pydantic returns too; anything else (coercion, an error) goes to pydantic
            out: dict[str, Any] = {}
            given = 0
            for name, kind, default in plain:
                value = arguments.get(name, _ABSENT)
                if value is _ABSENT:
                    if default is _REQUIRED:
                        break
                    out[name] = default
                elif type(value) is kind:
                    out[name] = value
                    given += 1
                else:
                    break
            else:
                if given == len(arguments):  # no unexpected argument
                    return out
        try:
            model = self._validator.validate_python(arguments)
        except ValidationError as e:
            raise ArgumentError(describe_validation_error(self.name, e, self.parameters)) from e
        return {name: getattr(model, name) for name in self.parameter_names}


_ABSENT: Any = object()
_REQUIRED: Any = object()
_PLAIN_TYPES = (str, int, float, bool)
_IMMUTABLE_DEFAULTS = (str, int, float, bool, type(None))


def _plain_signature(
    params: list[inspect.Parameter], hints: dict[str, Any]
) -> tuple[tuple[str, type, Any], ...] | None:
    """The signature as (name, type, default) triples, when :meth:`Tool.validate` may check it.

    That is when every parameter is annotated with a plain str/int/float/bool and has no
    default or an immutable one; None otherwise.
    """
    out = []
    for p in params:
        kind = hints.get(p.name, Any)
        if kind not in _PLAIN_TYPES or p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            return None
        if p.default is inspect.Parameter.empty:
            default = _REQUIRED
        elif type(p.default) in _IMMUTABLE_DEFAULTS:
            default = p.default
        else:
            return None
        out.append((p.name, kind, default))
    return tuple(out)


def function_schema(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Build one OpenAI-style function schema."""
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def describe_validation_error(name: str, e: ValidationError, parameters: dict[str, Any]) -> str:
    """Turn a pydantic error into "argument 'x': expected ..., got ..." lines."""
    props = parameters.get("properties", {})
    required = parameters.get("required", [])
    lines = []
    for err in e.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        kind = err["type"]
        if kind == "missing":
            lines.append(f"missing required argument {loc!r}")
        elif kind == "extra_forbidden":
            lines.append(f"unexpected argument {loc!r}")
        else:
            given = repr(err.get("input"))
            if len(given) > 60:
                given = given[:57] + "..."
            lines.append(f"argument {loc!r}: {err['msg'].lower()}, got {given}")
    accepted = ", ".join(
        f"{k}{'' if k in required else '?'}: {v.get('type', 'any')}" for k, v in props.items()
    )
    return f"invalid arguments for {name}: " + "; ".join(lines) + f". Expected {{{accepted}}}."


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    mutates: bool = False,
) -> Any:
    """Decorator that turns a function of ``(state, **args)`` into a :class:`Tool`.

    Usable bare (``@tool``) or with options (``@tool(mutates=True)``).
    """

    def wrap(f: Callable[..., Any]) -> Tool:
        return Tool(f, name=name, description=description, mutates=mutates)

    return wrap(fn) if fn is not None else wrap
