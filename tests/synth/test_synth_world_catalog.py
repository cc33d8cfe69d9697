"""The world catalog: 1,000+ envs over 200+ induced worlds, rebuilt from its seed."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
from nexgym.envs.domains import DOMAINS
from nexgym.envs.worlds.library import packaged_world_names, packaged_world_path

import nexgym
from nexgym.policies import OraclePolicy
from nexgym.registry import WORLD_CATALOG, catalog_paths, load_catalog_spec, representative_envs
from nexgym.synth.worlds import build_world_catalog, sample_world_texts

ENTRIES = {n: p for n, p in catalog_paths().items() if p.parent.name == WORLD_CATALOG}
GENERATED_WORLDS = [
    n for n in packaged_world_names() if packaged_world_path(n).parent.name == "generated"
]


def test_size_and_spread() -> None:
    assert len(ENTRIES) >= 1000
    assert len(GENERATED_WORLDS) >= 200
    assert all(name in DOMAINS for name in GENERATED_WORLDS)
    assert len(nexgym.list_envs()) >= 1250
    texts = [t.text for t in sample_world_texts(len(GENERATED_WORLDS))]
    assert len(set(texts)) == len(texts)


def test_the_committed_world_catalog_is_what_its_seed_builds(tmp_path: Path) -> None:
    build = build_world_catalog(
        2, envs_per_world=5, seed=0, catalog_dir=tmp_path / "c", worlds_dir=tmp_path / "w"
    )
    assert len(build.worlds) == 2 and not build.rejected
    for path in sorted((tmp_path / "w").glob("*.yaml")):
        committed = packaged_world_path(path.stem).read_text(encoding="utf-8")
        assert committed.split("\n", 2)[2] == path.read_text(encoding="utf-8").split("\n", 2)[2]
    for path in build.written:
        committed = ENTRIES[path.stem].read_text(encoding="utf-8")
        assert committed.split("\n", 2)[2] == path.read_text(encoding="utf-8").split("\n", 2)[2]


def test_a_sample_is_in_the_per_env_tests_and_solved() -> None:
    sample = [
        i for i in representative_envs() if i.removeprefix("nex/").removesuffix("-v0") in ENTRIES
    ]
    assert len(sample) == 24
    assert sample == [i for i in representative_envs() if i in sample]  # fixed, seeded
    for env_id in sample[:6]:
        spec = load_catalog_spec(env_id)
        assert spec.domain in GENERATED_WORLDS
        env = gym.make(env_id, difficulty=3)
        obs, info = env.reset(seed=7)
        policy = OraclePolicy(env)
        for _ in range(200):
            obs, reward, terminated, truncated, info = env.step(policy(obs, info))
            if terminated or truncated:
                break
        env.close()
        assert terminated and reward == 1.0, env_id
