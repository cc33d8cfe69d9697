"""Tools discovered on an MCP server: schemas as the server gave them, calls sent to it."""

from __future__ import annotations

import re
from typing import Any

from nexgym.error import ArgumentError, ToolError
from nexgym.tools import function_schema

__all__ = ["ServerTool", "is_read_only"]

#: Name words of tools that only read (used when the server gives no ``readOnlyHint``).
_READ_WORDS = frozenset(
    {"get", "list", "read", "search", "find", "show", "status", "current", "count", "describe"}
    | {"lookup", "query", "fetch", "view", "log", "diff", "info", "convert", "keys", "stat"}
)
_WORDS = re.compile(r"[a-z]+")


def is_read_only(name: str, annotations: Any) -> bool:
    """Whether a tool only reads: the server's ``readOnlyHint``, else its name's first word."""
    hint = None
    if annotations is not None:
        hint = getattr(annotations, "read_only_hint", getattr(annotations, "readOnlyHint", None))
    if hint is not None:
        return bool(hint)
    words = _WORDS.findall(name.lower())
    return bool(words) and words[0] in _READ_WORDS


class ServerTool:
    """A tool of an MCP server, with the interface of :class:`nexgym.tools.Tool`.

    Its arguments are checked against the server's own JSON schema (so an agent gets
    the same "expected X, got Y" feedback as for a built-in tool); a call goes to the
    server through the world (an :class:`~nexgym.mcpdomain.servers.ServerPool`).

    Args:
        server: the server's name in the spec.
        remote_name: the tool's name on the server.
        name: the name agents call it by (``remote_name``, or prefixed on a clash).
        description: the server's description.
        input_schema: the server's JSON schema of the arguments.
        read_only: whether the tool only reads.

    Raises:
        ArgumentError: the server's schema is not a valid JSON schema of an object.
    """

    def __init__(
        self,
        server: str,
        remote_name: str,
        name: str,
        description: str,
        input_schema: dict[str, Any],
        read_only: bool,
    ) -> None:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        self.server = server
        self.remote_name = remote_name
        self.name = name
        self.description = (description or name.replace("_", " ")).strip()
        self.mutates = not read_only
        if not isinstance(input_schema, dict) or input_schema.get("type", "object") != "object":
            raise ArgumentError(
                f"server {server!r} tool {remote_name!r}: expected an object input schema, "
                f"got {input_schema!r}"
            )
        try:
            Draft202012Validator.check_schema(input_schema)
        except SchemaError as e:
            raise ArgumentError(
                f"server {server!r} tool {remote_name!r}: its input schema is not valid "
                f"JSON Schema: {e.message}"
            ) from None
        self.parameters: dict[str, Any] = {"type": "object", **input_schema}
        self.parameters.setdefault("properties", {})
        self.parameter_names = tuple(self.parameters["properties"])
        self._validator = Draft202012Validator(self.parameters)
        self.fn = self.__call__

    def __repr__(self) -> str:
        return f"ServerTool({self.server}:{self.remote_name})"

    def __call__(self, world: Any, /, **arguments: Any) -> Any:
        """Call the tool on the server behind ``world``; an error answer raises ToolError."""
        return world.call(self.server, self.remote_name, arguments)

    def schema(self) -> dict[str, Any]:
        """The OpenAI tool-calling schema."""
        return function_schema(self.name, self.description, self.parameters)

    def validate(self, arguments: Any) -> dict[str, Any]:
        """Check arguments against the server's schema (defaults are the server's to fill).

        Raises:
            ArgumentError: one line per problem, naming the argument.
        """
        if not isinstance(arguments, dict):
            raise ArgumentError(
                f"expected the arguments of {self.name} as a JSON object, "
                f"got {type(arguments).__name__}"
            )
        errors = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.path))
        if errors:
            lines = []
            for error in errors[:5]:
                where = ".".join(str(p) for p in error.path) or "(arguments)"
                lines.append(f"{where}: {error.message}")
            raise ArgumentError(f"invalid arguments for {self.name}: " + "; ".join(lines))
        return dict(arguments)


def error_text(result: Any) -> str:
    """The text of a ``CallToolResult`` (its text parts joined)."""
    parts = [getattr(c, "text", "") for c in getattr(result, "content", None) or ()]
    return "\n".join(p for p in parts if p)


def raise_if_error(result: Any, server: str, tool: str) -> str:
    """The result's text, or a :class:`ToolError` if the server marked it an error."""
    text = error_text(result)
    if getattr(result, "is_error", False):
        raise ToolError(text or f"{tool} failed on server {server}")
    return text
