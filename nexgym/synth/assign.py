"""Choosing the domain, grouping tools and dealing them out to roles.

These are the matching decisions of the offline synthesizer, kept apart from the
reading of the text (:mod:`nexgym.synth.outline`) and from the building of the spec
(:mod:`nexgym.synth.offline`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from nexgym.synth.errors import SynthesisError
from nexgym.synth.lexicon import (
    DELEGATION_VERBS,
    GENERIC,
    OWNERSHIP_VERBS,
    REPORT_CUES,
    ROLE_HEADS,
    STOPWORDS,
    TEAM_NOUNS,
    TOOL_VERBS,
    word_set,
)
from nexgym.synth.matching import DomainIndex, catalog_index, domain_index, stem

__all__ = [
    "choose_domain",
    "duty_segments",
    "duty_stems",
    "explicit_tool_names",
    "group_tools",
    "object_label",
    "tool_phrase",
]

#: Words of coordination and debate: they say how a role works, not with which tools.
_ORCHESTRATION = frozenset(
    stem(w)
    for w in word_set(
        """
        coordinate delegate split divide combine merge review verify oversee
        supervise manage check checks plan decide debate vote discuss agree
        compare collect gather consolidate aggregate approve sign assemble final
        finally together talk talks solve solves solving
        parallel independent independently separately alone consensus majority cross
        answer answers
        """
    )
)
_GENERIC_STEMS = frozenset(stem(w) for w in GENERIC | TEAM_NOUNS) | {"question"}
#: Words of a tool name that name an aspect rather than the object ("file_info").
_ASPECTS = word_set(
    """
    info summary details detail status count stats by in to from of
    """
)
_SNAKE_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_VERB_STEMS = frozenset(stem(v) for v in TOOL_VERBS)
#: Words that relate roles to each other, not to the domain's work.
_RELATION_WORDS = DELEGATION_VERBS | OWNERSHIP_VERBS | REPORT_CUES | ROLE_HEADS


def duty_stems(words: Iterable[str]) -> list[str]:
    """Stems of the words of a duty that can point at tools (in order, no repeats)."""
    out: list[str] = []
    for w in words:
        if w in STOPWORDS or (w.endswith("ly") and not w.endswith("ply") and len(w) > 4):
            continue
        s = stem(w)
        if s in _GENERIC_STEMS or s in _ORCHESTRATION or len(s) < 2:
            continue
        out.append(s)
    return out


def duty_segments(
    words: Sequence[str], index: DomainIndex | None = None
) -> list[tuple[list[str], list[str]]]:
    """Split a duty into ``(verbs, object)`` segments, as stems.

    "get orders, get customers and list customer orders" reads as three segments,
    ``([get], [order])``, ``([get], [custom])``, ``([list], [custom, order])``; "list,
    read and escalate tickets" is one: the verbs share their object. With a domain
    index, a word its tool names use as an object ("refunds" in ``issue_refund``) is
    an object even if it can be a verb.
    """
    verb_stems: frozenset[str] | set[str] = _VERB_STEMS
    if index is not None:
        # a word is a verb where it starts more tool names than it ends as an object:
        # "book" (book_flight, book_hotel) but not "file" (file_info, read_file, ...)
        leads: dict[str, int] = {}
        ends: dict[str, int] = {}
        for t in index.tools:
            if "_" in t.name:
                first = stem(t.name.split("_")[0])
                leads[first] = leads.get(first, 0) + 1
            for s in t.object_stems:
                ends[s] = ends.get(s, 0) + 1
        verb_stems = {
            s
            for s in set(leads) | _VERB_STEMS
            if leads.get(s, 0) > ends.get(s, 0)
            or (leads.get(s, 0) == ends.get(s, 0) and s in _VERB_STEMS)
        }
    segments: list[tuple[list[str], list[str]]] = []
    verbs: list[str] = []
    objects: list[str] = []
    for w in words:
        s = stem(w)
        separator = s in verb_stems or s in _ORCHESTRATION
        if separator and objects:  # a verb after an object starts the next phrase
            segments.append((verbs, objects))
            verbs, objects = [], []
        if not duty_stems([w]):
            continue
        if s in verb_stems and not (not objects and s in verbs):
            verbs.append(s)
        else:
            objects.append(s)
    if verbs or objects:
        segments.append((verbs, objects))
    # "updates and deletes schedules": a last word left without an object is the object
    out = []
    for verbs, objects in segments:
        if not objects and len(verbs) > 1:
            verbs, objects = verbs[:-1], verbs[-1:]
        out.append((verbs, objects))
    return out


def head_stems(head: str) -> list[str]:
    """Stems of a role noun that name work ("reader" -> read); empty for "manager"."""
    generic = {
        "planner",
        "manager",
        "lead",
        "leader",
        "head",
        "coordinator",
        "orchestrator",
        "supervisor",
        "director",
        "boss",
        "chief",
        "specialist",
        "expert",
        "agent",
        "worker",
        "assistant",
        "helper",
        "analyst",
        "clerk",
        "member",
        "peer",
        "teammate",
        "colleague",
        "solver",
        "bot",
        "officer",
        "operator",
        "associate",
        "intern",
        "representative",
        "rep",
        "engineer",
        "developer",
        "moderator",
        "judge",
        "arbiter",
        "referee",
        "owner",
        "handler",
        "consultant",
        "advisor",
        "adviser",
        "administrator",
        "admin",
    }
    return [] if head in generic or head not in ROLE_HEADS else [stem(head)]


def explicit_tool_names(text: str) -> list[str]:
    """snake_case names written in the description (``read_file``): tool names."""
    return list(dict.fromkeys(_SNAKE_NAME.findall(text)))


def choose_domain(content: Sequence[str], *, text: str, exclude: Iterable[str] = ()) -> str:
    """The registered domain that best explains the description's words.

    Raises:
        SynthesisError: when no domain matches any word, listing the domains.
    """
    index = catalog_index()
    skipped = set(exclude)
    stems = [
        s
        for s in (stem(w) for w in content if not _relation_word(w) and w not in skipped)
        if s not in _GENERIC_STEMS and s not in _ORCHESTRATION
    ]
    for name in explicit_tool_names(text):
        stems.extend(stem(w) for w in name.split("_"))
    scores = index.scores(stems)
    best = max(scores.values(), default=0.0)
    if best <= 0.0:
        listing = "; ".join(f"{d} ({domain_index(d).description})" for d in index.domains)
        hint = ""
        letters = [c for c in text if c.isalpha()]
        if letters and sum(1 for c in letters if ord(c) > 0x24F) > 0.5 * len(letters):
            hint = " The description does not look like English, Spanish, French or German;"
            hint += " describe the hierarchy in English."
        raise SynthesisError(
            f"(domain): no part of the description names the work of any domain.{hint} "
            f"Name what the agents work on; the domains are: {listing}",
            text=text,
        )
    # the domain that names most of the description's words directly; among equals,
    # the smallest (a composite only when both of its parts are named), then the score
    coverage = index.coverage(stems)
    top = max(coverage.values())
    tied = [d for d, v in coverage.items() if v >= top - 1e-9 and scores[d] > 0.0]
    return min(tied, key=lambda d: (index.sizes[d], -scores[d], d))


def _relation_word(word: str) -> bool:
    """Whether a word relates roles ("hands", "oversees", "specialists"), not work."""
    return word in _RELATION_WORDS or (word.endswith("s") and word[:-1] in ROLE_HEADS)


def object_words(tool: str) -> list[str]:
    """The words of a tool's name that name its object, as written.

    ``create_purchase_order`` -> ``["purchase", "order"]``.
    """
    parts = tool.split("_")
    if parts and stem(parts[0]) in _VERB_STEMS:
        parts = parts[1:]
    words = [p for p in parts if p not in _ASPECTS and not p.isdigit()]
    return words or parts or [tool]


def _object_key(tool: str) -> str:
    return stem(object_words(tool)[-1])


def object_label(tools: Sequence[str]) -> str:
    """The object most of the tools act on, as one word ("flight"), or "" if none."""
    if not tools:
        return ""
    counts: dict[str, int] = {}
    surface: dict[str, str] = {}
    for t in tools:
        key = _object_key(t)
        counts[key] = counts.get(key, 0) + 1
        word = object_words(t)[-1]
        surface.setdefault(key, _singular(word))
    key = max(counts, key=lambda k: (counts[k], -list(counts).index(k)))
    return surface[key]


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


#: Words that take no plural "s" in a phrase ("list people", "check file info").
_UNCOUNTED = word_set(
    """
    people data info status busy news staff media stock mail
    """
)


def plural(word: str) -> str:
    """A naive English plural ("flight" -> "flights", "policy" -> "policies")."""
    if word in _UNCOUNTED:
        return word
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word if word.endswith("s") and not word.endswith("ss") else word + "es"
    return word + "s"


def tool_phrase(tools: Sequence[str], *, third_person: bool = False) -> str:
    """What a set of tools does, e.g. "search and book flights, and check room summaries"."""
    by_object: dict[str, list[str]] = {}
    for t in tools:
        parts = t.split("_")
        if stem(parts[0]) in _VERB_STEMS:
            verb, words = parts[0], object_words(t)
        else:  # "room_summary": every word of the name is the object
            verb, words = "check", parts
        last = words[-1] if words[-1] in _UNCOUNTED else plural(_singular(words[-1]))
        obj = " ".join([*words[:-1], last])
        verbs = by_object.setdefault(obj, [])
        if verb not in verbs:
            verbs.append(verb)
    clauses = []
    for obj, verbs in by_object.items():
        if third_person:
            verbs = [_third(v) for v in verbs]
        clauses.append(f"{_join(verbs)} {obj}")
    return _join(clauses, sep=", ")


def _third(verb: str) -> str:
    if verb.endswith("y") and verb[-2:-1] not in tuple("aeiou"):
        return verb[:-1] + "ies"
    if verb.endswith(("s", "x", "ch", "sh", "o")):
        return verb + "es"
    return verb + "s"


def _join(items: Sequence[str], sep: str = ", ") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return sep.join(items[:-1]) + f"{sep.strip()} and {items[-1]}"


def group_tools(index: DomainIndex, tools: Sequence[str], k: int | None = None) -> list[list[str]]:
    """Split tools into ``k`` groups that read as jobs: by object, then by read/write.

    Without ``k``, one group per object. Groups keep the domain's tool order; fewer
    than ``k`` groups come back only when there are fewer than ``k`` tools.
    """
    tools = list(tools)
    groups: dict[str, list[str]] = {}
    for t in tools:
        groups.setdefault(_object_key(t), []).append(t)
    out = list(groups.values())
    if k is None:
        return out
    k = max(1, min(k, len(tools)))
    while len(out) > k:
        out.sort(key=len)
        smallest = out.pop(0)
        partner = max(
            range(len(out)), key=lambda i: (_affinity(index, smallest, out[i]), -len(out[i]))
        )
        out[partner] = out[partner] + smallest
    while len(out) < k:
        out.sort(key=len, reverse=True)
        largest = out.pop(0)
        reads = [t for t in largest if not index.tool(t).mutates]
        writes = [t for t in largest if index.tool(t).mutates]
        if not reads or not writes:
            half = (len(largest) + 1) // 2
            reads, writes = largest[:half], largest[half:]
        out.extend([reads, writes])
    order = {t.name: i for i, t in enumerate(index.tools)}
    for g in out:
        g.sort(key=lambda t: order.get(t, 0))
    out.sort(key=lambda g: order.get(g[0], 0))
    return out


def _affinity(index: DomainIndex, a: Sequence[str], b: Sequence[str]) -> float:
    bag_a: set[str] = set()
    for t in a:
        bag_a.update(index.tool(t).bag)
    bag_b: set[str] = set()
    for t in b:
        bag_b.update(index.tool(t).bag)
    return len(bag_a & bag_b) / max(1, len(bag_a | bag_b))


def unknown_tool_problems(names: Sequence[str], index: DomainIndex) -> list[str]:
    """Problems for snake_case names in the text that are not tools of the domain.

    Names of domains and names that end in a role noun (``flight_specialist``) are
    not tool names and pass.
    """
    from nexgym.envs.domains import DOMAINS

    known = [t.name for t in index.tools]
    problems = []
    for name in names:
        last = name.rsplit("_", 1)[-1]
        if name in known or name in DOMAINS or last in ROLE_HEADS or last.rstrip("s") in ROLE_HEADS:
            continue
        close = difflib.get_close_matches(name, known, n=2, cutoff=0.5)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        problems.append(
            f"'{name}': domain {index.name!r} has no tool of that name; {hint}"
            f"its tools are: {', '.join(known)}"
        )
    return problems
