r"""What tool-call arguments must be to cross a JSON-RPC transport, checked before sending.

An MCP client serializes a call's arguments as UTF-8 JSON. A lone surrogate
(``"\udc80"``, which JSON parsing and byte-level decoding can produce) has no UTF-8
form, and the SDK's serializer refuses values nested more than about 250 levels deep.
Sent as they are, such arguments break the session: the client cannot write the
message and the server has to be restarted. :func:`argument_problem` finds them first
so that the call is refused with a clear reason instead, the same way whichever
backend runs the tools (:func:`nexgym.runtime.execution.run_call` checks every domain call).

This module imports nothing from the ``mcp`` SDK.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

__all__ = [
    "MAX_ARGUMENT_DEPTH",
    "argument_problem",
    "record_json",
    "without_lone_surrogates",
]

#: Containers may nest this deep inside the arguments (far below the SDK's limit).
MAX_ARGUMENT_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")
_ATOMS = (int, float, bool, type(None))
_ATOM_TYPES = frozenset(_ATOMS)


def without_lone_surrogates(text: str) -> str:
    """``text`` as UTF-8 can hold it: surrogate pairs joined, lone surrogates as U+FFFD."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _text_problem(text: str, where: str) -> str | None:
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return (
        f"{where} holds a lone surrogate ({found.group()!a} at index {found.start()}), "
        "which is not valid Unicode text; send UTF-8 text"
    )


def argument_problem(arguments: dict[str, Any]) -> str | None:
    """Why ``arguments`` cannot be sent as JSON-RPC, or None when they can.

    Checks every string (keys too) for lone surrogates and the nesting of lists and
    objects against :data:`MAX_ARGUMENT_DEPTH`. Iterative: a deeply nested value cannot
    exhaust the stack here.
    """
    stack: list[tuple[Any, str, int]] = []
    for key, value in arguments.items():
        if isinstance(key, str) and (problem := _text_problem(key, "an argument name")):
            return problem
        kind = type(value)
        if (kind is str and value.isascii()) or kind in _ATOM_TYPES:
            continue  # the common cases, decided without a walk
        stack.append((value, repr(key) if isinstance(key, str) else str(key), 1))
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            if problem := _text_problem(value, f"argument {where}"):
                return problem
        elif isinstance(value, _ATOMS):
            continue
        elif isinstance(value, dict | list | tuple):
            if depth > MAX_ARGUMENT_DEPTH:
                return (
                    f"argument {where} nests lists or objects more than "
                    f"{MAX_ARGUMENT_DEPTH} levels deep; expected at most {MAX_ARGUMENT_DEPTH}"
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(key, str) and (
                        problem := _text_problem(key, f"a key in {where}")
                    ):
                        return problem
                    stack.append((item, where, depth + 1))
            else:
                stack.extend((item, where, depth + 1) for item in value)
    return None


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return without_lone_surrogates(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def record_json(record: BaseModel) -> str:
    """The record as one JSON line (no newline); lone surrogates become U+FFFD.

    The common case is pydantic's own serializer; only a record whose text holds a
    surrogate (which it refuses) is cleaned first.
    """
    try:
        return record.model_dump_json()
    except PydanticSerializationError:
        cleaned = _clean(record.model_dump(mode="python"))
        return type(record).model_validate(cleaned).model_dump_json()
