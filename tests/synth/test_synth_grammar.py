"""The DSL grammar used for constrained decoding accepts only valid specs."""

from __future__ import annotations

import numpy as np
import pytest

from nexgym.spec import HierarchySpec
from nexgym.synth.grammar import DSLGrammar
from nexgym.synth.matching import domain_index

DOMAINS = {d: [t.name for t in domain_index(d).tools] for d in ("files", "travel", "email_travel")}


def walk(grammar: DSLGrammar, rng: np.random.Generator, stop: float) -> str:
    state, text = grammar.start(), ""
    while True:
        chars = sorted(grammar.next_chars(state))
        if grammar.is_complete(state) and (not chars or rng.random() < stop):
            return text
        assert chars, f"dead end after {text!r}"
        char = chars[int(rng.integers(len(chars)))]
        state = grammar.step(state, char)
        assert state is not None
        text += char


@pytest.mark.parametrize("max_agents", [1, 3, 6])
def test_every_random_walk_is_a_valid_spec(max_agents: int) -> None:
    grammar = DSLGrammar(DOMAINS, max_agents=max_agents, max_role_chars=12, max_name_chars=8)
    rng = np.random.default_rng(max_agents)
    for _ in range(25):
        text = walk(grammar, rng, stop=0.3)
        spec = HierarchySpec.from_yaml(text)
        assert len(spec.agents) <= max_agents
        assert spec.all_tools() <= set(DOMAINS[spec.domain])
        assert len(text) <= grammar.max_chars()
        if spec.topology == "single":
            assert len(spec.agents) == 1


def test_a_written_spec_is_accepted_and_mistakes_are_not() -> None:
    grammar = DSLGrammar(DOMAINS)
    text = (
        "name: TravelDesk\ndomain: travel\ntopology: centralized\nroot: planner\nagents:\n"
        "  - name: planner\n    role: You plan trips.\n    tools: [budget_status]\n"
        "    sub_agents: [flights]\n"
        "  - name: flights\n    role: You book flights.\n    tools: [search_flights, book_flight]\n"
    )
    state = grammar.feed(grammar.start(), text)
    assert state is not None and grammar.is_complete(state)
    assert HierarchySpec.from_yaml(text).agent("flights").tools == ("search_flights", "book_flight")
    before_tools = text.index("[search_flights")
    assert grammar.feed(grammar.start(), text[:before_tools] + "[search_trains") is None
    assert grammar.feed(grammar.start(), "name: travelDesk") is None  # CamelCase only
    assert grammar.feed(grammar.start(), text.replace("domain: travel", "domain: trains")) is None
    unfinished = grammar.feed(grammar.start(), text.replace("[flights]", "[flights, hotels]"))
    assert unfinished is not None and not grammar.is_complete(unfinished)  # hotels is promised


def test_reserved_yaml_words_cannot_be_names() -> None:
    grammar = DSLGrammar(DOMAINS)
    state = grammar.feed(grammar.start(), "name: Desk\ndomain: files\ntopology: single\nroot: yes")
    assert state is not None and "\n" not in grammar.next_chars(state)
