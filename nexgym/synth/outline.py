"""Read a natural-language hierarchy description into an :class:`Outline`.

The reader is a small, rule-based scanner (no model). It finds role mentions ("a
planner", "two flight specialists", "another"), the relations between them
(delegation: "hands X to Y"; ownership: "with", "oversees"; reporting: "reports to",
"under"), and which words describe each role's work. What it does not resolve it
leaves to :mod:`nexgym.synth.offline`: the domain, the tools, the names.

Constructs it reads::

    a travel desk where a planner hands flights to one specialist and hotels to
    another, and checks the budget itself
    a manager with two leads: a code lead who has a searcher, and an ops lead with
    a config editor and an archivist
    three analysts debate the answer and vote
    a searcher reports to the lead; the lead never deletes files
"""

from __future__ import annotations

import re
import unicodedata

from nexgym.synth.drafts import Duty, Outline, RoleDraft
from nexgym.synth.lexicon import (
    DETERMINERS,
    GENERIC,
    NUMBERS,
    STOPWORDS,
    TEAM_NOUNS,
    TOPOLOGY_CUES,
)
from nexgym.synth.matching import translate
from nexgym.synth.mentions import RELATIVE, head_of, is_modifier
from nexgym.synth.reader import OutlineReader

__all__ = ["Duty", "Outline", "RoleDraft", "read_outline", "tokenize"]

_TOKEN = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+|[.,;:()!?]", re.UNICODE)
_NAME_CUE = re.compile(r"\b(?:called|named)\s+([A-Z][A-Za-z0-9]+)")
_DIFFICULTY = re.compile(
    r"\b(easy|simple|routine|moderate|medium|hard|difficult|complex|demanding)"
    r"(?:,? multi-step)? tasks\b",
    re.IGNORECASE,
)
_DIFFICULTY_LEVEL = {"easy": 1, "simple": 1, "routine": 1, "moderate": 2, "medium": 2}
_DEPTH = re.compile(
    r"\b(\d+|two|three|four|five|six)[- ](?:level|layer|tier)s?\b|"
    r"\b(\d+|two|three|four|five|six) (?:levels|layers|tiers)\b"
)


_NAMED_TOPOLOGIES = {
    "hybrid": r"\bhybrid\b",
    "decentralized": r"\bdecentrali[sz]ed\b",
    "independent": r"\bindependent\b",
    "centralized": r"\bcentrali[sz]ed\b",
}


def tokenize(text: str) -> list[str]:
    """Word and punctuation tokens, as written (case kept)."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text))


def _team_and_persona(tokens: list[str]) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    for i, token in enumerate(tokens):
        if token not in TEAM_NOUNS or head_of(token):
            continue
        mods: list[str] = []
        j = i - 1
        while j >= 0 and len(mods) < 2 and is_modifier(tokens[j]) and not head_of(tokens[j]):
            mods.insert(0, tokens[j])
            j -= 1
        persona: list[str] = []
        k = i + 1
        if k < len(tokens) and tokens[k] in ("for", "at", "of") and k + 1 < len(tokens):
            k += 1
            if tokens[k] in DETERMINERS:
                k += 1
            while (
                k < len(tokens)
                and len(persona) < 4
                and tokens[k].isalpha()
                and tokens[k] not in RELATIVE
                and tokens[k] not in ("where", "with", "in", "whose", "and")
                and head_of(tokens[k]) is None
            ):
                persona.append(tokens[k])
                k += 1
        return (*mods, token), tuple(persona), k
    return (), (), -1


_CUES = {t: re.compile("|".join(f"(?:{c})" for c in cues)) for t, cues in TOPOLOGY_CUES.items()}


def _topology_votes(tokens: list[str]) -> dict[str, float]:
    text = " ".join(tokens)
    votes: dict[str, float] = {}
    for topology, pattern in _CUES.items():
        hits = len(pattern.findall(text))
        if hits:
            votes[topology] = float(hits)
    for topology, named in _NAMED_TOPOLOGIES.items():
        if re.search(named, text):  # naming the topology outweighs cue words
            votes[topology] = votes.get(topology, 0.0) + 3.0
    return votes


def read_outline(text: str) -> Outline:
    """Scan a description into an :class:`Outline` (never raises on any text)."""
    difficulty = None
    match = _DIFFICULTY.search(text)
    scanned = text
    if match:
        difficulty = _DIFFICULTY_LEVEL.get(match.group(1).lower(), 3)
        # drop the sentence that says it: it is about the tasks, not the roles
        start = max(text.rfind(c, 0, match.start()) for c in ".;") + 1
        ends = [i for i in (text.find(c, match.end()) for c in ".;") if i >= 0]
        end = min(ends) + 1 if ends else len(text)
        scanned = text[:start] + " . " + text[end:]
    raw = tokenize(scanned)
    name_match = _NAME_CUE.search(text)
    lowered, translated = translate([t.lower() for t in raw])
    if translated:
        raw = [new if new != old.lower() else old for new, old in zip(lowered, raw, strict=True)]
    reader = OutlineReader(raw)
    reader.run()
    tokens = reader.tokens
    team, persona, persona_end = _team_and_persona(tokens)
    persona_span = range(persona_end - len(persona), persona_end) if persona else range(0)
    depth = None
    match = _DEPTH.search(" ".join(tokens))
    if match:
        word = match.group(1) or match.group(2)
        depth = int(word) if word.isdigit() else NUMBERS.get(word)
    outline = Outline(
        text=" ".join(raw) if translated else text,
        roles=reader.roles,
        exclusions=reader.exclusions,
        topology_votes=_topology_votes(tokens),
        depth=depth,
        team=team,
        persona=persona,
        name=name_match.group(1) if name_match else None,
        content=[
            t
            for k, t in enumerate(tokens)
            if t.isalpha() and t not in STOPWORDS and k not in persona_span
        ],
        translated=translated,
        difficulty=difficulty,
    )
    _fix_cycles(outline)
    _drop_phantoms(outline)
    return outline


_PHANTOM_HEADS = frozenset({"agent", "assistant", "worker", "bot"})


def _drop_phantoms(outline: Outline) -> None:
    """Drop roles that only describe the team ("a single agent team where a planner ...").

    Such a role has a generic noun, no work and no relation, beside roles that do work.
    """
    roles = outline.roles
    related = {r.parent for r in roles} | {i for i, r in enumerate(roles) if r.parent is not None}
    phantoms = [
        i
        for i, r in enumerate(roles)
        if r.head in _PHANTOM_HEADS
        and not r.modifiers
        and not r.is_group
        and i not in related
        and all(w in GENERIC or w in TEAM_NOUNS for d in r.duties for w in d.words)
    ]
    if not phantoms or len(phantoms) == len(roles):
        return
    keep = [i for i in range(len(roles)) if i not in phantoms]
    renumber = {old: new for new, old in enumerate(keep)}
    outline.roles = [roles[i] for i in keep]
    for r in outline.roles:
        r.parent = renumber.get(r.parent) if r.parent is not None else None
        r.group = renumber.get(r.group) if r.group is not None else None


def _fix_cycles(outline: Outline) -> None:
    """Cut parent links that would make a role its own ancestor (odd wording)."""
    for index, role in enumerate(outline.roles):
        seen = {index}
        parent = role.parent
        while parent is not None:
            if parent in seen:
                outline.notes.append(
                    f"'{role.label()}' cannot both report to and manage the same roles; "
                    "made it report to the top role"
                )
                role.parent = None
                break
            seen.add(parent)
            parent = outline.roles[parent].parent
