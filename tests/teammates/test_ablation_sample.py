"""Root policies that skip the job score about 0 (a sample; the full sweep is
``benchmarks/teammate_ablation.py``), and the oracle root scores 1."""

from __future__ import annotations

import pytest

import nexgym
from nexgym.policies.ablations import ABLATIONS, has_sub_agents, success_rate

#: Every 40th env whose root has sub-agents, and every 60th env of any kind.
ROUTED = [e for e in nexgym.list_envs() if has_sub_agents(e)][::40]
ANY = nexgym.list_envs()[::60]
SEEDS = range(3)
MEAN_BOUND, ENV_BOUND = 0.05, 0.20


@pytest.mark.parametrize("policy", [*ABLATIONS, "random"])
def test_controls_score_about_zero(policy: str) -> None:
    envs = ANY if policy in ("finish-at-once", "random") else ROUTED
    rates = {e: success_rate(e, policy, SEEDS) for e in envs}
    assert sum(rates.values()) / len(rates) <= MEAN_BOUND, rates
    assert max(rates.values()) <= ENV_BOUND, rates


def test_oracle_root_solves_the_sample() -> None:
    rates = {e: success_rate(e, "oracle", SEEDS) for e in ROUTED}
    assert all(r == 1.0 for r in rates.values()), rates
