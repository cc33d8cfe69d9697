"""The LLM synthesizer with a tiny model built from a config (no download).

The model is untrained, so it writes garbage: constrained decoding still yields a
valid spec on the first attempt, the repair loop feeds validation errors back into
the prompt, and with neither safeguard a clear error comes after the retry bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nexgym.error import ConfigError
from nexgym.synth import LLMSynthesizer, SynthesisError, sample_specs
from nexgym.synth.matching import domain_index
from nexgym.synth.repair import extract_yaml, repair

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_model_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_saver: Callable[..., Path]
) -> Iterator[Path]:
    """A one-layer GPT-2 and a byte-level BPE tokenizer trained here on DSL text, saved
    to a folder so the synthesizer loads them through ``from_pretrained``."""
    from nexgym.synth import synthesize

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one tiny model: threads only add contention
    corpus = [synthesize(s.text, name=s.name).to_yaml() for s in sample_specs(24, seed=5)]
    folder = tiny_model_saver(tmp_path_factory.mktemp("tiny-lm"), corpus)
    yield folder
    torch.set_num_threads(threads)


TEXT = "a file team where a lead hands reading to a reader and edits to an editor"


def test_constrained_decoding_gives_a_valid_spec_at_once(tiny_model_dir: Path) -> None:
    synth = LLMSynthesizer(
        str(tiny_model_dir),
        repair=False,
        max_retries=0,
        max_agents=3,
        max_role_chars=24,
        candidate_domains=2,
    )
    spec = synth.synthesize(TEXT, seed=1)
    assert len(synth.attempts) == 1 and not synth.attempts[0].problems
    assert spec.domain in synth.domains_for(TEXT)
    assert spec.all_tools() <= {t.name for t in domain_index(spec.domain).tools}
    assert len(spec.agents) <= 3
    assert spec.metadata["synthesizer"] == "llm" and spec.metadata["source"] == TEXT
    assert synth.attempts[0].output.startswith("name: ")


def test_without_safeguards_garbage_fails_after_the_retry_bound(tiny_model_dir: Path) -> None:
    synth = LLMSynthesizer(
        str(tiny_model_dir),
        constrained=False,
        repair=False,
        max_retries=2,
        max_new_tokens=24,
        candidate_domains=1,
    )
    with pytest.raises(SynthesisError, match=r"no valid spec after 3 attempt\(s\)"):
        synth.synthesize(TEXT)
    assert len(synth.attempts) == 3
    first, second = synth.attempts[0], synth.attempts[1]
    assert first.problems
    assert "It is not a valid spec" in second.prompt
    assert first.problems[0] in second.prompt  # the errors go back to the model
    assert first.output.strip()[:40] in second.prompt


def test_repair_fixes_near_miss_yaml() -> None:
    files = [t.name for t in domain_index("files").tools]
    text = """Sure! Here it is:
```yaml
name: file ops team
domain: file
topology: single
agents:
  lead:
    prompt: You lead the work.
    children: [Reader, editor, ghost]
  Reader:
    tools: [read_files, list-dir, teleport]
  editor:
    tools: write_file, replace_in_file
    subagents: [lead]
```"""
    data, notes = repair(extract_yaml(text), domains={"files": files}, text="a file team")
    from nexgym.spec import HierarchySpec

    spec = HierarchySpec.from_dict(data)
    assert (spec.name, spec.domain, spec.root, spec.topology) == (
        "FileOpsTeam",
        "files",
        "lead",
        "centralized",
    )
    assert spec.agent("lead").sub_agents == ("reader", "editor")
    assert spec.agent("reader").tools == ("read_file", "list_dir")
    assert spec.agent("editor").sub_agents == ()  # the cycle back to lead is cut
    assert spec.all_tools() == set(files)  # the rest went to the root
    assert any("teleport" in n for n in notes) and any("ghost" in n for n in notes)


def test_repair_cannot_invent_a_spec_from_prose() -> None:
    from nexgym.error import SpecError

    with pytest.raises(SpecError, match="mapping"):
        extract_yaml("I am not sure what you mean.")


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="local model folder"):
        LLMSynthesizer("no/such/model/folder")
