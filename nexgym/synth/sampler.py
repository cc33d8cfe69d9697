"""A sampler of natural-language hierarchy descriptions, for building the catalog.

Each sample draws a domain (round-robin over the registry, so every domain gets its
share), a topology (single, centralized, tree of 3 or 4 levels, decentralized,
independent, hybrid), a split of the domain's tools over roles (by object, by
reading versus changing, with or without work the root keeps), role nouns, a persona
(who the team works for) and a difficulty, and writes them as an English
description that :func:`~nexgym.synth.offline.synthesize` reads back. Everything
comes from one integer seed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from nexgym.synth.assign import group_tools, object_label, tool_phrase
from nexgym.synth.matching import DomainIndex, domain_index
from nexgym.synth.wording import camel_name

__all__ = ["PERSONAS", "TOPOLOGY_WEIGHTS", "SampledSpec", "iter_specs", "sample_specs"]

#: (who the team works for, the word its env name starts with)
PERSONAS: tuple[tuple[str, str], ...] = (
    ("a hospital pharmacy", "Hospital"),
    ("a university lab", "Campus"),
    ("a small startup", "Startup"),
    ("a city council", "Civic"),
    ("a logistics firm", "Logistics"),
    ("a family-run shop", "Family"),
    ("a law office", "Legal"),
    ("a newsroom", "Newsroom"),
    ("a nonprofit", "Nonprofit"),
    ("a hotel chain", "Hospitality"),
    ("a film studio", "Studio"),
    ("a school district", "School"),
    ("a research institute", "Institute"),
    ("a bank branch", "Banking"),
    ("a game studio", "Gaming"),
    ("an airline", "Airline"),
    ("a bakery", "Bakery"),
    ("a consulting firm", "Consulting"),
    ("a museum", "Museum"),
    ("a sports club", "Club"),
    ("a construction company", "Builder"),
    ("a dental clinic", "Dental"),
    ("an online bookstore", "Bookstore"),
    ("a farm cooperative", "Farm"),
    ("a public library", "Library"),
    ("a theatre company", "Theatre"),
    ("an architecture practice", "Architecture"),
    ("a shipping port", "Harbor"),
    ("a recycling plant", "Recycling"),
    ("a travel agency", "Agency"),
)
#: How often each shape is drawn ("tree" is split into 3- and 4-level trees).
TOPOLOGY_WEIGHTS: dict[str, float] = {
    "single": 0.12,
    "centralized": 0.26,
    "tree": 0.22,
    "decentralized": 0.14,
    "independent": 0.12,
    "hybrid": 0.14,
}
_TEAM_NOUNS = {
    "single": ("desk", "office", "service"),
    "centralized": ("team", "desk", "office", "bureau"),
    "tree": ("department", "organization", "group"),
    "decentralized": ("council", "panel", "committee"),
    "independent": ("panel", "pool", "cell"),
    "hybrid": ("network", "guild", "collective"),
}
_ROOT_HEADS = ("planner", "manager", "coordinator", "dispatcher", "supervisor", "director", "chief")
_LEAD_HEADS = ("lead", "supervisor", "head")
_WORKER_HEADS = ("specialist", "clerk", "agent", "assistant", "expert", "operator", "technician")
_PEER_HEADS = ("analyst", "peer", "solver", "reviewer", "member")
_SOLO_HEADS = ("assistant", "operator", "engineer", "officer", "concierge")
_DIFFICULTY_WORDS = {1: "easy", 2: "moderate", 3: "hard"}
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True)
class SampledSpec:
    """One sampled description and what it was sampled to mean.

    Attributes:
        text: the English description.
        name: a readable CamelCase env name, unique within one sample run.
        domain: the domain it was drawn for.
        topology: the topology it describes.
        depth: the levels it describes.
        persona: who the team works for.
        difficulty: 1 (easy) to 3 (hard): the task difficulty it is meant for.
        groups: the tool groups the description gives to roles (root's own work first
            when it keeps some).
        seed: the seed of this sample.
    """

    text: str
    name: str
    domain: str
    topology: str
    depth: int
    persona: str
    difficulty: int
    groups: tuple[tuple[str, ...], ...]
    seed: int


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _article(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _split(
    index: DomainIndex, tools: list[str], k: int, rng: np.random.Generator
) -> list[list[str]]:
    """``k`` groups of tools that read as jobs, drawn among several ways to split.

    By reading versus changing (for two groups), by object with the smallest groups
    merged, or by object with random groups merged (so role splits vary across samples).
    """
    k = max(1, min(k, len(tools)))
    draw = rng.random()
    if k == 2 and draw < 0.3:
        reads = [t for t in tools if not index.tool(t).mutates]
        writes = [t for t in tools if index.tool(t).mutates]
        if reads and writes:
            return [reads, writes]
    if draw < 0.65:
        return group_tools(index, tools, k)
    groups = group_tools(index, tools)  # one group per object
    while len(groups) > k:
        i = int(rng.integers(len(groups) - 1))
        groups[i : i + 2] = [groups[i] + groups[i + 1]]  # merge two neighbours
    while len(groups) < k:  # fewer objects than groups wanted
        groups = group_tools(index, tools, k)
    order = {t.name: i for i, t in enumerate(index.tools)}
    return [sorted(g, key=order.__getitem__) for g in groups]


class _Writer:
    """Writes the description of one sample; each method returns (text, groups, depth, flavor)."""

    def __init__(
        self, index: DomainIndex, rng: np.random.Generator, team: str, persona: str
    ) -> None:
        self.index = index
        self.rng = rng
        self.tools = [t.name for t in index.tools]
        self.team = team
        self.persona = persona

    def opening(self, prefix: str = "") -> str:
        domain_word = self.index.name.replace("_", " and ")
        return _article(f"{prefix}{domain_word} {self.team}") + f" for {self.persona}"

    def single(self) -> tuple[str, list[list[str]], int, str]:
        head = _pick(self.rng, _SOLO_HEADS)
        forms = (
            f"{self.opening()} where a single {head} handles every tool alone.",
            f"{self.opening()}: one {head} who does all the work alone with every tool.",
        )
        return _pick(self.rng, forms), [self.tools], 1, head

    def centralized(self, *, hybrid: bool = False) -> tuple[str, list[list[str]], int, str]:
        rng = self.rng
        k = int(rng.integers(2, 4)) if len(self.tools) >= 6 else 2
        keeps = rng.random() < 0.4 and len(self.tools) >= 6
        groups = _split(self.index, self.tools, k + (1 if keeps else 0), rng)
        own = groups.pop(int(rng.integers(len(groups)))) if keeps and len(groups) > k else []
        root = _pick(rng, _ROOT_HEADS)
        heads = [_pick(rng, _WORKER_HEADS) for _ in groups]
        opening = self.opening("hybrid " if hybrid else "")
        handed = [f"{tool_phrase(g)} to {_article(h)}" for g, h in zip(groups, heads, strict=True)]
        style = int(rng.integers(3))
        if style == 0:
            text = f"{opening} where a {root} hands {_join(handed)}."
        elif style == 1:
            who = [
                f"{_article(h)} who {tool_phrase(g, third_person=True)}"
                for g, h in zip(groups, heads, strict=True)
            ]
            text = f"{opening}: a {root} with {_join(who)}."
        else:
            text = f"{opening}. The {root} delegates {_join(handed)}."
        if own:
            text += f" The {root} {tool_phrase(own, third_person=True)} itself."
        if hybrid:
            text += " The workers also cross-check each other's results."
        return text, [own, *groups] if own else groups, 2, root

    def tree(self, depth: int) -> tuple[str, list[list[str]], int, str]:
        rng = self.rng
        root = _pick(rng, _ROOT_HEADS)
        lead_head = _pick(rng, _LEAD_HEADS)
        sub_head = "supervisor" if lead_head != "supervisor" else "coordinator"
        worker = _pick(rng, _WORKER_HEADS)
        titles: set[str] = set()
        groups: list[list[str]] = []
        sentences: list[str] = []
        leads = []
        levels = 3
        for half in _split(self.index, self.tools, 2, rng):
            lead = _title(self.index, half, lead_head, titles)
            leads.append(lead)
            parts = _split(self.index, half, 2, rng)
            if depth >= 4 and len(half) >= 4:
                levels = 4
                subs = [_title(self.index, p, sub_head, titles) for p in parts]
                sentences.append(f"The {lead} oversees {_join([_article(t) for t in subs])}.")
                for sub, part in zip(subs, parts, strict=True):
                    inner = _split(self.index, part, 2, rng)
                    groups.extend(inner)
                    sentences.append(f"The {sub} has {_workers(worker, inner)}.")
            else:
                groups.extend(parts)
                sentences.append(f"The {lead} has {_workers(worker, parts)}.")
        head = f"{_COUNT_WORDS[levels]}-level "
        text = (
            f"{self.opening(head)}. A {root} oversees {_join([_article(t) for t in leads])}. "
            + " ".join(sentences)
        )
        return text, groups, levels, root

    def peers(self, topology: str) -> tuple[str, list[list[str]], int, str]:
        rng = self.rng
        n = int(rng.integers(2, 5))
        head = _pick(rng, _PEER_HEADS)
        count = _COUNT_WORDS[n]
        opening = self.opening()
        if topology == "decentralized":
            forms = (
                f"{opening} where {count} {head}s each work with every tool and debate "
                "the answer until they agree.",
                f"{opening}: {count} {head}s with every tool discuss each task and vote on "
                "the answer.",
            )
        else:
            forms = (
                f"{opening} where {count} {head}s each solve the task independently with "
                "every tool, and the best answer is kept.",
                f"{opening}: {count} {head}s work in parallel, each on their own with every "
                "tool; the majority answer wins.",
            )
        return _pick(rng, forms), [self.tools] * n, 2, f"{count} {head}s"


def _workers(head: str, groups: Sequence[Sequence[str]]) -> str:
    return _join([f"{_article(head)} who {tool_phrase(g, third_person=True)}" for g in groups])


def _title(index: DomainIndex, tools: Sequence[str], head: str, used: set[str]) -> str:
    """A title for a coordinator of ``tools`` that no other coordinator has."""
    candidates = [object_label(tools)]
    candidates.extend(object_label([t]) for t in tools)
    reads = all(not index.tool(t).mutates for t in tools)
    writes = all(index.tool(t).mutates for t in tools)
    candidates.append("records" if reads else "operations" if writes else "general")
    for alternative in (head, *_SPARE_HEADS):
        for label in candidates:
            title = f"{label} {alternative}"
            if label and title not in used:
                used.add(title)
                return title
    raise AssertionError("unreachable: the spare heads give enough distinct titles")


_SPARE_HEADS = ("captain", "foreman", "steward", "organizer")


def iter_specs(*, seed: int = 0, domains: Sequence[str] | None = None) -> Iterator[SampledSpec]:
    """An endless, reproducible stream of sampled descriptions.

    Args:
        seed: the stream's seed; sample ``i`` uses the seed ``(seed, i)``.
        domains: the domains to cycle through (default: every registered domain but the
            compiled worlds, whose descriptions come from their own specs).
    """
    from nexgym.envs.domains import DOMAINS
    from nexgym.envs.worlds.library import is_world

    hand_written = [d for d in DOMAINS if not is_world(DOMAINS[d])]
    names = sorted(domains if domains is not None else hand_written)
    if not names:
        return
    topologies = list(TOPOLOGY_WEIGHTS)
    weights = np.array([TOPOLOGY_WEIGHTS[t] for t in topologies])
    weights = weights / weights.sum()
    used: set[str] = set()
    i = 0
    order = list(names)
    while True:
        if i % len(names) == 0:
            np.random.default_rng([seed, i, 7]).shuffle(order)
        rng = np.random.default_rng([seed, i])
        domain = order[i % len(names)]
        index = domain_index(domain)
        topology = topologies[int(rng.choice(len(topologies), p=weights))]
        if len(index.tools) < 4 and topology in ("centralized", "tree", "hybrid"):
            topology = "single" if rng.random() < 0.5 else "independent"
        persona, persona_key = PERSONAS[int(rng.integers(len(PERSONAS)))]
        difficulty = int(rng.integers(1, 4))
        team = _pick(rng, _TEAM_NOUNS[topology])
        writer = _Writer(index, rng, team, persona)
        if topology == "single":
            text, groups, depth, flavor = writer.single()
        elif topology in ("centralized", "hybrid"):
            text, groups, depth, flavor = writer.centralized(hybrid=topology == "hybrid")
        elif topology == "tree":
            text, groups, depth, flavor = writer.tree(4 if rng.random() < 0.4 else 3)
        else:
            text, groups, depth, flavor = writer.peers(topology)
        text = f"{text[0].upper()}{text[1:]} It is meant for {_DIFFICULTY_WORDS[difficulty]} tasks."
        name = _unique_name(persona_key, domain, team, flavor, used)
        used.add(name)
        yield SampledSpec(
            text=text,
            name=name,
            domain=domain,
            topology=topology,
            depth=depth,
            persona=persona,
            difficulty=difficulty,
            groups=tuple(tuple(g) for g in groups),
            seed=int(seed) * 1_000_003 + i,
        )
        i += 1


def _unique_name(persona_key: str, domain: str, team: str, flavor: str, used: set[str]) -> str:
    """A readable name: persona, domain and team words, then the lead role if needed."""
    domain_words = domain.replace("_", " ")
    for words in (
        [persona_key, domain_words, team],
        [persona_key, domain_words, team, flavor],
        [persona_key, domain_words, flavor, team],
    ):
        name = camel_name(words)
        if name not in used:
            return name
    base = camel_name([persona_key, domain_words, team, flavor])
    k = 2
    while f"{base}{_ORDINALS[k % len(_ORDINALS)]}{k // len(_ORDINALS) or ''}" in used:
        k += 1
    return f"{base}{_ORDINALS[k % len(_ORDINALS)]}{k // len(_ORDINALS) or ''}"


_ORDINALS = ("", "", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth")


def sample_specs(
    n: int, *, seed: int = 0, domains: Sequence[str] | None = None
) -> list[SampledSpec]:
    """``n`` sampled descriptions (the first ``n`` of :func:`iter_specs`)."""
    out: list[SampledSpec] = []
    for spec in iter_specs(seed=seed, domains=domains):
        if len(out) >= n:
            break
        out.append(spec)
    return out
