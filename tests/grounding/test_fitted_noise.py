"""Noise fitted from observed failures: provenance, a fitted outage rate, too-small logs."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

from nexgym.error import ConfigError
from nexgym.grounding.profile import NoiseProfile
from nexgym.mcp.calllog import CallLog, CallRecord
from nexgym.policies import OraclePolicy


def call(
    episode: str,
    server: str,
    *,
    t: float,
    timed_out: bool = False,
    ok: bool = True,
    policy: str = "random",
) -> CallRecord:
    return CallRecord(
        tool=f"{server}_tool",
        server=server,
        argument_bytes=10,
        latency=5.0 if timed_out else 0.01,
        ok=ok and not timed_out,
        timed_out=timed_out,
        error="no answer" if timed_out else (None if ok else "bad arguments"),
        timestamp=t,
        policy=policy,
        episode=episode,
    )


def test_outage_rate_and_provenance_are_fitted() -> None:
    records = []
    for e in range(10):
        for k in range(4):
            # episodes 0 and 1: server "a" leaves two calls in a row unanswered (an outage);
            # episode 2: timeouts, but not in a row; episode 3: only error answers
            timed_out = (e < 2 and k in (1, 2)) or (e == 2 and k in (0, 2))
            records.append(
                call(
                    f"ep{e}",
                    "a",
                    t=e * 10 + k,
                    timed_out=timed_out,
                    ok=e != 3,
                    policy="oracle@0.3" if e % 2 else "random",
                )
            )
        records.append(call(f"ep{e}", "b", t=e * 10 + 5))
    profile = NoiseProfile.fit(records)
    assert profile.outage_rate == pytest.approx(0.2)
    assert profile.provenance is not None
    assert profile.provenance.calls == 50 and profile.provenance.episodes == 10
    assert profile.provenance.outage_episodes == 2
    assert profile.provenance.servers == {"a": 40, "b": 10}
    assert profile.provenance.policies == {"oracle@0.3": 20, "random": 30}  # b's are random
    assert profile.tools["a_tool"].timeout_rate == pytest.approx(6 / 40)
    assert profile.tools["a_tool"].error_rate == pytest.approx(4 / 40)


def test_provenance_survives_the_yaml_file(tmp_path: Path) -> None:
    records = [call(f"e{i // 5}", "a", t=i) for i in range(40)]
    profile = NoiseProfile.fit(records, name="tiny")
    again = NoiseProfile.load(profile.save(tmp_path / "p.yaml"))
    assert again == profile and again.provenance is not None and again.outage_rate == 0.0
    # a log without episode ids fits no outage rate (None), rather than a made-up 0
    plain = [r.model_copy(update={"episode": None}) for r in records]
    assert NoiseProfile.fit(plain).outage_rate is None


def test_a_log_too_small_to_fit_is_refused() -> None:
    records = [call("e", "a", t=i) for i in range(12)]
    with pytest.raises(ConfigError, match=r"expected at least 30 call records .* got 12"):
        NoiseProfile.fit(records)
    fitted = NoiseProfile.fit(records, min_records=10)
    assert fitted.provenance is not None and fitted.provenance.calls == 12


def test_calls_of_an_erring_oracle_over_real_servers(tmp_path: Path) -> None:
    raw = CallLog(tmp_path / "raw.jsonl")
    env = gym.make(
        "nex/FileOps-v0", backend="mcp", control="all", backend_options={"call_log": raw}
    )
    try:
        tagged = []
        for episode in range(6):
            obs, info = env.reset(seed=episode)
            policy = OraclePolicy(env, error_rate=0.3)
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(policy(obs, info))
                done = terminated or truncated
            records = raw.records() if raw.path.exists() else []
            tagged.extend(
                r.model_copy(update={"policy": "oracle@0.3", "episode": str(episode)})
                for r in records[len(tagged) :]
            )
    finally:
        env.close()
    profile = NoiseProfile.fit(tagged, min_records=5)
    assert profile.provenance is not None
    assert profile.provenance.servers == {"nexgym-files": len(tagged)}
    assert profile.provenance.policies == {"oracle@0.3": len(tagged)}
    assert profile.outage_rate == 0.0  # loopback servers answered every call
    # the slips the tool refused are the caller's mistakes, not the server's failures
    refused = sum(r.failure == "refused" for r in tagged)
    assert refused > 0 and {r.failure for r in tagged} == {None, "refused"}
    assert profile.default.refusal_rate == pytest.approx(refused / len(tagged))
    assert profile.default.error_rate == 0.0 and profile.default.error_messages == []


def test_rollout_noise_uses_a_fitted_outage_rate(tmp_path: Path) -> None:
    from nexgym.rollout import REALISTIC_OUTAGE_RATE, apply_noise

    records = [call(f"e{i // 4}", "a", t=i, timed_out=i < 8 and i % 4 in (1, 2)) for i in range(40)]
    path = NoiseProfile.fit(records).save(tmp_path / "fitted.yaml")  # 2 of 10 episodes
    fitted = apply_noise(gym.make("nex/FileOps-v0"), path)
    assert fitted.get_wrapper_attr("outage_rate") == pytest.approx(0.2)
    shipped = apply_noise(gym.make("nex/FileOps-v0"), "realistic")  # fitted, like any
    assert shipped.get_wrapper_attr("outage_rate") == NoiseProfile.named("realistic").outage_rate
    unfitted = NoiseProfile.fit([r.model_copy(update={"episode": None}) for r in records])
    plain = apply_noise(gym.make("nex/FileOps-v0"), unfitted.save(tmp_path / "plain.yaml"))
    assert plain.get_wrapper_attr("outage_rate") == REALISTIC_OUTAGE_RATE


def test_the_callers_mistakes_are_refusals_and_a_dead_server_an_outage() -> None:
    records = []
    for e in range(10):
        for k in range(4):
            # every episode: call 0 refused as wrong; episodes 0-2: calls 1 and 2 found
            # the server dead (no answer, not a timeout): an outage
            failure = "refused" if k == 0 else "server_error" if e < 3 and k in (1, 2) else None
            record = call(f"ep{e}", "a", t=e * 10 + k, ok=failure is None)
            records.append(record.model_copy(update={"failure": failure}))
    profile = NoiseProfile.fit(records)
    noise = profile.tools["a_tool"]
    assert noise.refusal_rate == pytest.approx(10 / 40)
    assert noise.error_rate == pytest.approx(6 / 40) and noise.timeout_rate == 0.0
    assert profile.outage_rate == pytest.approx(0.3)
    assert profile.provenance is not None
    assert profile.provenance.outcomes == {"error": 6, "ok": 24, "refused": 10}
