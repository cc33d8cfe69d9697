"""What a role has seen, and which argument values of a call it has not.

An agent may only state facts it has observed: its task message, its system prompt
(tool schemas included) and the results that came back to it. :class:`SeenText` holds
that text; :func:`unseen_values` names the argument values of a call that appear nowhere
in it. The oracle root uses it to decide when it must first ask a sub-agent to look a
value up, and the catalog test uses it to check that no oracle message states a fact
the oracle has not seen.

Matching rules: numbers match numerically (``501.5`` is seen in ``$501.50``); short
strings (ids, names, paths, quoted lines) must appear whole, case, punctuation and small
words aside (``pool_size = 43`` is seen in "set pool_size to 43"), or, when they hold no
digit, be worded from seen words (``refund to Kestrel Media``); long free text that the
role writes itself (a reply body, a SQL query) is its own prose: only its tokens that
carry facts (digits, ``@``, ``/``) must have been seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["SeenText", "role_seen", "unseen_values"]

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DIGIT_GROUPS = re.compile(r"(?<=\d),(?=\d{3})")
_WORD = re.compile(r"[^\W_]+(?:_[^\W_]+)*")
_FACT_TOKEN = re.compile(r"[\w@/.:-]*[\d@/][\w@/.:-]*")
#: Small words left out when a value is matched loosely ("pool_size = 43" is seen in
#: "set pool_size to 43").
_FILLER = frozenset({"a", "an", "the", "to", "of", "for", "in", "on", "at", "is", "be", "and"})
#: Strings of at least this many words are the role's own prose (see the module doc).
PROSE_WORDS = 6


def _normal(text: str) -> str:
    text = text.replace('\\"', '"').replace("\\'", "'").replace("\\n", "\n").replace("\\t", " ")
    return " ".join(text.lower().split())


def _loose(text: str) -> str:
    return " ".join(w for w in _WORD.findall(text.lower()) if w not in _FILLER)


class SeenText:
    """Text a role has seen, ready for :meth:`has` look-ups.

    Args:
        texts: the pieces it has seen (prompt, task message, tool results).
    """

    def __init__(self, texts: Iterable[str]) -> None:
        raw = "\n".join(texts)
        self.raw = raw
        self.text = _normal(raw)
        self.loose = _loose(raw)
        self.words = set(self.loose.split())
        self.numbers = {float(n) for n in _NUMBER.findall(_DIGIT_GROUPS.sub("", raw))}

    def with_text(self, text: str) -> SeenText:
        """What is seen once ``text`` is seen too (this one is left unchanged)."""
        out = SeenText(())
        out.raw = self.raw + "\n" + text
        out.text = self.text + "\n" + _normal(text)
        loose = _loose(text)
        out.loose = self.loose + "\n" + loose
        out.words = self.words | set(loose.split())
        out.numbers = self.numbers | {
            float(n) for n in _NUMBER.findall(_DIGIT_GROUPS.sub("", text))
        }
        return out

    def has(self, value: Any) -> bool:
        """Whether ``value`` (an argument value: any JSON-able leaf or container) was seen."""
        return not self.missing(value)

    def missing(self, value: Any) -> list[str]:
        """The leaves of ``value`` that were not seen (as short texts)."""
        if value is None or isinstance(value, bool):
            return []
        if isinstance(value, int | float):
            return [] if abs(float(value)) in self.numbers else [repr(value)]
        if isinstance(value, Mapping):
            return [m for v in value.values() for m in self.missing(v)]
        if isinstance(value, list | tuple | set):
            return [m for v in value for m in self.missing(v)]
        text = str(value)
        normal = _normal(text)
        if len(normal) <= 2 or normal in self.text:
            return []
        loose = _loose(text)
        if loose and f" {loose} " in f" {self.loose.replace(chr(10), ' ')} ":
            return []
        words = loose.split()
        if len(normal.split()) >= PROSE_WORDS:  # own prose: only its facts must be seen
            facts = [t.strip(".:/-") for t in _FACT_TOKEN.findall(text)]
            return [t for t in facts if t and not self._has_fact(t)]
        if words and not any(c.isdigit() for c in text) and all(map(self._has_word, words)):
            return []  # worded from seen words, with no number or id of its own
        head, slash, tail = normal.rpartition("/")
        if slash and head and tail and head in self.text and tail in self.text:
            return []  # a seen file name under a seen folder ('/archive/' + 'a.log')
        pieces = [p for p in re.split(r"[:;,]", text) if p.strip()]
        if len(pieces) > 1 and all(self.has(p) for p in pieces):
            return []  # seen facts joined (a git revision 'v0.1:config/app.ini')
        return [text if len(text) <= 60 else text[:57] + "..."]

    def _has_fact(self, token: str) -> bool:
        if _normal(token) in self.text:
            return True
        parts = _WORD.findall(token.lower())
        return bool(parts) and all(
            (float(p) in self.numbers) if p.replace(".", "").isdigit() else self._has_word(p)
            for p in parts
        )

    def _has_word(self, word: str) -> bool:
        """A word seen as is, or in its plural or singular form."""
        return word in self.words or word + "s" in self.words or word.rstrip("s") in self.words


def role_seen(messages: Iterable[Mapping[str, Any]]) -> SeenText:
    """What a role has seen in its chat history: every message but its own actions."""
    return SeenText(str(m.get("content") or "") for m in messages if m.get("role") != "assistant")


def unseen_values(
    arguments: Mapping[str, Any],
    seen: SeenText,
    defaults: Mapping[str, Any] | None = None,
) -> list[str]:
    """Argument values of a call that ``seen`` does not contain.

    Args:
        arguments: the call's arguments.
        seen: what the role has seen.
        defaults: the tool's optional arguments and their defaults. An argument left at
            its default states nothing; an optional number or flag (a page size, a
            limit, an offset) is a setting the caller chooses, not a fact: both skipped.
    """
    out: list[str] = []
    for key, value in arguments.items():
        if (
            defaults is not None
            and key in defaults
            and (defaults[key] == value or isinstance(value, int | float))
        ):
            continue
        out.extend(f"{key}={m}" for m in seen.missing(value))
    return out
