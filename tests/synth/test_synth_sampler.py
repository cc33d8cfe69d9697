"""The description sampler: reproducible, diverse, and read back by the synthesizer."""

from __future__ import annotations

import re

import pytest

from nexgym.synth import sample_specs, synthesize
from nexgym.synth.catalog import catalog_domains

DOMAINS = catalog_domains()


def test_same_seed_same_samples_other_seed_other_samples() -> None:
    first, again, other = (sample_specs(30, seed=s) for s in (7, 7, 8))
    assert first == again
    assert [s.text for s in first] != [s.text for s in other]


def test_samples_spread_over_domains_topologies_depths_and_personas() -> None:
    samples = sample_specs(120, seed=1, domains=DOMAINS)
    assert {s.domain for s in samples} == set(DOMAINS)
    assert {s.topology for s in samples} == {
        "single",
        "centralized",
        "tree",
        "decentralized",
        "independent",
        "hybrid",
    }
    assert {1, 2, 3, 4} <= {s.depth for s in samples}
    assert {1, 2, 3} == {s.difficulty for s in samples}
    assert len({s.persona for s in samples}) >= 15
    names = [s.name for s in samples]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]+", n) for n in names)


@pytest.mark.parametrize("seed", [0, 11])
def test_the_synthesizer_reads_back_every_sampled_structure(seed: int) -> None:
    """Each sampled description is synthesized into the roles, tools, topology and
    depth it was sampled to describe."""
    for sample in sample_specs(80, seed=seed, domains=DOMAINS):
        spec = synthesize(sample.text, seed=sample.seed, name=sample.name)
        assert spec.domain == sample.domain, sample.text
        assert spec.topology == sample.topology, sample.text
        assert spec.depth() == sample.depth, sample.text
        got = sorted(tuple(sorted(a.tools)) for a in spec.agents if a.tools)
        want = sorted(tuple(sorted(g)) for g in sample.groups if g)
        assert got == want, sample.text
        assert spec.metadata["source"] == sample.text


def test_domains_come_from_the_registry_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from nexgym.envs import domains

    monkeypatch.setitem(domains.DOMAINS, "files_again", "files:FilesDomain")
    samples = sample_specs(40, seed=2, domains=["files", "files_again"])
    assert {s.domain for s in samples} == {"files", "files_again"}
    spec = synthesize(
        next(s for s in samples if s.domain == "files_again").text, domain="files_again"
    )
    assert spec.domain == "files_again"
