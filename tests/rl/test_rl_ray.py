"""Ray rollouts: a local Ray instance plays the local backend's episodes, record for record."""

from __future__ import annotations

import importlib.util

import pytest

import nexgym  # noqa: F401  (registers the catalog)
from nexgym.distributed import plan_chunks, rollout_ray
from nexgym.error import ConfigError
from nexgym.rollout import rollout

ENV_IDS = ["nex/FileOps-v0", "nex/FileSolo-v0"]
POLICIES = ["oracle", "random"]
#: Timings differ between runs; everything else must be equal.
TIMING_FIELDS = {"wall_seconds"}


def test_chunks_follow_the_local_order_and_skip_done_episodes() -> None:
    chunks = plan_chunks(["a", "b"], ["p"], 5, skip={"a|p|1", "b|p|4"}, episodes_per_task=2)
    assert chunks == [
        ("a", "p", [0, 2]),
        ("a", "p", [3, 4]),
        ("b", "p", [0, 1]),
        ("b", "p", [2, 3]),
    ]
    with pytest.raises(ConfigError, match="episodes_per_task"):
        plan_chunks(["a"], ["p"], 1, episodes_per_task=0)


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray is not installed (nexgym[dist])"
)
def test_ray_rollout_equals_the_local_backend() -> None:
    local = list(rollout(ENV_IDS, POLICIES, 5, seed=3, env_kwargs={"max_turns": 8}))
    remote = list(
        rollout_ray(
            ENV_IDS,
            POLICIES,
            5,
            seed=3,
            env_kwargs={"max_turns": 8},
            episodes_per_task=2,  # chunks split episode runs: seeding must not depend on them
            num_cpus=2,
            max_in_flight=3,
        )
    )
    assert [r.key for r in remote] == [r.key for r in local]
    for a, b in zip(local, remote, strict=True):
        assert a.model_dump(exclude=TIMING_FIELDS) == b.model_dump(exclude=TIMING_FIELDS)
    assert {r.success for r in local} == {True, False}, "both outcomes are compared"
