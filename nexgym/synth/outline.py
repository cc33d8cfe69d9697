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
from dataclasses import dataclass, field

from nexgym.synth.lexicon import (
    ADJECTIVES,
    DELEGATION_VERBS,
    DETERMINERS,
    EXCLUSION_CUES,
    GENERIC,
    NUMBERS,
    OWNERSHIP_VERBS,
    REFLEXIVES,
    REPORT_CUES,
    REST_CUES,
    ROLE_HEADS,
    STOPWORDS,
    TEAM_NOUNS,
    TOPOLOGY_CUES,
)
from nexgym.synth.matching import translate

__all__ = ["Duty", "Outline", "RoleDraft", "read_outline", "tokenize"]

_TOKEN = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+|[.,;:()!?]", re.UNICODE)
_SENTENCE_END = frozenset(".;!?")
_RELATIVE = frozenset({"who", "that", "which", "whose"})
_DUTY_INTRO = {
    ("for",),
    ("responsible", "for"),
    ("in", "charge", "of"),
    ("handling",),
    ("to", "handle"),
    ("dedicated", "to"),
    ("focused", "on"),
    ("focusing", "on"),
    ("covering",),
    ("doing",),
}
_ANAPHORS = {
    ("another",),
    ("the", "other"),
    ("a", "second"),
    ("a", "third"),
    ("a", "fourth"),
    ("the", "first"),
    ("the", "second"),
    ("the", "third"),
    ("one",),
}
_PRONOUNS = frozenset({"it", "he", "she", "they", "this", "which"})
_ELABORATION = frozenset({":", "("})
_MODALS = frozenset({"can", "could", "may", "might", "must", "shall", "should", "will", "would"})
#: Heads that double as verbs ("the manager leads two teams").
_VERBAL_HEADS = frozenset({"lead", "leads", "head", "heads", "review", "reviews"})
_NEGATIONS = {("does", "not"), ("do", "not"), ("must", "not"), ("cannot",), ("can't",)}
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


@dataclass
class Duty:
    """A phrase saying what a role does.

    Attributes:
        words: the content words as written (lower case).
        keep: said with "itself": the role does it rather than delegating it.
    """

    words: tuple[str, ...]
    keep: bool = False


@dataclass
class RoleDraft:
    """One role as the description mentions it.

    Attributes:
        head: the role noun ("specialist").
        modifiers: words before the head ("flight" in "flight specialist").
        position: token index of the mention.
        count: 1 for one agent; n > 1 for a group ("two leads"); None for an
            unspecified plural ("specialists").
        parent: index of the role it works for (None: top level).
        duties: what it does.
        exclusive: "only ...": it gets nothing beyond its duties.
        takes_rest: "handles the rest": it gets every tool nobody else holds.
        group: index of the group this role elaborates ("two leads: a code lead ...").
    """

    head: str
    modifiers: tuple[str, ...]
    position: int
    count: int | None = 1
    parent: int | None = None
    duties: list[Duty] = field(default_factory=list)
    exclusive: bool = False
    takes_rest: bool = False
    group: int | None = None
    filled: int = 0

    @property
    def is_group(self) -> bool:
        """Whether the mention stands for several agents."""
        return self.count is None or self.count > 1

    def label(self) -> str:
        """The words of the mention, e.g. "flight specialist"."""
        return " ".join((*self.modifiers, self.head))


@dataclass
class Outline:
    """What the description says, before domains and tools are chosen.

    Attributes:
        text: the description (translated word by word if it looked foreign).
        roles: the role mentions, in order.
        exclusions: phrases of work nobody may do ("never deletes files").
        topology_votes: cue strength per topology.
        depth: levels asked for ("a three-level team"), if any.
        team: the words naming the whole hierarchy ("travel desk"), if any.
        persona: who the hierarchy works for ("a hospital pharmacy"), if any.
        name: an explicit CamelCase name ("called TravelDesk"), if any.
        content: the content words of the description, persona left out (for picking
            the domain).
        translated: how many foreign words were translated.
        notes: things the reader noticed and could not honour.
        difficulty: the task difficulty it is meant for ("hard tasks" -> 3), if said.
    """

    text: str
    roles: list[RoleDraft] = field(default_factory=list)
    exclusions: list[tuple[str, ...]] = field(default_factory=list)
    topology_votes: dict[str, float] = field(default_factory=dict)
    depth: int | None = None
    team: tuple[str, ...] = ()
    persona: tuple[str, ...] = ()
    name: str | None = None
    content: list[str] = field(default_factory=list)
    translated: int = 0
    notes: list[str] = field(default_factory=list)
    difficulty: int | None = None


def _head_of(token: str) -> tuple[str, bool] | None:
    """``(head, plural)`` if the token is a role noun."""
    if token in ROLE_HEADS:
        return token, False
    if token.endswith("s") and token[:-1] in ROLE_HEADS:
        return token[:-1], True
    if token.endswith("es") and token[:-2] in ROLE_HEADS:
        return token[:-2], True
    return None


def _is_modifier(token: str) -> bool:
    return (
        token.isalpha()
        and token not in ADJECTIVES
        and token not in STOPWORDS
        and token not in DELEGATION_VERBS
        and token not in OWNERSHIP_VERBS
        and token not in REPORT_CUES
        and token not in TEAM_NOUNS
        and token not in NUMBERS
        and token not in _RELATIVE
    )


@dataclass
class _Mention:
    start: int
    end: int
    head: str | None  # None: an anaphor without a head ("another", "one")
    modifiers: tuple[str, ...]
    count: int | None
    definite: bool
    anaphor: bool


class _Reader:
    """The scanner's state while it walks the tokens once, left to right."""

    def __init__(self, raw: list[str]) -> None:
        self.raw = raw
        self.tokens = [t.lower() for t in raw]
        self.roles: list[RoleDraft] = []
        self.exclusions: list[tuple[str, ...]] = []
        self.subject: int | None = None
        self.last_subject: int | None = None
        self.relative: int | None = None
        self.mode: str | None = None
        self.mode_role: int | None = None
        self.pending: list[str] = []
        self.excluding = False
        self.rest = False
        self.only = False
        self.elaborating: int | None = None
        self.last_mention: tuple[int, int] | None = None  # (role, token end)
        self.muted = False  # inside a sentence about the roles collectively
        self._mentions: dict[tuple[int, bool, bool], _Mention | None] = {}

    # -- mentions ----------------------------------------------------------------------

    def mention_at(self, i: int) -> _Mention | None:
        """The role mention starting at token ``i``, if any."""
        if i >= len(self.tokens):
            return None
        # only "one" depends on an open group, and only a bare head on the previous mention
        group_open = self.tokens[i] == "one" and self._group_open()
        key = (i, group_open, self.last_mention is not None and self.last_mention[1] == i)
        if key not in self._mentions:
            self._mentions[key] = self._mention_at(i)
        return self._mentions[key]

    def _mention_at(self, i: int) -> _Mention | None:
        tokens = self.tokens
        n = len(tokens)
        for phrase in _ANAPHORS:
            k = len(phrase)
            if tuple(tokens[i : i + k]) != phrase:
                continue
            j = i + k
            head_mods = self._head_after(j, allow_bare=True)
            if head_mods is not None:
                head, plural, mods, end = head_mods
                return _Mention(i, end, head, mods, None if plural else 1, False, True)
            if phrase == ("one",) and (j >= n or tokens[j] in ("of",)):
                return None
            if phrase == ("one",) and not self._group_open():
                return None
            return _Mention(i, j, None, (), 1, phrase[0] == "the", True)
        token = tokens[i]
        count: int | None = 1
        definite = token == "the"
        if token in DETERMINERS or token in NUMBERS or token.isdigit():
            if token in NUMBERS:
                count = NUMBERS[token]
            elif token.isdigit():
                count = int(token)
            j = i + 1
            if j < n and tokens[j] == "of" and token in ("pair", "couple", "trio", "team"):
                j += 1
            if j < n and (tokens[j] in NUMBERS or tokens[j].isdigit()):
                count = NUMBERS.get(tokens[j]) or int(tokens[j]) if tokens[j] != "one" else 1
                j += 1
            found = self._head_after(j, allow_bare=True)
            if found is None:
                return None
            head, plural, mods, end = found
            if plural and count == 1 and token not in ("one",):
                count = None
            return _Mention(i, end, head, mods, count, definite, False)
        prev = tokens[i - 1] if i > 0 else "."
        after_mention = self.last_mention is not None and self.last_mention[1] == i
        if not after_mention and prev not in _RELATIVE and prev not in _MODALS:
            found = self._head_after(i, allow_bare=True)
            if found is None:
                return None
            head, plural, mods, end = found
            if head in _VERBAL_HEADS and not mods:
                return None
            return _Mention(i, end, head, mods, None if plural else 1, True, False)
        return None

    def _head_after(
        self, j: int, *, allow_bare: bool
    ) -> tuple[str, bool, tuple[str, ...], int] | None:
        tokens = self.tokens
        mods: list[str] = []
        while j < len(tokens) and len(mods) <= 2:
            found = _head_of(tokens[j])
            if found is not None:
                head, plural = found
                # "a flight specialist agent": keep the last head, the rest are modifiers
                nxt = _head_of(tokens[j + 1]) if j + 1 < len(tokens) else None
                if nxt is not None and tokens[j + 1] not in _VERBAL_HEADS:
                    mods.append(tokens[j])
                    j += 1
                    continue
                if not mods and not allow_bare:
                    return None
                return head, plural, tuple(mods), j + 1
            if not _is_modifier(tokens[j]):
                return None
            mods.append(tokens[j])
            j += 1
        return None

    def _group_open(self) -> bool:
        return any(r.is_group and r.count is not None and r.filled < r.count for r in self.roles)

    # -- attribution -------------------------------------------------------------------

    def target(self) -> int | None:
        if self.relative is not None:
            return self.relative
        if self.mode in ("delegate", "own") and self.mode_role is not None:
            return self.mode_role
        return self.subject

    def flush(self, *, keep: bool = False, to: int | None = None) -> None:
        words = tuple(self.pending)
        self.pending = []
        if self.muted:
            self.rest = self.only = self.excluding = False
            return
        if self.excluding:
            if words:
                self.exclusions.append(words)
            self.excluding = False
            return
        role = to if to is not None else self.target()
        if role is None:
            self.rest = self.only = False
            return
        draft = self.roles[role]
        if words:
            draft.duties.append(Duty(words, keep))
        if self.rest:
            draft.takes_rest = True
        if self.only:
            draft.exclusive = True
        self.rest = self.only = False

    def new_role(self, m: _Mention) -> tuple[int, bool]:
        """The role a mention names: an existing one ("the planner") or a new one."""
        head = m.head
        if head is None:  # "another", "the other", "one": same head as the open group
            group = self._open_group()
            if group is not None:
                head = self.roles[group].head
            elif self.last_mention is not None:
                head = self.roles[self.last_mention[0]].head
            else:
                head = "agent"
        if m.definite and not m.anaphor:
            for index, r in enumerate(self.roles):
                same = r.head == head and (not m.modifiers or r.modifiers == m.modifiers)
                if same and not r.is_group:
                    return index, False
        self.roles.append(RoleDraft(head, m.modifiers, m.start, m.count))
        return len(self.roles) - 1, True

    def fill_group(self, index: int, actor: int | None) -> bool:
        """Let a new single role fill a slot of an open group ("two leads: a code lead")."""
        role = self.roles[index]
        if role.is_group:
            return False
        candidates = []
        if self.elaborating is not None:
            candidates.append(self.elaborating)
        same_head = self._open_group(role.head)
        if same_head is not None:
            candidates.append(same_head)
        for group in candidates:
            g = self.roles[group]
            if g.count is None or g.filled >= g.count or group == index:
                continue
            if g.head == role.head or actor is None or actor == g.parent:
                g.filled += 1
                role.group = group
                role.parent = g.parent
                return True
        return False

    def _open_group(self, head: str | None = None) -> int | None:
        for index in range(len(self.roles) - 1, -1, -1):
            r = self.roles[index]
            if (
                r.is_group
                and r.count is not None
                and r.filled < r.count
                and (head is None or r.head == head)
            ):
                return index
        return None

    def on_mention(self, m: _Mention) -> None:
        tokens = self.tokens
        prev = tokens[m.start - 1] if m.start > 0 else "."
        if m.definite and m.count is None and not m.anaphor and self.roles:
            # "the workers also cross-check ...": the roles already named, not new ones
            self.flush()
            self.subject = self.relative = self.mode = self.mode_role = None
            self.muted = True
            return
        index, is_new = self.new_role(m)
        role = self.roles[index]
        if self.excluding:
            self.excluding = False
            self.pending = []
        actor = self.mode_role if self.mode in ("delegate", "own") else None
        if is_new and self.fill_group(index, actor):
            if self.mode == "delegate" and prev == "to":
                self.flush(to=index)
            elif actor is None:
                self.flush()
                self.subject = index
            else:
                self.flush()
                self.mode = self.mode_role = None
            self.relative = None
        elif self.mode == "delegate" and prev == "to":
            if actor is not None and index != actor and (is_new or role.parent is None):
                role.parent = actor
            if self.pending or self.rest:
                self.flush(to=index)
        elif self.mode == "delegate":
            if actor is not None and index != actor and role.parent is None:
                role.parent = actor
            self.flush()
            self.relative = index
        elif self.mode == "own":
            self.flush()
            if actor is not None and index != actor and role.group is None:
                role.parent = actor
            self.relative = None
        elif self.mode == "report":
            reporter = self.mode_role
            if reporter is not None and reporter != index:
                self.roles[reporter].parent = index
            self.mode = None
            self.relative = None
        else:
            self.flush()
            self.subject = index
            self.relative = None
        self.last_mention = (index, m.end)
        nxt = tokens[m.end] if m.end < len(tokens) else "."
        if nxt in _ELABORATION or nxt == "namely":
            if role.is_group:
                self.elaborating = index
        elif (
            nxt in _RELATIVE
            or any(tuple(tokens[m.end : m.end + len(p)]) == p for p in _DUTY_INTRO)
            or (self.mode in ("delegate", "own") and _is_modifier(nxt) and index != self.subject)
        ):
            self.relative = index

    def actor_at(self, i: int) -> int | None:
        """Who performs a verb at token ``i``.

        The relative clause's role, else the role mentioned just before, else the
        clause's subject.
        """
        if self.relative is not None:
            return self.relative
        if self.last_mention is not None and self.last_mention[1] == i:
            return self.last_mention[0]
        return self.subject

    def on_word(self, i: int) -> int:
        """Handle a non-mention token; returns how many tokens it used."""
        tokens = self.tokens
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else "."
        if token in _SENTENCE_END:
            self.flush()
            self.muted = False
            self.last_subject = self.subject if self.subject is not None else self.last_subject
            self.subject = self.relative = self.mode_role = self.mode = None
            self.elaborating = None
            return 1
        if token == ",":
            if self.relative is not None:
                self.flush()
                if self.clause_ends(i + 1):
                    self.relative = None
            elif self.mode != "delegate":
                self.flush()
            return 1
        if token == "and" or token == "or":
            if self.mention_at(i + 1) is not None:
                self.flush()
                self.relative = None if self.mode != "delegate" else self.relative
            return 1
        if token == ")":
            self.elaborating = None
            return 1
        if token in _PRONOUNS and self.subject is None and self.last_subject is not None:
            self.subject = self.last_subject
            return 1
        if self.subject is None and self.last_subject is not None and token not in _RELATIVE:
            self.subject = self.last_subject
        if token in _RELATIVE:
            if self.last_mention is not None and self.last_mention[1] >= i - 1:
                self.flush()
                self.relative = self.last_mention[0]
            return 1
        if token in DELEGATION_VERBS and self.delegates(i):
            self.flush()
            actor = self.actor_at(i)
            self.mode, self.mode_role, self.relative = "delegate", actor, None
            return 1
        if token in ("between", "among") and self.mode == "delegate":
            self.mode = "own"
            return 1
        if token in OWNERSHIP_VERBS and self.mention_ahead(i + 1):
            self.flush()
            actor = self.actor_at(i)
            if token in ("lead", "leads", "head", "heads") and actor is None:
                self.pending.append(token)
                return 1
            self.mode, self.mode_role, self.relative = "own", actor, None
            return 1
        if token in REPORT_CUES or (token == "works" and nxt == "for"):
            if token == "answers" and nxt != "to":
                self.pending.append(token)
                return 1
            self.flush()
            reporter = self.relative
            if reporter is None and self.last_mention is not None:
                reporter = self.last_mention[0]
            self.mode, self.mode_role, self.relative = "report", reporter, None
            return 2 if nxt in ("to", "for") else 1
        if token in REFLEXIVES:
            actor = self.relative if self.relative is not None else self.mode_role
            if actor is None or self.mode not in ("delegate", "own"):
                actor = self.target()
            self.flush(keep=True, to=actor)
            return 1
        if token in EXCLUSION_CUES or (token, nxt) in _NEGATIONS or (token,) in _NEGATIONS:
            if token in ("no", "nobody") or token in EXCLUSION_CUES:
                self.flush()
                self.excluding = True
                return 1
            self.flush()
            self.excluding = True
            return 2 if (token, nxt) in _NEGATIONS else 1
        if token == "no" and nxt == "one":
            self.flush()
            self.excluding = True
            return 2
        if token == "only":
            self.only = True
            return 1
        if token in REST_CUES or (token == "all" and nxt in ("other", "others")):
            if token in ("rest", "remaining", "remainder") or nxt in ("else", "other", "others"):
                self.rest = True
            return 1
        if token.isalpha() and token not in STOPWORDS and token not in _RELATIVE:
            self.pending.append(token)
        return 1

    def delegates(self, i: int) -> bool:
        """Whether a delegation verb at ``i`` delegates rather than names work.

        "hands flights to a clerk" delegates; "sends, replies and forwards emails" is work.
        """
        tokens = self.tokens
        if self.mode == "delegate" and i > 0 and tokens[i - 1] in (",", "and", "or"):
            return False
        if self.mention_at(i + 1) is not None:
            return True
        for j in range(i + 1, len(tokens) - 1):
            if tokens[j] in _SENTENCE_END:
                return False
            if tokens[j] in ("to", "between", "among") and self.mention_at(j + 1) is not None:
                return True
        return False

    def clause_ends(self, i: int) -> bool:
        """Whether a relative clause ends before token ``i``.

        "a clerk who lists, gets and sets devices" goes on; "a planner, who checks
        budgets, hands ..." ends.
        """
        tokens = self.tokens
        if i >= len(tokens):
            return True
        j = i + 1 if tokens[i] in ("and", "or", "but", "then") else i
        if j >= len(tokens):
            return True
        token = tokens[j]
        return (
            self.mention_at(j) is not None
            or (token in DELEGATION_VERBS and self.delegates(j))
            or (token in OWNERSHIP_VERBS and self.mention_ahead(j + 1))
            or token in REPORT_CUES
            or token in _RELATIVE
            or token in _SENTENCE_END
            or token in REFLEXIVES
            or token in ("it", "they", "he", "she")
        )

    def mention_ahead(self, i: int) -> bool:
        """Whether a role mention starts right at token ``i`` ("with a reader")."""
        return i < len(self.tokens) and self.mention_at(i) is not None

    def run(self) -> None:
        i = 0
        n = len(self.tokens)
        while i < n:
            m = self.mention_at(i)
            if m is not None and self._is_role_position(m):
                self.on_mention(m)
                i = m.end
                continue
            i += self.on_word(i)
        self.flush()

    def _is_role_position(self, m: _Mention) -> bool:
        # "one" alone is an anaphor only where a group is open ("two leads: one ...")
        return not (
            m.anaphor
            and m.head is None
            and self.tokens[m.start] == "one"
            and not self._group_open()
        )


def _team_and_persona(tokens: list[str]) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    for i, token in enumerate(tokens):
        if token not in TEAM_NOUNS or _head_of(token):
            continue
        mods: list[str] = []
        j = i - 1
        while j >= 0 and len(mods) < 2 and _is_modifier(tokens[j]) and not _head_of(tokens[j]):
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
                and tokens[k] not in _RELATIVE
                and tokens[k] not in ("where", "with", "in", "whose", "and")
                and _head_of(tokens[k]) is None
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
    reader = _Reader(raw)
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
