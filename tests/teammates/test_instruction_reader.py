"""The message reader: every domain's plan steps read back from the oracle's phrasing
and from ``key=value`` prose; bad messages read as problems, never as calls."""

from __future__ import annotations

from typing import Any

import pytest
from nexgym.envs.domains import get_domain, list_domains

from nexgym.policies.lookup import schema_defaults
from nexgym.teammates.instructions import InstructionReader, phrase_request
from nexgym.tools import ToolCall

DOMAINS = list_domains()


def _reader(domain: Any) -> InstructionReader:
    return InstructionReader({t.name: t.parameters for t in domain.tools})


def _without_defaults(domain: Any, call: ToolCall) -> ToolCall:
    defaults = schema_defaults(domain.tool(call.name).parameters)
    kept = {k: v for k, v in call.arguments.items() if not (k in defaults and defaults[k] == v)}
    return ToolCall(call.name, kept)


def _steps(domain: Any) -> list[ToolCall]:
    """Plan steps as the oracle asks for them (arguments at their defaults left out)."""
    steps: dict[str, ToolCall] = {}
    for seed in range(3):
        task = domain.generate_task(seed, max(domain.difficulties))
        for plan in task.plans:
            for step in plan:
                steps.setdefault(step.key(), _without_defaults(domain, step))
    return list(steps.values())


def _as_run(domain: Any, call: ToolCall) -> ToolCall:
    """``call`` as the runtime runs it (validated, defaults filled in)."""
    return ToolCall(call.name, domain.tool(call.name).validate(call.arguments))


@pytest.mark.parametrize("name", DOMAINS)
def test_oracle_phrasing_reads_back_on_every_domain(name: str) -> None:
    domain = get_domain(name)
    reader = _reader(domain)
    steps = _steps(domain)
    assert steps
    for step in steps:
        read = reader.read(phrase_request([step]))
        assert read.calls == [_as_run(domain, step)], (step, read)
    read = reader.read("# Task\n" + phrase_request(steps[:4]))
    assert read.calls == [_as_run(domain, s) for s in steps[:4]] and not read.problems


@pytest.mark.parametrize("name", DOMAINS)
def test_key_value_prose_reads_on_every_domain(name: str) -> None:
    domain = get_domain(name)
    reader = _reader(domain)
    for step in _steps(domain):
        if not all(isinstance(v, str | int | float) for v in step.arguments.values()):
            continue  # lists and objects are written in the call form
        pairs = ", ".join(
            f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in step.arguments.items()
        )
        read = reader.read(f"Use {step.name} with {pairs}. Thanks!")
        assert read.calls == [_as_run(domain, step)], (pairs, read)


def test_colon_pairs_numbers_and_paths() -> None:
    reader = _reader(get_domain("files"))
    read = reader.read(
        "Please use replace_in_file, path: /etc/app/db.conf; old: 'a = 1', new: 'a = 99'"
    )
    assert read.calls == [
        ToolCall("replace_in_file", {"path": "/etc/app/db.conf", "old": "a = 1", "new": "a = 99"})
    ]
    support = _reader(get_domain("support"))
    (call,) = support.read("read_ticket ticket_id=1002").calls
    assert call.arguments == {"ticket_id": 1002}  # coerced to the schema's integer


def test_problems_instead_of_guesses() -> None:
    reader = InstructionReader(
        {t.name: t.parameters for t in get_domain("files").tools if t.name != "delete_file"},
        other_tools=["delete_file", "git_log"],
    )
    assert reader.read("").empty
    assert reader.read("Bitte lies die Konfigurationsdatei und sag mir Bescheid.").empty
    missing = reader.read("Please call replace_in_file with path=/etc/app/db.conf")
    assert not missing.calls and "no value given for old, new" in missing.problems[0].text()
    clash = reader.read("Use read_file with path=/a.txt, path=/b.txt")
    assert not clash.calls and "conflicting values for path" in clash.problems[0].text()
    outside = reader.read("delete_file(path='/a.txt') and then git_log()")
    assert not outside.calls and outside.outside == ["delete_file", "git_log"]
    typed = _reader(get_domain("support")).read("read_ticket(ticket_id='soon')")
    assert not typed.calls and "ticket_id must be integer" in typed.problems[0].text()


def test_long_message_is_cut_and_said() -> None:
    reader = _reader(get_domain("files"))
    read = reader.read("read_file(path='/a.txt') " + "blah " * 400_000)
    assert read.cut and read.calls == [ToolCall("read_file", {"path": "/a.txt"})]


def test_tool_names_inside_values_are_values() -> None:
    reader = _reader(get_domain("files"))
    read = reader.read("Please call search_files(text='def read_file(') and report.")
    assert read.calls == [ToolCall("search_files", {"text": "def read_file(", "path": "/"})]


def test_plain_requests_name_a_tool_by_its_verb_and_values_by_kind() -> None:
    files = _reader(get_domain("files"))
    assert files.read("Please read /etc/app/db.conf").calls == [
        ToolCall("read_file", {"path": "/etc/app/db.conf"})
    ]
    assert files.read("Move /var/log/a.log to /archive/a.log").calls == [
        ToolCall("move_file", {"source": "/var/log/a.log", "destination": "/archive/a.log"})
    ]
    # "set pool_size to 99" names no tool of the files domain: asked, not guessed
    assert files.read("set pool_size to 99 in /etc/app/db.conf").empty
    support = _reader(get_domain("support"))
    assert support.read("get the order ORD-26439").calls == [
        ToolCall("get_order", {"order_id": "ORD-26439"})
    ]
    # two orders named: which one is not guessed
    unclear = support.read("get the order ORD-1 or ORD-2")
    assert not unclear.calls and "no value given for order_id" in unclear.problems[0].text()
