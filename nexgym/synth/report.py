"""The catalog's diversity at a glance: counts, distributions, tool-set overlap, a plot.

Counts by domain, topology and depth; distributions of agents per hierarchy and tools
per agent; and two overlaps of tool sets (Jaccard index of the sets of tools two
agents hold): between the tool-holding agents of one hierarchy (how much its agents
share) and between hierarchies of the same domain (how alike their role splits are:
for each agent, its best match in the other hierarchy, averaged both ways).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexgym.error import require
from nexgym.spec import HierarchySpec

__all__ = ["CatalogStats", "catalog_stats", "plot_stats", "render_markdown"]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


@dataclass
class CatalogStats:
    """Diversity figures of a set of specs.

    Attributes:
        entries: number of hierarchies.
        domains: hierarchies per domain.
        topologies: hierarchies per topology.
        depths: hierarchies per depth (levels).
        agents: hierarchies per number of agents.
        tools_per_agent: agents per number of tools held (coordinators hold 0).
        within_overlap: per hierarchy with 2+ tool-holding agents, the mean Jaccard
            index between its agents' tool sets.
        across_overlap: per pair of hierarchies of one domain, how alike their role
            splits are (1.0: the same tool sets).
        distinct_tool_sets: distinct agent tool sets per domain.
    """

    entries: int = 0
    domains: Counter[str] = field(default_factory=Counter)
    topologies: Counter[str] = field(default_factory=Counter)
    depths: Counter[int] = field(default_factory=Counter)
    agents: Counter[int] = field(default_factory=Counter)
    tools_per_agent: Counter[int] = field(default_factory=Counter)
    within_overlap: list[float] = field(default_factory=list)
    across_overlap: list[float] = field(default_factory=list)
    distinct_tool_sets: dict[str, int] = field(default_factory=dict)
    #: compiled worlds (domains from a world spec) -> (entities, operations)
    worlds: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def entities_per_world(self) -> Counter[int]:
        """Compiled worlds per number of entities."""
        return Counter(e for e, _ in self.worlds.values())

    @property
    def operations_per_world(self) -> Counter[int]:
        """Compiled worlds per number of operations (tools)."""
        return Counter(o for _, o in self.worlds.values())

    def by_domain_kind(self) -> Counter[str]:
        """Hierarchies per hand-written domain, the compiled worlds' pooled as one bar."""
        out: Counter[str] = Counter()
        for domain, n in self.domains.items():
            out["(compiled worlds)" if domain in self.worlds else domain] += n
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""

        def mean(values: Sequence[float]) -> float | None:
            return round(sum(values) / len(values), 4) if values else None

        return {
            "entries": self.entries,
            "domains": dict(sorted(self.domains.items())),
            "topologies": dict(sorted(self.topologies.items())),
            "depths": dict(sorted(self.depths.items())),
            "agents_per_hierarchy": dict(sorted(self.agents.items())),
            "tools_per_agent": dict(sorted(self.tools_per_agent.items())),
            "within_overlap_mean": mean(self.within_overlap),
            "across_overlap_mean": mean(self.across_overlap),
            "distinct_tool_sets": dict(sorted(self.distinct_tool_sets.items())),
            "worlds": len(self.domains),
            "compiled_worlds": len(self.worlds),
            "entities_per_world": dict(sorted(self.entities_per_world.items())),
            "operations_per_world": dict(sorted(self.operations_per_world.items())),
        }


def _split_similarity(a: list[frozenset[str]], b: list[frozenset[str]]) -> float:
    def one_way(x: list[frozenset[str]], y: list[frozenset[str]]) -> float:
        return sum(max(_jaccard(s, t) for t in y) for s in x) / len(x)

    return (one_way(a, b) + one_way(b, a)) / 2


def catalog_stats(specs: Iterable[HierarchySpec], *, max_pairs: int = 20_000) -> CatalogStats:
    """Compute the diversity figures of ``specs``.

    Args:
        specs: the hierarchies.
        max_pairs: cap on hierarchy pairs compared per domain (evenly spread).
    """
    stats = CatalogStats()
    splits: dict[str, list[list[frozenset[str]]]] = {}
    for spec in specs:
        stats.entries += 1
        stats.domains[spec.domain] += 1
        stats.topologies[spec.topology] += 1
        stats.depths[spec.depth()] += 1
        stats.agents[len(spec.agents)] += 1
        held = [frozenset(a.tools) for a in spec.agents if a.tools]
        for agent in spec.agents:
            stats.tools_per_agent[len(agent.tools)] += 1
        if len(held) >= 2:
            pairs = list(itertools.combinations(held, 2))
            stats.within_overlap.append(sum(_jaccard(x, y) for x, y in pairs) / len(pairs))
        if held:
            splits.setdefault(spec.domain, []).append(held)
    from nexgym.envs.domains import DOMAINS, domain_class
    from nexgym.envs.worlds.library import is_world

    for domain in stats.domains:
        if domain in DOMAINS and is_world(DOMAINS[domain]):
            world = domain_class(domain).world_spec
            stats.worlds[domain] = (len(world.entities), len(world.tools))
    for domain, items in sorted(splits.items()):
        stats.distinct_tool_sets[domain] = len({s for split in items for s in split})
        index_pairs = list(itertools.combinations(range(len(items)), 2))
        step = max(1, len(index_pairs) // max_pairs)
        for i, j in index_pairs[::step]:
            stats.across_overlap.append(_split_similarity(items[i], items[j]))
    return stats


def _table(title: str, counts: Counter[Any], total: int) -> list[str]:
    lines = [f"| {title} | hierarchies | share |", "| --- | ---: | ---: |"]
    for key, value in sorted(counts.items()):
        lines.append(f"| {key} | {value} | {value / total:.0%} |")
    return lines


def _histogram(values: Sequence[float], bins: int = 5) -> str:
    if not values:
        return "(none)"
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v * bins))] += 1
    edges = [f"{i / bins:.1f}-{(i + 1) / bins:.1f}: {c}" for i, c in enumerate(counts)]
    return ", ".join(edges)


def render_markdown(stats: CatalogStats, *, plot: str | None = None) -> str:
    """The report as Markdown (tables and one-line distributions)."""
    total = max(1, stats.entries)
    data = stats.to_dict()
    lines = [
        "# Catalog diversity report",
        "",
        f"{stats.entries} hierarchies over {len(stats.domains)} domains, "
        f"{len(stats.topologies)} topologies and depths "
        f"{min(stats.depths, default=0)}-{max(stats.depths, default=0)}.",
        "Generated by `nexgym synth --report`.",
        "",
    ]
    if plot:
        lines += [f"![catalog diversity]({plot})", ""]
    hand = len(stats.domains) - len(stats.worlds)
    lines += [
        "## Worlds",
        "",
        f"{len(stats.domains)} distinct worlds: {hand} hand-written domains and "
        f"{len(stats.worlds)} compiled from world specs (entities, relations and operations "
        "declared in YAML, most induced from a description).",
        "",
        "| entities per compiled world | worlds |",
        "| --- | ---: |",
        *(f"| {k} | {v} |" for k, v in sorted(stats.entities_per_world.items())),
        "",
        "| operations per compiled world | worlds |",
        "| --- | ---: |",
        *(f"| {k} | {v} |" for k, v in sorted(stats.operations_per_world.items())),
        "",
    ]
    lines += ["## By domain", "", *_table("domain", stats.by_domain_kind(), total), ""]
    lines += ["## By topology", "", *_table("topology", stats.topologies, total), ""]
    lines += ["## By depth (levels)", "", *_table("depth", stats.depths, total), ""]
    lines += ["## Agents per hierarchy", "", *_table("agents", stats.agents, total), ""]
    agents_total = max(1, sum(stats.tools_per_agent.values()))
    lines += [
        "## Tools per agent",
        "",
        "Coordinators that only delegate hold 0 tools.",
        "",
        "| tools | agents | share |",
        "| --- | ---: | ---: |",
    ]
    for key, value in sorted(stats.tools_per_agent.items()):
        lines.append(f"| {key} | {value} | {value / agents_total:.0%} |")
    lines += [
        "",
        "## Tool-set overlap",
        "",
        "Jaccard index of the tool sets of two agents (0: disjoint, 1: the same tools).",
        "",
        f"* Within a hierarchy (mean over its tool-holding agents, "
        f"{len(stats.within_overlap)} hierarchies): mean {data['within_overlap_mean']}; "
        f"histogram {_histogram(stats.within_overlap)}.",
        f"* Across hierarchies of one domain (how alike two role splits are, "
        f"{len(stats.across_overlap)} pairs): mean {data['across_overlap_mean']}; "
        f"histogram {_histogram(stats.across_overlap)}.",
        "",
        "| domain | distinct agent tool sets |",
        "| --- | ---: |",
    ]
    for domain, n in sorted(stats.distinct_tool_sets.items()):
        lines.append(f"| {domain} | {n} |")
    return "\n".join(lines) + "\n"


def plot_stats(stats: CatalogStats, path: str | Path) -> Path:
    """Draw the report's six panels into a PNG (matplotlib, Agg backend)."""
    matplotlib = require("matplotlib", "rl", "the catalog report plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(20, 8.5))
    panels: list[tuple[str, Counter[Any]]] = [
        ("hierarchies per domain", stats.by_domain_kind()),
        ("compiled worlds per number of entities", stats.entities_per_world),
        ("compiled worlds per number of operations", stats.operations_per_world),
        ("hierarchies per topology", stats.topologies),
        ("hierarchies per depth (levels)", stats.depths),
        ("hierarchies per number of agents", stats.agents),
        ("agents per number of tools held", stats.tools_per_agent),
    ]
    for ax, (title, counts) in zip(axes.flat, panels, strict=False):
        keys = sorted(counts)
        ax.bar([str(k) for k in keys], [counts[k] for k in keys], color="#4c72b0")
        ax.set_title(title)
        if len(keys) > 4:
            ax.tick_params(axis="x", labelrotation=45 if len(keys) < 8 else 60)
    ax = axes.flat[7]
    bins = [i / 10 for i in range(11)]
    for values, label, alpha in (
        (stats.within_overlap, "within a hierarchy", 0.7),
        (stats.across_overlap, "across hierarchies (same domain)", 0.5),
    ):
        if values:  # shares, so the two sets of pairs compare whatever their sizes
            ax.hist(
                values, bins=bins, weights=[1 / len(values)] * len(values), alpha=alpha, label=label
            )
    ax.set_title("tool-set overlap (Jaccard), share of pairs")
    ax.legend()
    fig.suptitle(f"nexgym catalog: {stats.entries} hierarchies")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
