"""Role mentions in a description: "a planner", "two flight specialists", "another".

A mention is an optional determiner or number, up to two modifier words, and a role
noun from :data:`~nexgym.synth.lexicon.ROLE_HEADS` (singular or plural); anaphors
("another", "the other", "one") stand for a new role like the last one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nexgym.synth.lexicon import (
    ADJECTIVES,
    DELEGATION_VERBS,
    DETERMINERS,
    NUMBERS,
    OWNERSHIP_VERBS,
    REPORT_CUES,
    ROLE_HEADS,
    STOPWORDS,
    TEAM_NOUNS,
)

__all__ = [
    "ANAPHORS",
    "MODALS",
    "RELATIVE",
    "VERBAL_HEADS",
    "Mention",
    "find_mention",
    "head_of",
    "is_modifier",
]

RELATIVE = frozenset({"who", "that", "which", "whose"})
ANAPHORS = (
    ("another",),
    ("the", "other"),
    ("a", "second"),
    ("a", "third"),
    ("a", "fourth"),
    ("the", "first"),
    ("the", "second"),
    ("the", "third"),
    ("one",),
)
MODALS = frozenset({"can", "could", "may", "might", "must", "shall", "should", "will", "would"})
#: Role nouns that double as verbs ("the manager leads two teams").
VERBAL_HEADS = frozenset({"lead", "leads", "head", "heads", "review", "reviews"})


@dataclass
class Mention:
    """Where a role is mentioned and how.

    Attributes:
        start: first token.
        end: token after the mention.
        head: the role noun; None for an anaphor without one ("another", "one").
        modifiers: words before the noun ("flight" in "flight specialist").
        count: 1, a number for a group ("two leads"), None for a bare plural.
        definite: "the ..." (may name a role already mentioned).
        anaphor: "another", "the other", "a second" ...
    """

    start: int
    end: int
    head: str | None
    modifiers: tuple[str, ...]
    count: int | None
    definite: bool
    anaphor: bool


def head_of(token: str) -> tuple[str, bool] | None:
    """``(head, plural)`` if the token is a role noun."""
    if token in ROLE_HEADS:
        return token, False
    if token.endswith("s") and token[:-1] in ROLE_HEADS:
        return token[:-1], True
    if token.endswith("es") and token[:-2] in ROLE_HEADS:
        return token[:-2], True
    return None


def is_modifier(token: str) -> bool:
    """Whether a token can stand before a role noun ("flight" in "flight specialist")."""
    return (
        token.isalpha()
        and token not in ADJECTIVES
        and token not in STOPWORDS
        and token not in DELEGATION_VERBS
        and token not in OWNERSHIP_VERBS
        and token not in REPORT_CUES
        and token not in TEAM_NOUNS
        and token not in NUMBERS
        and token not in RELATIVE
    )


def find_mention(
    tokens: Sequence[str], i: int, *, group_open: bool, after_mention: bool
) -> Mention | None:
    """The role mention starting at token ``i``, if any.

    Args:
        tokens: lower-case tokens.
        i: where the mention would start.
        group_open: a group ("two leads") still has unnamed members, so a bare "one"
            names one of them.
        after_mention: a mention ends right before ``i`` (then a bare noun is a verb:
            "the manager leads ...").
    """
    n = len(tokens)
    for phrase in ANAPHORS:
        k = len(phrase)
        if tuple(tokens[i : i + k]) != phrase:
            continue
        j = i + k
        head_mods = _head_after(tokens, j, allow_bare=True)
        if head_mods is not None:
            head, plural, mods, end = head_mods
            return Mention(i, end, head, mods, None if plural else 1, False, True)
        if phrase == ("one",) and (j >= n or tokens[j] in ("of",) or not group_open):
            return None
        return Mention(i, j, None, (), 1, phrase[0] == "the", True)
    token = tokens[i]
    count: int | None = 1
    if token in DETERMINERS or token in NUMBERS or token.isdigit():
        if token in NUMBERS:
            count = NUMBERS[token]
        elif token.isdigit():
            count = int(token)
        j = i + 1
        if j < n and tokens[j] == "of" and token in ("pair", "couple", "trio", "team"):
            j += 1
        if j < n and (tokens[j] in NUMBERS or tokens[j].isdigit()):  # "a team of three"
            count = 1 if tokens[j] == "one" else NUMBERS.get(tokens[j]) or int(tokens[j])
            j += 1
        found = _head_after(tokens, j, allow_bare=True)
        if found is None:
            return None
        head, plural, mods, end = found
        if plural and count == 1 and token != "one":
            count = None
        return Mention(i, end, head, mods, count, token == "the", False)
    prev = tokens[i - 1] if i > 0 else "."
    if after_mention or prev in RELATIVE or prev in MODALS:
        return None
    found = _head_after(tokens, i, allow_bare=True)
    if found is None:
        return None
    head, plural, mods, end = found
    if head in VERBAL_HEADS and not mods:
        return None
    return Mention(i, end, head, mods, None if plural else 1, True, False)


def _head_after(
    tokens: Sequence[str], j: int, *, allow_bare: bool
) -> tuple[str, bool, tuple[str, ...], int] | None:
    mods: list[str] = []
    while j < len(tokens) and len(mods) <= 2:
        found = head_of(tokens[j])
        if found is not None:
            head, plural = found
            # "a flight specialist agent": keep the last head, the rest are modifiers
            nxt = head_of(tokens[j + 1]) if j + 1 < len(tokens) else None
            if nxt is not None and tokens[j + 1] not in VERBAL_HEADS:
                mods.append(tokens[j])
                j += 1
                continue
            if not mods and not allow_bare:
                return None
            if j + 1 < len(tokens) and tokens[j + 1] in TEAM_NOUNS:
                return None  # "a courier service", "a nurse station": the team, not a role
            return head, plural, tuple(mods), j + 1
        # "a team lead", "an office manager": a team noun right before a role noun
        team_word = (
            tokens[j] in TEAM_NOUNS and j + 1 < len(tokens) and head_of(tokens[j + 1]) is not None
        )
        if not is_modifier(tokens[j]) and not team_word:
            return None
        mods.append(tokens[j])
        j += 1
    return None
