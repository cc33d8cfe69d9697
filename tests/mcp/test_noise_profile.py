"""NoiseProfile: fitting to call logs, YAML round trips, sampling, errors that name the field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nexgym.error import ConfigError, UnknownNameError
from nexgym.grounding.profile import LatencyModel, NoiseProfile, ToolNoise, profile_names
from nexgym.mcp.calllog import CallLog, CallRecord, read_call_log


def synthetic_log(path, n: int = 400, seed: int = 0) -> CallLog:
    """Calls of two tools: ``fast`` (lognormal(-5, 0.3), 10% errors), ``slow`` (5% timeouts)."""
    rng = np.random.default_rng(seed)
    log = CallLog(path)
    for i in range(n):
        log.append(
            CallRecord(
                tool="fast",
                server="s",
                argument_bytes=20,
                latency=float(rng.lognormal(-5.0, 0.3)),
                ok=i % 10 != 0,
                error=None if i % 10 else f"boom {i % 20}",
            )
        )
        timed_out = i % 20 == 0
        log.append(
            CallRecord(
                tool="slow",
                server="s",
                argument_bytes=40,
                latency=4.0 if timed_out else float(rng.lognormal(-1.0, 0.5)),
                ok=not timed_out,
                timed_out=timed_out,
                error="no answer" if timed_out else None,
            )
        )
    return log


def test_fit_recovers_the_latency_distribution_and_rates(tmp_path):
    log = synthetic_log(tmp_path / "calls.jsonl")
    profile = NoiseProfile.fit([log.path], name="test")
    fast, slow = profile.tools["fast"], profile.tools["slow"]
    assert fast.latency.mu == pytest.approx(-5.0, abs=0.05)
    assert fast.latency.sigma == pytest.approx(0.3, abs=0.05)
    assert fast.error_rate == pytest.approx(0.1) and fast.timeout_rate == 0.0
    assert sorted(fast.error_messages) == ["boom 0", "boom 10"]
    assert slow.timeout_rate == pytest.approx(0.05) and slow.error_rate == 0.0
    assert slow.latency.mu == pytest.approx(-1.0, abs=0.1)  # timed-out calls excluded
    assert profile.timeout_seconds == 4.0
    assert profile.default.calls == 800 and fast.calls == 400


def test_samples_follow_the_profile_and_are_reproducible(tmp_path):
    profile = NoiseProfile.fit(synthetic_log(tmp_path / "c.jsonl").records())
    draws = [profile.sample_latency("fast", np.random.default_rng(3)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = np.random.default_rng(0)
    latencies = np.array([profile.sample_latency("fast", rng) for _ in range(4000)])
    assert np.median(latencies) == pytest.approx(math.exp(-5.0), rel=0.1)
    assert latencies.min() >= profile.tools["fast"].latency.min
    outcomes = [profile.sample_outcome("fast", rng) for _ in range(4000)]
    errors = [o for o in outcomes if o.kind == "error"]
    assert len(errors) / 4000 == pytest.approx(0.1, abs=0.02)
    assert {o.message for o in errors} <= {"boom 0", "boom 10"}
    timeouts = [profile.sample_outcome("slow", rng) for _ in range(4000)]
    assert sum(o.kind == "timeout" for o in timeouts) / 4000 == pytest.approx(0.05, abs=0.015)
    # A tool the profile does not list gets the default.
    assert profile.noise("unlisted") is profile.default


def test_yaml_round_trip(tmp_path):
    profile = NoiseProfile.fit(synthetic_log(tmp_path / "c.jsonl"), name="rt")
    path = profile.save(tmp_path / "profiles" / "rt.yaml")
    assert NoiseProfile.load(path) == profile


def test_min_calls_leaves_rare_tools_to_the_default(tmp_path):
    records = [
        {"tool": "rare", "argument_bytes": 1, "latency": 0.5, "ok": True},
        {"tool": "rare", "argument_bytes": 1, "latency": 0.7, "ok": False, "error": "x"},
    ]
    profile = NoiseProfile.fit(records, min_calls=5, min_records=2)
    assert profile.tools == {} and profile.default.error_rate == 0.5


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("default: {latency: {mu: 0, sigma: -1}}\n", "default.latency.sigma"),
        ("default: {latency: {mu: 0, sigma: 1}, error_rate: 1.5}\n", "default.error_rate"),
        ("default: {latency: {mu: 0, sigma: 1}}\ntools: {t: {latency: {mu: x}}}\n", "tools.t"),
        ("default: {latency: {mu: 0, sigma: 1}}\nspeed: 3\n", "speed"),
        ("name: no-default\n", "default"),
        (
            "default: {latency: {mu: 0, sigma: 1}, error_rate: 0.7, timeout_rate: 0.5}\n",
            "default",
        ),
    ],
)
def test_malformed_profiles_name_the_field(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=f"field '{field}"):
        NoiseProfile.load(path)


def test_unreadable_profiles_and_unknown_names(tmp_path):
    with pytest.raises(ConfigError, match="missing path"):
        NoiseProfile.load(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        NoiseProfile.load(tmp_path / "list.yaml")
    with pytest.raises(UnknownNameError, match="realistic"):
        NoiseProfile.named("realistc")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"tool": "t", "argument_bytes": -1, "latency": 0.1, "ok": true}', "'argument_bytes'"),
        ('{"tool": "t", "argument_bytes": 1, "latency": "fast", "ok": true}', "'latency'"),
        ('{"tool": "t", "argument_bytes": 1, "latency": 0.1}', "field 'ok': missing"),
        ('{"tool": "t", "argument_bytes": 1, "latency": 0.1, "ok": true, "x": 1}', "field 'x'"),
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_malformed_call_logs_name_the_line_and_field(tmp_path, line, expected):
    path = tmp_path / "calls.jsonl"
    good = '{"tool": "t", "argument_bytes": 1, "latency": 0.1, "ok": true}'
    path.write_text(f"{good}\n\n{line}\n")
    with pytest.raises(ConfigError, match="line 3") as info:
        NoiseProfile.fit(path)
    assert expected in str(info.value)


def test_non_utf8_call_log_and_empty_input(tmp_path):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b"\xff\xfe\n")
    with pytest.raises(ConfigError, match="line 1: expected UTF-8"):
        list(read_call_log(path))
    with pytest.raises(ConfigError, match="at least one call record"):
        NoiseProfile.fit([])


def test_hand_written_profile_and_fixed_latency():
    profile = NoiseProfile(default=ToolNoise(latency=LatencyModel.fixed(0.25)))
    assert profile.sample_latency("any", np.random.default_rng(0)) == pytest.approx(0.25)
    assert profile.sample_outcome("any", np.random.default_rng(0)).ok


def test_shipped_realistic_profile_loads():
    assert "realistic" in profile_names()
    profile = NoiseProfile.named("realistic")
    assert profile.name == "realistic" and profile.tools
    for noise in profile.tools.values():
        assert noise.calls > 0 and 0 < noise.latency.median < 30
