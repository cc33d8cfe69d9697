"""Each hierarchy plays its own tasks: two catalog envs over one domain do not share them.

``reset(seed=k)`` plays the domain task :func:`~nexgym.session.stream_task_seed` derives
from ``k`` and the hierarchy's :func:`~nexgym.session.task_salt`; these tests check it
over the whole catalog, read from its YAML files (validating 1,300 specs would compile
every world first), and through the views.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import gymnasium as gym
import pytest
import yaml
from nexgym.envs.domains import get_domain

import nexgym
from nexgym.catalog import catalog_paths
from nexgym.session import TASK_SEEDS, salt_of, stream_task_seed, task_salt

SEEDS = range(10)


@dataclass(frozen=True)
class Entry:
    """What a catalog entry's task stream depends on, read from its YAML."""

    name: str
    salt: int


@cache
def catalog_by_domain() -> dict[str, list[Entry]]:
    """The catalog's entries by domain (name, description and persona read from the YAML)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    by_domain: dict[str, list[Entry]] = defaultdict(list)
    for path in catalog_paths().values():
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        persona = str((data.get("metadata") or {}).get("persona", ""))
        salt = salt_of(data["name"], data.get("description", ""), persona)
        by_domain[data["domain"]].append(Entry(data["name"], salt))
    return dict(by_domain)


def shared_domains() -> list[str]:
    """Every domain that two or more catalog envs work on."""
    return sorted(d for d, specs in catalog_by_domain().items() if len(specs) >= 2)


def test_no_two_envs_of_a_domain_share_a_task_seed() -> None:
    domains = shared_domains()
    assert len(domains) >= 200  # the hand-written domains and the induced worlds
    for domain in domains:
        owner: dict[int, str] = {}
        for entry in catalog_by_domain()[domain]:
            for k in SEEDS:
                seed = stream_task_seed(entry.salt, k)
                assert owner.setdefault(seed, entry.name) == entry.name, (domain, seed)


@pytest.mark.parametrize("domain", shared_domains())
def test_two_envs_of_a_domain_play_different_tasks(domain: str) -> None:
    first, second = catalog_by_domain()[domain][:2]
    generator = get_domain(domain)
    try:
        tasks = [
            {generator.generate_task(stream_task_seed(e.salt, k)).instruction for k in SEEDS}
            for e in (first, second)
        ]
    finally:
        generator.close()
    assert tasks[0] != tasks[1]
    assert len(tasks[0] & tasks[1]) < len(SEEDS) // 2  # a rare coincidence of small worlds


def test_a_stream_is_stable_and_the_plain_order_is_the_domains() -> None:
    assert stream_task_seed(None, 7) == 7
    assert stream_task_seed(12345, 7) == stream_task_seed(12345, 7)
    assert stream_task_seed(12345, 7) != stream_task_seed(12346, 7)
    assert all(0 <= stream_task_seed(2**127 + s, s) < TASK_SEEDS for s in SEEDS)


def test_the_views_play_the_hierarchys_stream() -> None:
    env = gym.make("nex/FileOps-v0")
    salt = task_salt(env.unwrapped.hierarchy)
    assert [e.salt for e in catalog_by_domain()["files"] if e.name == "FileOps"] == [salt]
    _, info = env.reset(seed=3)
    assert info["task_seed"] == stream_task_seed(salt, 3)
    aec = nexgym.pz.env("nex/FileOps-v0")
    aec.reset(seed=3)
    assert aec.episode.task_seed == info["task_seed"]
    # a topology re-shapes the team, not its tasks: topologies compare on the same ones
    centralized = gym.make("nex/FileOps-v0", topology="centralized")
    assert centralized.reset(seed=3)[1]["task_seed"] == info["task_seed"]
