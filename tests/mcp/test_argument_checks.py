"""What arguments a JSON-RPC transport can carry, checked before any backend sees them."""

from __future__ import annotations

import pytest

from nexgym.runtime.arguments import MAX_ARGUMENT_DEPTH, argument_problem, without_lone_surrogates


def nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "arguments",
    [{}, {"path": "/a", "n": 3, "ok": True, "x": None}, {"text": "héllo 😀"}, {"a": nested(64)}],
)
def test_sendable_arguments_pass(arguments):
    assert argument_problem(arguments) is None


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"k\udc80": "x"}, "an argument name holds a lone surrogate"),
        ({"a": "x\ud83d"}, "argument 'a' holds a lone surrogate ('\\ud83d' at index 1)"),
        ({"a": [1, {"b\udfff": 2}]}, "a key in 'a' holds a lone surrogate"),
        ({"a": {"b": ["\udc80"]}}, "argument 'a' holds a lone surrogate"),
        ({"a": nested(MAX_ARGUMENT_DEPTH + 1)}, f"more than {MAX_ARGUMENT_DEPTH} levels deep"),
        ({"a": nested(100_000)}, "levels deep"),  # iterative: no recursion error
    ],
    ids=["key", "value", "nested-key", "nested-value", "depth-65", "depth-100000"],
)
def test_unsendable_arguments_are_named(arguments, reason):
    problem = argument_problem(arguments)
    assert problem is not None and reason in problem


def test_without_lone_surrogates_joins_pairs_and_replaces_the_rest():
    assert without_lone_surrogates("a\udc80b") == "a\ufffdb"
    assert without_lone_surrogates("\ud83d\ude00!") == "😀!"
    assert without_lone_surrogates("plain é") == "plain é"
