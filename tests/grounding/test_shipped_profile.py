"""The shipped ``realistic`` noise profile is a fit of the committed call log, with provenance."""

from __future__ import annotations

import gzip
from pathlib import Path

from nexgym.grounding.profile import NoiseProfile

#: The tagged calls ``benchmarks/record_failures.py`` recorded and fitted the profile on.
LOG = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "realistic_calls.jsonl.gz"


def test_the_realistic_profile_is_the_fit_of_the_committed_log(tmp_path: Path) -> None:
    shipped = NoiseProfile.named("realistic")
    provenance = shipped.provenance
    assert provenance is not None and provenance.date and provenance.recording
    assert provenance.calls >= 1000 and provenance.episodes >= 100
    assert set(provenance.policies) == {"oracle@0.3", "random"}
    assert {"mcp-server-time", "mcp-server-git", "mcp-server-fetch"} <= set(provenance.servers)
    assert sum(s.startswith("nexgym-") for s in provenance.servers) >= 12
    assert shipped.outage_rate is not None  # fitted, not set
    plain = tmp_path / "calls.jsonl"
    plain.write_bytes(gzip.decompress(LOG.read_bytes()))
    refit = NoiseProfile.fit(
        plain,
        name=shipped.name,
        description=shipped.description,
        date=provenance.date,
        recording=provenance.recording,
    )
    assert refit == shipped


def test_profiles_written_before_provenance_and_refusals_still_load() -> None:
    old = NoiseProfile.from_dict(
        {
            "name": "old",
            "default": {"latency": {"mu": -4.0, "sigma": 1.0}, "error_rate": 0.0, "calls": 9},
            "provenance": {"calls": 9, "servers": {"s": 9}},
        }
    )
    assert old.default.refusal_rate == 0.0 and old.outage_rate is None
    assert old.provenance is not None and old.provenance.date is None
