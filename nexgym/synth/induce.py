"""Induce a world spec from a description that no registered domain fits.

The description's verbs name operations ("registers", "admits", "ships", "moves",
"notes") and the nouns they act on name the entities ("pets", "invoices"). Each
entity gets sensible fields: a name drawn from a fitting pool, a status whose values
follow the verbs that change it ("approves" -> ``approved``), a quantity when things
are moved or counted, an amount when money is named, a date when things are
scheduled; and a reference to the people-like entity when there is one. Every entity
can be looked up, listed and searched, so questions can be asked over it. Words that
fit nowhere are returned as notes; only a description with no work and no roles in it
gives nothing to build from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nexgym.synth.drafts import Outline
from nexgym.synth.errors import SynthesisError
from nexgym.synth.lexicon import (
    ADJECTIVES,
    DELEGATION_VERBS,
    DETERMINERS,
    GENERIC,
    NUMBERS,
    OWNERSHIP_VERBS,
    REPORT_CUES,
    ROLE_HEADS,
    STOPWORDS,
    TEAM_NOUNS,
    word_set,
)

__all__ = ["InducedWorld", "choose_or_induce", "induce_world"]

#: verb -> the status it leaves a record in (a transition).
TRANSITIONS = {
    "approve": "approved", "reject": "rejected", "ship": "shipped", "close": "closed",
    "cancel": "cancelled", "confirm": "confirmed", "book": "booked", "schedule": "scheduled",
    "admit": "admitted", "discharge": "discharged", "treat": "treated", "dispatch": "dispatched",
    "deliver": "delivered", "resolve": "resolved", "escalate": "escalated", "review": "reviewed",
    "sign": "signed", "publish": "published", "release": "released", "lend": "on_loan",
    "return": "returned", "hire": "hired", "onboard": "onboarded", "pay": "paid",
    "archive": "archived", "verify": "verified", "inspect": "inspected", "repair": "repaired",
    "fix": "fixed", "complete": "completed", "finish": "finished", "prepare": "prepared",
    "serve": "served", "cook": "cooked", "clean": "cleaned", "test": "tested",
    "deploy": "deployed", "merge": "merged", "triage": "triaged", "dispense": "dispensed",
    "reserve": "reserved", "renew": "renewed", "suspend": "suspended", "activate": "activated",
    "enrol": "enrolled", "enroll": "enrolled", "grade": "graded", "audit": "audited",
    "process": "processed", "pack": "packed", "pick": "picked", "load": "loaded",
    "harvest": "harvested", "plant": "planted", "accept": "accepted", "check": "checked",
    "file": "filed", "seat": "seated", "invoice": "invoiced", "fulfil": "fulfilled",
    "fulfill": "fulfilled", "submit": "submitted", "assess": "assessed", "diagnose": "diagnosed",
    "vaccinate": "vaccinated", "install": "installed", "collect": "collected", "print": "printed",
    "refund": "refunded", "settle": "settled", "lock": "locked", "unlock": "unlocked",
    "quarantine": "quarantined", "clear": "cleared", "launch": "launched", "stage": "staged",
    "train": "trained", "interview": "interviewed", "design": "designed", "draft": "drafted",
    "open": "open", "start": "started", "board": "boarded", "park": "parked",
    "sell": "sold", "bake": "baked", "brew": "brewed", "wash": "washed", "groom": "groomed",
    "rent": "rented", "lease": "leased", "bill": "billed", "mail": "mailed", "tune": "tuned",
    "paint": "painted", "sew": "sewn", "cut": "cut", "shelve": "shelved", "sort": "sorted",
    "translate": "translated", "edit": "edited", "proofread": "proofread", "claim": "claimed",
    "investigate": "investigated", "evaluate": "evaluated", "handle": "handled",
    "delete": "deleted", "remove": "removed", "retire": "retired", "expire": "expired",
}  # fmt: skip
CREATES = word_set("register add create enter intake log_new open_new welcome order request")
UPDATES = word_set(
    "update set change adjust record correct price rate weigh measure reschedule tag "
    "label rename score estimate"
)
TRANSFERS = word_set("move transfer restock reallocate shift allocate distribute rebalance stock")
NOTES = word_set("note comment annotate message notify remind document")
READS = word_set(
    "find look search list track monitor read view browse query count show answer see "
    "lookup consult watch follow"
)
PEOPLE = word_set(
    "patient client customer member guest student tenant employee hire candidate owner "
    "passenger visitor applicant resident user subscriber donor volunteer player athlete "
    "traveler traveller buyer seller supplier vendor contractor driver pilot"
)
ANIMALS = word_set("pet animal dog cat horse bird cow sheep")
GOODS = word_set(
    "medicine medication drug part product item stock supply supplies ingredient seed "
    "tool material component spare unit box crate pallet package parcel bottle dose ticket"
)
MONEY = word_set("invoice payment fee bill budget price expense claim refund salary order quote")
TIMED = word_set("appointment booking reservation shift meeting session visit class flight event")
#: Words that tell nothing about work objects (beyond the synthesizer's own lists).
_FILLER = word_set(
    "where which who whom whose that then also who's it's work works day days hard easy "
    "ones one two three every each always never sometimes usually often first later next "
    "new old incoming outgoing open closed their its hand hands nobody everyone everybody "
    "someone anyone noone without never except excluding always alone together "
    "independently quickly carefully directly personally itself moderate easy hard tasks"
)


@dataclass
class InducedWorld:
    """A world spec induced from a description, with what could not be placed."""

    spec: dict[str, Any]
    entities: list[str]
    notes: list[str] = field(default_factory=list)
    #: whether the text names operations that change its objects (not only reading)
    acting: bool = True


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _verb(word: str) -> str | None:
    """The base form of a verb the lexicons know, or None."""
    w = word.lower()
    candidates = [w]
    if w.endswith("ies"):
        candidates.append(w[:-3] + "y")
    if w.endswith("es"):
        candidates += [w[:-2], w[:-1]]
    if w.endswith("s"):
        candidates.append(w[:-1])
    if w.endswith("ing"):
        candidates += [w[:-3], w[:-3] + "e"]
    if w.endswith("ed"):
        candidates += [w[:-2], w[:-1]]
    for c in candidates:
        if c in TRANSITIONS or c in CREATES or c in UPDATES or c in TRANSFERS or c in NOTES:
            return c
        if c in READS:
            return c
    return None


def _ident(word: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", word.lower().replace("-", "_"))[:30]


def _skippable(word: str, roles: set[str]) -> bool:
    w = word.lower()
    return (
        w in STOPWORDS or w in DETERMINERS or w in ADJECTIVES or w in NUMBERS or w in GENERIC
        or w in _FILLER or w in TEAM_NOUNS or w in roles or w.rstrip("s") in roles
        or w in DELEGATION_VERBS or w in OWNERSHIP_VERBS or w in REPORT_CUES
        or w in ROLE_HEADS or _singular(w) in ROLE_HEADS or not w.isalpha()
    )  # fmt: skip


def _actions(
    tokens: Sequence[str], roles: set[str]
) -> tuple[list[tuple[list[str], str]], list[str]]:
    """``(verbs, object)`` pairs in order, and the words that fit no pair."""
    pairs: list[tuple[list[str], str]] = []
    verbs: list[str] = []
    unplaced: list[str] = []
    last_verb = -2
    for i, token in enumerate(tokens):
        w = token.lower()
        verb = _verb(w)
        # a verb-like word right after a verb is its object ("lends books"), and so is
        # one after an article or a number ("a files desk", "two orders")
        after_article = i > 0 and (
            tokens[i - 1].lower() in DETERMINERS or tokens[i - 1].lower() in NUMBERS
        )
        if verb is not None and i != last_verb + 1 and not after_article:
            verbs.append(verb)
            last_verb = i
            continue
        if _skippable(w, roles):
            continue
        noun = _singular(w)
        if verbs:
            pairs.append((verbs, noun))
            verbs = []
        elif pairs and noun != pairs[-1][1] and i > 0 and tokens[i - 1].lower() in ("and", "or"):
            # "books appointments and rooms": another object of the same verbs
            pairs.append((pairs[-1][0], noun))
        else:
            unplaced.append(token)
    unplaced.extend(verbs)
    return pairs, unplaced


def _entity(noun: str, verbs: list[str], people: str | None) -> tuple[dict[str, Any], list[dict]]:
    """An entity spec and its tools, from the noun and the verbs acting on it."""
    plural = noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")
    pool = (
        "person" if noun in PEOPLE else "pet" if noun in ANIMALS else
        "item" if noun in GOODS else "code" if noun in MONEY else "title"
    )  # fmt: skip
    fields: list[dict[str, Any]] = [{"name": f"{noun}_name"[:40], "type": "name", "pool": pool}]
    tools: list[dict[str, Any]] = [
        {"name": f"find_{noun}", "op": "lookup", "entity": noun,
         "description": f"Look a {noun} up by id or name."},
        {"name": f"search_{plural}", "op": "search", "entity": noun,
         "description": f"Search {plural} by name."},
    ]  # fmt: skip
    steps = [v for v in dict.fromkeys(verbs) if v in TRANSITIONS]
    filters: list[str] = []
    if steps:
        states = ["pending", *dict.fromkeys(TRANSITIONS[v] for v in steps)]
        states = list(dict.fromkeys(states))
        fields.append({"name": "status", "type": "status", "values": states})
        filters.append("status")
        for i, verb in enumerate(steps):
            target = TRANSITIONS[verb]
            before = [s for s in states[: states.index(target)] if s != target] or [states[0]]
            tools.append({
                "name": f"{verb}_{noun}", "op": "transition", "entity": noun,
                "from": before[-1:], "to": target,
                "description": f"{verb.capitalize()} a {noun} that is {before[-1]}.",
            })  # fmt: skip
            del i
        tools.append({
            "name": f"set_{noun}_status", "op": "update", "entity": noun, "fields": ["status"],
            "description": f"Set a {noun}'s status directly.",
        })  # fmt: skip
    moved = any(v in TRANSFERS for v in verbs) or noun in GOODS
    if moved:
        fields.append({"name": "quantity", "type": "quantity", "min": 1, "max": 50})
        name = next((v for v in verbs if v in TRANSFERS), "move")
        tools.append({
            "name": f"{name}_{noun}_quantity", "op": "transfer", "entity": noun,
            "field": "quantity",
            "description": f"Move quantity of a {noun} from one record to another.",
        })  # fmt: skip
    if noun in MONEY:
        fields.append({"name": "total", "type": "money", "min": 10, "max": 900})
    if noun in TIMED or any(v in ("schedule", "book", "reschedule") for v in verbs):
        fields.append({"name": "due_date", "type": "date"})
        tools.append({
            "name": f"reschedule_{noun}", "op": "update", "entity": noun, "fields": ["due_date"],
            "description": f"Move a {noun} to another date.",
        })  # fmt: skip
    if people and noun != people:
        fields.append({"name": people, "type": "ref", "entity": people})
        filters.append(people)
    if any(v in UPDATES for v in verbs) and not any(
        t["op"] == "update" and "due_date" in t.get("fields", ()) for t in tools
    ):
        if not any(f["type"] == "date" for f in fields):
            fields.append({"name": "due_date", "type": "date"})
        verb = next(v for v in verbs if v in UPDATES)
        tools.append({
            "name": f"{verb}_{noun}", "op": "update", "entity": noun, "fields": ["due_date"],
            "description": f"{verb.capitalize()} a {noun}'s date.",
        })  # fmt: skip
    if any(v in CREATES for v in verbs):
        verb = next(v for v in verbs if v in CREATES)
        create_fields = [f"{noun}_name"[:40]] + ([people] if people and noun != people else [])
        tools.append({
            "name": f"{verb}_{noun}", "op": "create", "entity": noun, "fields": create_fields,
            "description": f"{verb.capitalize()} a new {noun}.",
        })  # fmt: skip
    if any(v in NOTES for v in verbs):
        tools.append({"name": f"note_{noun}", "op": "note", "entity": noun,
                      "description": f"Attach a note to a {noun}."})  # fmt: skip
    tools.insert(1, {"name": f"list_{plural}", "op": "list", "entity": noun, "filters": filters,
                     "description": f"List {plural}" + (" by " + " or ".join(filters) if filters
                                                        else "") + "."})  # fmt: skip
    entity = {"name": noun, "plural": plural, "description": f"a {noun}", "fields": fields}
    return entity, tools


def induce_world(
    text: str, roles: Sequence[str] = (), *, team: Sequence[str] = ()
) -> InducedWorld | None:
    """A world spec (as plain data) from a description, or None when it names no work.

    Args:
        text: the description.
        roles: role head nouns the description names; never taken for work objects.
        team: the words naming the team ("veterinary clinic"), for the world's title.
    """
    role_words = {r.lower() for r in roles}
    tokens = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    pairs, unplaced = _actions(tokens, role_words)
    verbs_of: dict[str, list[str]] = {}
    for verbs, noun in pairs:
        if _ident(noun):
            verbs_of.setdefault(_ident(noun), []).extend(verbs)
    # an object of no operation but reading is kept only if it is all there is
    acting = {n: v for n, v in verbs_of.items() if any(_verb(x) not in READS for x in v)}
    chosen = dict(list((acting or verbs_of).items())[:4])
    notes = [f"could not place {w!r}; it names no operation or object the world has" for w in
             dict.fromkeys(unplaced) if w.lower() not in STOPWORDS][:8]  # fmt: skip
    if not chosen:
        if not roles:
            return None
        chosen = {"work_item": ["review", "approve", "complete", "note"]}
        notes.append("the description names no work objects; built a generic work tracker")
    people = next((n for n in chosen if n in PEOPLE), None)
    entities: list[dict[str, Any]] = []
    tools: list[dict[str, Any]] = []
    order = ([people] if people else []) + [n for n in chosen if n != people]
    for noun in order:
        entity, entity_tools = _entity(noun, chosen[noun], people)
        entities.append(entity)
        tools.extend(entity_tools)
    title = " ".join(team) or " and ".join(order)
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    name = f"w_{_ident('_'.join(order))[:24]}_{digest}"
    spec = {
        "name": name,
        "title": title.capitalize(),
        "description": f"A world of {', '.join(e['plural'] for e in entities)}, induced from: "
        f"{text.strip()[:300]}",
        "entities": entities,
        "tools": tools,
        "metadata": {"source": text.strip(), "synthesizer": "offline-induced"},
    }
    return InducedWorld(spec, order, notes, acting=bool(acting))


def choose_or_induce(outline: Outline, source: str, heads: set[str], notes: list[str]) -> str:
    """The registered domain that fits the text, or a world induced from it (registered).

    A registered domain is kept when it explains at least half of the work objects the
    description names; otherwise (or when none matches at all) a world spec is induced
    from the description's nouns and verbs, compiled, checked and registered.
    """
    from nexgym.envs.worlds.library import build_world_domain
    from nexgym.envs.worlds.spec import WorldSpecError
    from nexgym.synth.assign import choose_domain
    from nexgym.synth.matching import domain_index, stem

    try:
        chosen: str | None = choose_domain(outline.content, text=source, exclude=heads)
        error: SynthesisError | None = None
    except SynthesisError as e:
        chosen, error = None, e
    # the persona ("for a nonprofit") is whom the team works for, not what it works on
    persona = set(outline.persona)
    # outline.text is the description translated word by word when it looked foreign
    words = [w for w in outline.text.split() if w.strip(".,;:!?").lower() not in persona]
    # role titles and their modifiers ("billing specialist") are never work objects
    titles = heads | {w for r in outline.roles for w in r.modifiers}
    induced = induce_world(" ".join(words), sorted(titles), team=outline.team)
    # a text read word by word from another language keeps words no lexicon knows: they
    # are not objects, so a matching domain stands
    if induced is None or (chosen is not None and (not induced.acting or outline.translated)):
        if chosen is None:
            assert error is not None
            raise error
        return chosen
    if chosen is not None:
        stems = [stem(n) for n in induced.entities]
        unexplained = domain_index(chosen).unmatched_stems(stems)
        if len(unexplained) * 2 < len(stems):
            return chosen
    try:
        cls = build_world_domain(induced.spec)
    except WorldSpecError as e:
        raise SynthesisError(
            [
                f"(world): the world induced from the text is not executable: {p}"
                for p in e.problems
            ],
            text=source,
        ) from e
    notes.append(
        f"no registered domain fits; induced world {cls.name!r} with "
        f"{', '.join(e.plural_name for e in cls.world_spec.entities)}"
    )
    notes.extend(induced.notes)
    return cls.name
