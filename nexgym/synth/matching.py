"""Semantic matching of description words against domains and tools, without a model.

A description's words are stemmed, widened through a synonym table, and scored
against bags of stems built from each domain's name and description and each tool's
name, description and parameter names. Words that many tools (or domains) share
weigh less (inverse document frequency), so "flights" says more than "search". The
indexes are built from the domain registry at run time, so a newly registered
domain is matched without any change here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from nexgym.synth.lexicon import FOREIGN, STOPWORDS, SYNONYMS

__all__ = [
    "DomainIndex",
    "ToolProfile",
    "catalog_index",
    "domain_index",
    "stem",
    "translate",
    "words",
]

_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+", re.UNICODE)
_IRREGULAR = {
    "children": "child",
    "people": "person",
    "analyses": "analysis",
    "indices": "index",
    "men": "man",
    "women": "woman",
    "these": "this",
    "configs": "config",
    "directories": "dir",
    "directory": "dir",
    "dirs": "dir",
    "configuration": "config",
    "configurations": "config",
    "configure": "config",
    "configures": "config",
    "emails": "email",
    "e-mail": "email",
    "e-mails": "email",
    "mails": "mail",
}
#: Weights of a match: on the tool's name, in its description, on a parameter name.
NAME_WEIGHT, DESCRIPTION_WEIGHT, PARAMETER_WEIGHT = 1.0, 0.45, 0.25
#: Weight of a word that only matches through the synonym table.
SYNONYM_WEIGHT = 0.55


def words(text: str) -> list[str]:
    """Lower-case word tokens of a text (letters of any script, or digit runs)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


@cache
def stem(word: str) -> str:
    """A light suffix-stripping stem: ``flights``, ``flight`` -> ``flight``.

    Both sides of every comparison go through this function, so it need only be
    consistent, not linguistically exact.
    """
    w = word.lower().replace("'", "")
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 3:
        return w
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch")):
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            w = w[: -len(suffix)] + repl
            break
    else:
        if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            w = w[:-1]
    for _ in range(2):  # ordering -> order -> ord, as order -> ord
        for suffix in ("ing", "ist", "er", "or", "ed"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
                    w = w[:-1]  # planning -> plann -> plan
                break
        else:
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def translate(tokens: Sequence[str]) -> tuple[list[str], int]:
    """Word-by-word translation of foreign words; returns the tokens and how many changed.

    Only applied when a description looks foreign (several table hits), so English
    words that happen to be in the table ("budget", "solo") are left alone.
    """
    hits = sum(1 for t in tokens if t in FOREIGN and FOREIGN[t] != t)
    if hits < 2 or hits < 0.15 * len(tokens):
        return list(tokens), 0
    return [FOREIGN.get(t, t) for t in tokens], hits


@cache
def _synonym_map() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in SYNONYMS:
        stems = {stem(w) for w in group}
        for s in stems:
            out.setdefault(s, set()).update(stems - {s})
    return {k: frozenset(v) for k, v in out.items()}


def expand(stems: Iterable[str]) -> dict[str, float]:
    """Stems with their weight: 1.0 as written, ``SYNONYM_WEIGHT`` through a synonym."""
    out: dict[str, float] = {}
    synonyms = _synonym_map()
    for s in stems:
        out[s] = 1.0
    for s in list(out):
        for other in synonyms.get(s, ()):
            out.setdefault(other, SYNONYM_WEIGHT)
    return out


def content_stems(text_or_tokens: str | Sequence[str]) -> list[str]:
    """Stems of the content words (stop words and digits left out), in order."""
    tokens = words(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens
    return [stem(t) for t in tokens if t not in STOPWORDS and not t.isdigit() and len(t) > 1]


def _bag(weighted_texts: Iterable[tuple[str, float]]) -> dict[str, float]:
    bag: dict[str, float] = {}
    for text, weight in weighted_texts:
        for s in content_stems(words(text.replace("_", " "))):
            bag[s] = max(bag.get(s, 0.0), weight)
    return bag


@dataclass(frozen=True)
class ToolProfile:
    """What the matcher knows of one tool.

    Attributes:
        name: the tool's name.
        description: its description.
        mutates: whether it changes the world.
        bag: stem -> weight (name 1.0, description 0.45, parameter names 0.25).
        name_stems: stems of the words of its name, in order.
        object_stems: stems of the words of its name that are not its verb.
    """

    name: str
    description: str
    mutates: bool
    bag: dict[str, float]
    name_stems: tuple[str, ...]
    object_stems: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainIndex:
    """Tools of one domain, ready to be scored against a description's words."""

    name: str
    description: str
    tools: tuple[ToolProfile, ...]
    idf: dict[str, float]

    def tool(self, name: str) -> ToolProfile:
        """The profile of the tool called ``name``."""
        for t in self.tools:
            if t.name == name:
                return t
        raise KeyError(name)

    def tool_scores(self, stems: Sequence[str]) -> dict[str, float]:
        """Score of every tool against a bag of stems (0.0 when nothing matches).

        Each description stem counts once, at its best weight on the tool, times its
        rarity among this domain's tools.
        """
        query = expand(stems)
        scores: dict[str, float] = {}
        for t in self.tools:
            total = 0.0
            for s, q in query.items():
                w = t.bag.get(s)
                if w:
                    total += q * w * self.idf.get(s, 1.0)
            scores[t.name] = total
        return scores

    def segment_score(self, verbs: Sequence[str], objects: Sequence[str]) -> dict[str, float]:
        """Score of every tool against one verb-object phrase ("search and book flights").

        A tool does one thing, so only its best-matching verb counts; every object
        word counts.
        """
        verb_query = expand(verbs)
        object_query = expand(objects)
        scores: dict[str, float] = {}
        for t in self.tools:
            verb = 0.0
            for s, q in verb_query.items():
                w = t.bag.get(s)
                if w:
                    verb = max(verb, q * w * self.idf.get(s, 1.0))
            total = verb
            for s, q in object_query.items():
                w = t.bag.get(s)
                if w:
                    total += q * w * self.idf.get(s, 1.0)
            scores[t.name] = total
        return scores

    def segment_scores(
        self, segments: Sequence[tuple[Sequence[str], Sequence[str]]]
    ) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
        """Scores of every tool against phrases read one by one.

        Returns ``(rank, relative)``. A tool's rank is ``(named, raw)``: ``named`` is 1.0
        when a phrase's object is the object in the tool's name ("emails" for
        ``list_emails``), and ``raw`` is its best score over the phrases. Its relative
        score is the best share it reaches of a phrase's top score.
        """
        rank = {t.name: (0.0, 0.0) for t in self.tools}
        relative = {t.name: 0.0 for t in self.tools}
        # "books and changes hotels" is two phrases: a rare verb must not hide a common one
        phrases = [([v], objects) for verbs, objects in segments for v in verbs]
        phrases += [([], objects) for verbs, objects in segments if not verbs]
        for verbs, objects in phrases:
            scores = self.segment_score(verbs, objects)
            best = max(scores.values(), default=0.0)
            if best <= 0.0:
                continue
            wanted = set(objects)
            for t in self.tools:
                value = scores[t.name]
                named = 1.0 if wanted & set(t.object_stems) and value > 0 else 0.0
                rank[t.name] = max(rank[t.name], (named, value))
                relative[t.name] = max(relative[t.name], value / best)
        return rank, relative

    def matched_tools(self, stems: Sequence[str], *, ratio: float = 0.5) -> list[str]:
        """Tools whose score reaches ``ratio`` times the best score (best first)."""
        scores = self.tool_scores(stems)
        best = max(scores.values(), default=0.0)
        if best <= 0.0:
            return []
        return sorted(
            (n for n, v in scores.items() if v >= ratio * best and v > 0.0),
            key=lambda n: -scores[n],
        )

    def unmatched_stems(self, stems: Sequence[str]) -> list[str]:
        """Stems (as given) that match no tool of this domain, even through synonyms."""
        vocabulary = {s for t in self.tools for s in t.bag}
        vocabulary.update(content_stems(self.name.replace("_", " ") + " " + self.description))
        out = []
        for s in stems:
            if s not in vocabulary and not (set(expand([s])) & vocabulary):
                out.append(s)
        return out


def _object_stems(tool: str) -> tuple[str, ...]:
    from nexgym.synth.lexicon import TOOL_VERBS

    parts = [p for p in tool.split("_") if p]
    if len(parts) > 1 and parts[0] in TOOL_VERBS:
        parts = parts[1:]
    return tuple(stem(p) for p in parts if p not in STOPWORDS)


@cache
def _domain_index(name: str, target: object) -> DomainIndex:
    from nexgym.envs.domains import domain_class

    cls = domain_class(name)
    profiles = []
    for t in cls.tools:
        parts: list[tuple[str, float]] = [
            (t.name, NAME_WEIGHT),
            (t.description, DESCRIPTION_WEIGHT),
        ]
        parts.extend((p, PARAMETER_WEIGHT) for p in t.parameters.get("properties", {}))
        profiles.append(
            ToolProfile(
                name=t.name,
                description=t.description,
                mutates=t.mutates,
                bag=_bag(parts),
                name_stems=tuple(content_stems(words(t.name.replace("_", " ")))),
                object_stems=_object_stems(t.name),
            )
        )
    df: dict[str, int] = {}
    for p in profiles:
        for s in p.bag:
            df[s] = df.get(s, 0) + 1
    n = len(profiles)
    idf = {s: 1.0 + math.log((1 + n) / (1 + c)) for s, c in df.items()}
    return DomainIndex(name, cls.description, tuple(profiles), idf)


def domain_index(name: str) -> DomainIndex:
    """The (cached) index of a registered domain."""
    from nexgym.envs.domains import DOMAINS
    from nexgym.error import UnknownNameError

    if name not in DOMAINS:
        raise UnknownNameError("domain", name, DOMAINS)
    return _domain_index(name, DOMAINS[name])


@dataclass(frozen=True)
class CatalogIndex:
    """Every registered domain as one bag of stems, with rarity across domains."""

    domains: tuple[str, ...]
    bags: dict[str, dict[str, float]]
    sizes: dict[str, int]
    idf: dict[str, float]

    def scores(self, stems: Sequence[str]) -> dict[str, float]:
        """Score of every domain: each description stem counts once, at its best weight."""
        query = expand(stems)
        out = {}
        for d in self.domains:
            bag = self.bags[d]
            out[d] = sum(q * bag[s] * self.idf.get(s, 1.0) for s, q in query.items() if s in bag)
        return out

    def coverage(self, stems: Sequence[str]) -> dict[str, float]:
        """How much of the description each domain names directly (no synonyms).

        Each distinct stem found in the domain's bag counts its rarity once. A
        composite domain covers no more than its parts unless the description names
        both parts' work.
        """
        distinct = set(stems)
        out = {}
        for d in self.domains:
            named = {stem(w) for w in d.split("_")}
            out[d] = sum(
                self.idf.get(s, 1.0) * (3.0 if s in named else 1.0)
                for s in distinct
                if s in self.bags[d]
            )
        return out

    def explained(self, domain: str, stems: Sequence[str]) -> set[str]:
        """The stems of ``stems`` that the domain matches (directly or via synonyms)."""
        bag = self.bags[domain]
        return {s for s in stems if set(expand([s])) & bag.keys()}


@cache
def _catalog_index(registry: tuple[tuple[str, object], ...]) -> CatalogIndex:
    bags: dict[str, dict[str, float]] = {}
    sizes: dict[str, int] = {}
    for name, _ in registry:
        index = _domain_index(name, dict(registry)[name])
        parts: list[tuple[str, float]] = [(name.replace("_", " "), 1.5), (index.description, 1.0)]
        for t in index.tools:
            parts.append((t.name, 0.8))
            parts.append((t.description, 0.35))
        bags[name] = _bag(parts)
        sizes[name] = len(index.tools)
    df: dict[str, int] = {}
    for bag in bags.values():
        for s in bag:
            df[s] = df.get(s, 0) + 1
    n = len(bags)
    idf = {s: 1.0 + math.log((1 + n) / (1 + c)) for s, c in df.items()}
    return CatalogIndex(tuple(sorted(bags)), bags, sizes, idf)


def catalog_index() -> CatalogIndex:
    """The index of the domains a description is matched against (rebuilt on change).

    Those are the hand-written domains and worlds; worlds induced from other texts or
    generated for the catalog are left out, so that one synthesis never steers the next.
    """
    from nexgym.envs.domains import DOMAINS
    from nexgym.envs.worlds.library import hand_written

    return _catalog_index(tuple(sorted(i for i in DOMAINS.items() if hand_written(*i))))
