"""The rule-based scanner that reads a description's roles, relations and duties.

It walks the tokens once, left to right, keeping the clause's subject, the role a
relative clause is about ("a clerk who ..."), and the relation a verb opened:
delegation ("hands X to Y": X is Y's work, Y works for the subject), ownership
("with", "oversees": the next roles work for the subject) or reporting ("reports to",
"under"). Content words wait in a buffer until it is clear whose work they are.
"""

from __future__ import annotations

from nexgym.synth.drafts import Duty, RoleDraft
from nexgym.synth.lexicon import (
    DELEGATION_VERBS,
    EXCLUSION_CUES,
    OWNERSHIP_VERBS,
    REFLEXIVES,
    REPORT_CUES,
    REST_CUES,
    STOPWORDS,
)
from nexgym.synth.mentions import RELATIVE, Mention, find_mention, is_modifier

__all__ = ["SENTENCE_END", "OutlineReader"]

SENTENCE_END = frozenset(".;!?")
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
_PRONOUNS = frozenset({"it", "he", "she", "they", "this", "which"})
_ELABORATION = frozenset({":", "("})
_NEGATIONS = {("does", "not"), ("do", "not"), ("must", "not"), ("cannot",), ("can't",)}


class OutlineReader:
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
        #: the role a negation is about ("the reader never ..."); None: nobody may
        self.excluding_role: int | None = None
        self.rest = False
        self.only = False
        self.elaborating: int | None = None
        self.last_mention: tuple[int, int] | None = None  # (role, token end)
        self.muted = False  # inside a sentence about the roles collectively
        self._mentions: dict[tuple[int, bool, bool], Mention | None] = {}

    # -- mentions ----------------------------------------------------------------------

    def mention_at(self, i: int) -> Mention | None:
        """The role mention starting at token ``i``, if any."""
        if i >= len(self.tokens):
            return None
        # only "one" depends on an open group, and only a bare head on the previous mention
        group_open = self.tokens[i] == "one" and self._group_open()
        key = (i, group_open, self.last_mention is not None and self.last_mention[1] == i)
        if key not in self._mentions:
            self._mentions[key] = find_mention(
                self.tokens, i, group_open=self._group_open(), after_mention=key[2]
            )
        return self._mentions[key]

    def _group_open(self) -> bool:
        return any(r.is_group and r.count is not None and r.filled < r.count for r in self.roles)

    # -- attribution -------------------------------------------------------------------

    def target(self) -> int | None:
        """The role the buffered words belong to, as things stand."""
        if self.relative is not None:
            return self.relative
        if self.mode in ("delegate", "own") and self.mode_role is not None:
            return self.mode_role
        return self.subject

    def flush(self, *, keep: bool = False, to: int | None = None) -> None:
        """Give the buffered words to ``to`` (or :meth:`target`) as one duty."""
        words = tuple(self.pending)
        self.pending = []
        if self.muted:
            self.rest = self.only = self.excluding = False
            return
        if self.excluding:
            if words and self.excluding_role is not None:
                self.roles[self.excluding_role].forbidden.append(words)
            elif words:
                self.exclusions.append(words)
            self.excluding = False
            self.excluding_role = None
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

    def new_role(self, m: Mention) -> tuple[int, bool]:
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

    def on_mention(self, m: Mention) -> None:
        """Handle a role mention: relate it to the clause and open what it starts."""
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
            nxt in RELATIVE
            or any(tuple(tokens[m.end : m.end + len(p)]) == p for p in _DUTY_INTRO)
            or (self.mode in ("delegate", "own") and is_modifier(nxt) and index != self.subject)
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
        if token in SENTENCE_END:
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
        if self.subject is None and self.last_subject is not None and token not in RELATIVE:
            self.subject = self.last_subject
        if token in RELATIVE:
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
                # "the reader never ...": that role; "nobody ...", "without ...": everyone
                self.excluding_role = self.target() if token == "never" else None
                return 1
            self.flush()
            self.excluding = True
            # "the reader never changes files": that role only, not the whole team
            self.excluding_role = self.target()
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
        if token.isalpha() and token not in STOPWORDS and token not in RELATIVE:
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
            if tokens[j] in SENTENCE_END:
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
            or token in RELATIVE
            or token in SENTENCE_END
            or token in REFLEXIVES
            or token in ("it", "they", "he", "she")
        )

    def mention_ahead(self, i: int) -> bool:
        """Whether a role mention starts right at token ``i`` ("with a reader")."""
        return i < len(self.tokens) and self.mention_at(i) is not None

    def run(self) -> None:
        """Read every token."""
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

    def _is_role_position(self, m: Mention) -> bool:
        # "one" alone is an anaphor only where a group is open ("two leads: one ...")
        return not (
            m.anaphor
            and m.head is None
            and self.tokens[m.start] == "one"
            and not self._group_open()
        )
