"""The generated catalog: every entry validates, builds, passes check_env and is solved
by the oracle; the builder is reproducible and keeps hand-written files; the
diversity report and its plot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import nexgym
from nexgym.policies import OraclePolicy
from nexgym.registry import catalog_paths, env_id, load_catalog_spec
from nexgym.spec import HierarchySpec, load_spec
from nexgym.synth.catalog import (
    GENERATED_HEADER,
    build_catalog,
    check_spec,
    load_catalog,
    rebuild_command,
    write_catalog,
)
from nexgym.synth.report import catalog_stats, plot_stats, render_markdown


def _generated(path: Path) -> bool:
    return path.read_text(encoding="utf-8").startswith(GENERATED_HEADER)


# the sampler's entries (the world catalog, envs/catalog/worlds, has its own tests)
GENERATED = {
    n: p for n, p in catalog_paths().items() if _generated(p) and p.parent.name != "worlds"
}
# the generated entries and the hand-written examples of the files domain
ENTRIES = sorted([*GENERATED, *(n for n, p in catalog_paths().items() if p.parent.name == "files")])


@pytest.mark.parametrize("name", ENTRIES, ids=ENTRIES)
def test_entry_validates_builds_passes_check_env_and_is_solved(name: str) -> None:
    spec = load_spec(catalog_paths()[name])
    assert spec.name == name
    env = gym.make(env_id(name), control="all", difficulty=spec.metadata.get("difficulty", 1))
    check_env(env.unwrapped, skip_render_check=True)
    policy = OraclePolicy(env)
    obs, info = env.reset(seed=ENTRIES.index(name))
    while True:
        obs, _, terminated, truncated, info = env.step(policy(obs, info))
        if terminated or truncated:
            break
    assert info["success"] and terminated and not truncated, info
    env.close()


def test_catalog_size_spread_and_readable_names() -> None:
    specs = [load_catalog_spec(n) for n in GENERATED]
    assert len(specs) >= 200
    assert len({s.domain for s in specs}) >= 10
    ids = [env_id(s.name) for s in specs]
    assert set(ids) <= set(nexgym.list_envs())
    for spec in specs:
        assert re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", spec.name), spec.name
        assert spec.metadata["source"] and isinstance(spec.metadata["seed"], int)
        assert spec.metadata["persona"] and spec.metadata["difficulty"] in (1, 2, 3)
        assert catalog_paths()[spec.name].parent.name == spec.domain


def test_the_committed_catalog_is_what_its_seed_builds() -> None:
    """The first entries rebuild byte for byte from the command in the files' header."""
    command = rebuild_command(next(iter(GENERATED.values())))
    assert command is not None and command["count"] == len(GENERATED)
    build = build_catalog(8, seed=command["seed"], domains=command["domains"], write=False)
    for _, spec in build.entries:
        path = GENERATED[spec.name]
        assert rebuild_command(path) == command
        body = path.read_text(encoding="utf-8").split("\n", 2)[2]
        assert body == spec.to_yaml(), (
            f"{path} is stale; rebuild the catalog: nexgym synth --catalog --seed "
            f"{command['seed']} --count {command['count']} --domains {' '.join(command['domains'])}"
        )


def test_builder_is_reproducible_and_keeps_hand_written_files(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    hand = tmp_path / "files" / "HandMade.yaml"
    hand.write_text(Path(catalog_paths()["FileOps"]).read_text().replace("FileOps", "HandMade"))
    first = build_catalog(4, seed=9, out=tmp_path, domains=["files", "home"])
    snapshot = {p: p.read_text() for p in sorted(tmp_path.glob("*/*.yaml"))}
    second = build_catalog(4, seed=9, out=tmp_path, domains=["files", "home"], jobs=2)
    assert {p: p.read_text() for p in sorted(tmp_path.glob("*/*.yaml"))} == snapshot
    assert [s.name for _, s in first.entries] == [s.name for _, s in second.entries]
    assert hand.exists() and not _generated(hand)
    assert len(first.written) == 4 and all(_generated(p) for p in first.written)
    write_catalog([], tmp_path, seed=9)  # removes generated files only
    assert list(tmp_path.glob("*/*.yaml")) == [hand]


def test_check_rejects_a_hierarchy_the_oracle_cannot_use() -> None:
    spec = HierarchySpec.from_dict(
        {
            "name": "OnlyLists",
            "domain": "files",
            "topology": "single",
            "root": "lister",
            "agents": [{"name": "lister", "role": "You list folders.", "tools": ["list_dir"]}],
        }
    )
    result = check_spec(spec)
    assert not result.ok and len(result.failures) == result.episodes == 4
    assert "difficulty 1, seed 0" in result.failures[0]


def test_registering_the_whole_catalog_keeps_import_fast() -> None:
    """Registration reads file names only: the 200+ entries add little to ``import nexgym``
    (the rest of its import time is gymnasium, pydantic and the DSL, catalog or not)."""
    code = (
        "import time, gymnasium as gym\n"
        "import nexgym, nexgym.registry as r\n"
        "for k in [k for k in gym.registry if k.startswith('nex/')]: del gym.registry[k]\n"
        "r.catalog_paths.cache_clear()\n"
        "t = time.perf_counter(); r.register_catalog(); dt = time.perf_counter() - t\n"
        "print(dt, len(nexgym.list_envs()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, count = out.stdout.split()
    assert int(count) >= 200
    assert float(seconds) < 0.5, f"registering the catalog took {seconds} s"


def test_report_counts_and_plot(tmp_path: Path) -> None:
    stats = catalog_stats(load_catalog().values())
    assert stats.entries >= 200
    assert set(stats.topologies) == {
        "single",
        "centralized",
        "tree",
        "decentralized",
        "independent",
        "hybrid",
    }
    assert max(stats.depths) >= 4 and sum(stats.agents.values()) == stats.entries
    assert 0.0 <= min(stats.within_overlap) <= max(stats.across_overlap) <= 1.0
    text = render_markdown(stats, plot="catalog_report.png")
    assert "| email_travel |" in text and "## Tool-set overlap" in text
    pytest.importorskip("matplotlib")
    png = plot_stats(stats, tmp_path / "report.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
