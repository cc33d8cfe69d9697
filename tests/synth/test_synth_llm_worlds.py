"""A language model writes the world DSL: constrained, checked, retried, then induced offline.

The model is a one-layer GPT-2 initialised at random with a tokenizer trained here on
world specs: it writes garbage unless the world grammar holds it, so these tests show
what the safeguards guarantee, whatever the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from nexgym.envs.domains import get_domain
from nexgym.envs.worlds.library import build_world_domain, packaged_world_names
from nexgym.envs.worlds.packaged import packaged_world_path
from nexgym.envs.worlds.spec import WorldSpec, load_world_spec

from nexgym.synth import LLMSynthesizer, SynthesisError
from nexgym.synth.check import oracle_check
from nexgym.synth.llm_worlds import SynthesisWarning, build_world_prompt, write_world
from nexgym.synth.world_grammar import WorldGrammar

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

TEXT = "A tailor shop where a tailor alters suits and a cashier bills customers."
#: Small limits: the untrained model fills every slot up to its bound.
LIMITS = {"max_entities": 2, "max_fields": 3, "max_tools": 3, "max_name_chars": 10,
          "max_text_chars": 16}  # fmt: skip


@pytest.fixture(scope="module")
def world_model_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_saver: Callable[..., Path]
) -> Iterator[Path]:
    """A tiny random model with a tokenizer trained on the packaged world specs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    corpus = [
        load_world_spec(packaged_world_path(name)).to_yaml() for name in packaged_world_names()[:12]
    ]
    yield tiny_model_saver(tmp_path_factory.mktemp("tiny-world-lm"), corpus)
    torch.set_num_threads(threads)


def random_text(grammar: WorldGrammar, rng: np.random.Generator) -> str:
    """A text the grammar accepts, each next character drawn at random."""
    state, out = grammar.start(), []
    while True:
        chars = sorted(grammar.next_chars(state))
        if grammar.is_complete(state) and (not chars or rng.random() < 0.3):
            return "".join(out)
        ends = [c for c in chars if c in ",\n]}"]
        pool = ends if ends and rng.random() < 0.3 else chars
        char = pool[int(rng.integers(len(pool)))]
        state = grammar.step(state, char)
        assert state is not None
        out.append(char)


def test_every_text_of_the_world_grammar_validates_compiles_and_is_solvable() -> None:
    grammar = WorldGrammar(taken={"files"}, max_entities=3, max_fields=4, max_tools=4)
    rng = np.random.default_rng(7)
    for _ in range(12):
        text = random_text(grammar, rng)
        assert len(text) <= grammar.max_chars()
        # verify_world: the oracle plans solve the tasks of 4 seeds at every difficulty
        cls = build_world_domain(WorldSpec.from_yaml(text))
        assert any(t.op not in ("lookup", "list", "search") for t in cls.world_spec.tools)


def test_the_grammar_refuses_what_would_not_validate() -> None:
    grammar = WorldGrammar(taken={"files"})
    state = grammar.feed(grammar.start(), "name: files")
    assert state is not None and "\n" not in grammar.next_chars(state)  # a registered domain
    state = grammar.feed(grammar.start(), "name: shop\ndescription: Yes")
    assert state is not None and "\n" not in grammar.next_chars(state)  # YAML reads a boolean
    head = "name: shop\ndescription: A shop.\nentities:\n- name: suit\n  fields:\n  - {name: "
    for field in ("id", "world", "suit_id", "or"):  # the id, arguments, a Python keyword
        state = grammar.feed(grammar.start(), head + field)
        assert state is not None and "," not in grammar.next_chars(state), field
    tools = head + "label, type: name, pool: item}\ntools:\n- {entity: suit, name: find, op: "
    state = grammar.feed(grammar.start(), tools)
    assert state is not None and grammar.next_chars(state) == {"l"}  # the first tool: lookup
    state = grammar.feed(state, "lookup, description: Find it.}\n")
    assert state is not None and not grammar.is_complete(state)  # no tool acts yet
    with pytest.raises(ValueError, match="max_tools"):
        WorldGrammar(max_tools=1)


def test_the_constrained_model_writes_a_world_the_oracle_solves(world_model_dir: Path) -> None:
    synth = LLMSynthesizer(
        str(world_model_dir), max_retries=0, max_agents=3, max_role_chars=24,
        world_options=LIMITS,
    )  # fmt: skip
    spec = synth.synthesize(TEXT, seed=1, world=True)
    assert len(synth.world_attempts) == 1 and not synth.world_attempts[0].problems
    world = get_domain(spec.domain)
    assert world.world_spec.metadata["synthesizer"] == "llm"  # type: ignore[attr-defined]
    assert spec.all_tools() <= set(world.tool_names)
    oracle_check(spec, seeds=2)  # the oracle solves the env through the hierarchy


def test_without_the_grammar_errors_go_back_then_the_inducer_takes_over(
    world_model_dir: Path,
) -> None:
    synth = LLMSynthesizer(str(world_model_dir), constrained=False, max_retries=1,
                           max_new_tokens=48)  # fmt: skip
    with pytest.warns(SynthesisWarning, match="induced"):
        spec, attempts = write_world(synth, TEXT)
    assert len(attempts) == 2 and all(a.problems for a in attempts)
    assert attempts[0].problems[0] in attempts[1].prompt  # the errors were fed back
    assert spec.metadata["synthesizer"] == "offline-induced"
    assert {e.name for e in spec.entities} & {"suit", "customer"}


def test_nonsense_without_a_valid_world_is_a_clear_error(world_model_dir: Path) -> None:
    synth = LLMSynthesizer(str(world_model_dir), constrained=False, max_retries=0,
                           max_new_tokens=16)  # fmt: skip
    with pytest.raises(SynthesisError, match="no valid world"):
        write_world(synth, "qwzx plorf glarb")


def test_the_prompt_carries_the_last_problems() -> None:
    prompt = build_world_prompt(TEXT, previous="name: x", problems=["tools: missing"])
    assert TEXT in prompt and "- tools: missing" in prompt and prompt.endswith("YAML:\n")
