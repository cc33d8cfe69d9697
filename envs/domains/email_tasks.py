"""The mailbox of the email domain, its generator and its goal makers.

Plans use either message-level tools (``search_emails``, ``read_email``,
``reply_email``, ``forward_email``, ``move_email``, ``add_label``) or folder, thread
and rule tools (``list_emails``, ``read_thread``, ``send_email``, ``create_rule``).
Every email carries a fact (an invoice total, a tracking number, a meeting room)
that questions ask about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from nexgym.envs.domains.base import Goal, answer_has
from nexgym.envs.domains.names import FIRST_NAMES, LAST_NAMES, NAME_PAIRS
from nexgym.envs.domains.taskgen import FastRng, call, pick, sample

FOLDERS = ("inbox", "archive", "sent", "spam", "trash", "Receipts", "Projects", "Newsletters")
PROJECTS = ("Atlas", "Beacon", "Cobalt", "Driftwood", "Ember", "Falcon")
ROOMS = ("Aurora", "Birch", "Cedar", "Delta", "Harbor")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
SENDERS = (("Northwind Billing", "billing@northwind.example"),
           ("Kestrel Weekly", "news@kestrelmedia.example"),
           ("Lumen Shop", "orders@lumenoptics.example"),
           ("Pioneer Digest", "digest@pioneersolar.example"))  # fmt: skip
T = TypeVar("T")


@dataclass
class Email:
    """One message; ``fact`` is what a question about it expects (not shown to agents)."""

    id: int
    thread: int
    folder: str
    sender: str
    sender_name: str
    to: list[str]
    subject: str
    body: str
    date: str
    labels: list[str] = field(default_factory=list)
    fact: str = ""


@dataclass
class MailWorld:
    """The owner's mailbox: emails by id, folders and filing rules."""

    owner: str
    owner_name: str
    emails: dict[int, Email] = field(default_factory=dict)
    folders: list[str] = field(default_factory=lambda: list(FOLDERS))
    rules: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def copy(self) -> MailWorld:
        """An independent copy (what ``copy.deepcopy`` gives, much faster)."""
        emails = {}
        new = object.__new__
        for key, mail in self.emails.items():
            # ``clone`` inlined, its two lists copied in the new ``__dict__``: twice as fast
            emails[key] = copied = new(Email)
            fields = copied.__dict__
            fields.update(mail.__dict__)
            fields["to"], fields["labels"] = mail.to.copy(), mail.labels.copy()
        return MailWorld(
            owner=self.owner,
            owner_name=self.owner_name,
            emails=emails,
            folders=list(self.folders),
            rules=list(self.rules),
        )

    def deliver(
        self,
        sender_name: str,
        sender: str,
        subject: str,
        body: str,
        date: str = "2026-05-11",
        fact: str = "",
    ) -> Email:
        """Put a new message in the inbox (filing rules apply); returns it."""
        number = max(self.emails, default=0) + 1
        mail = Email(
            number,
            number,
            "inbox",
            sender,
            sender_name,
            [self.owner],
            subject,
            body,
            date,
            fact=fact,
        )
        for rule_sender, folder, label in self.rules:
            if rule_sender == sender:
                mail.folder = folder or mail.folder
                if label and label not in mail.labels:
                    mail.labels.append(label)
        self.emails[number] = mail
        return mail


class _Draws:
    """``pick``, ``sample`` and ``int(rng.integers(low, high))`` on ``rng``, drawn as those do.

    A scalar ``Generator.integers`` call costs microseconds, mostly argument handling,
    and a mailbox takes about a hundred. For numpy's PCG64 this takes the same numbers
    from the raw stream at a fraction of the cost: numpy splits a 64-bit output into two
    32-bit words (low first; the high one is kept for the next draw) and bounds each by
    Lemire's method; ``choice`` without replacement is Floyd's algorithm, then a shuffle.
    :meth:`close` hands a kept word back to ``rng``, so its later draws are unchanged
    too. Other bit generators, or a numpy that draws differently (checked at import),
    get numpy's own calls.
    """

    def __init__(self, rng: np.random.Generator, exact: bool | None = None) -> None:
        self.rng, bits = rng, rng.bit_generator
        self.exact = (_EXACT if exact is None else exact) and type(bits) is np.random.PCG64
        self.raw = bits.random_raw
        self.kept: int | None = None
        self.given: int | None = None
        if self.exact:
            self._load()

    def _load(self) -> None:
        """Take over the word ``rng`` keeps, if any."""
        state = self.rng.bit_generator.state
        self.given = self.kept = state["uinteger"] if state["has_uint32"] else None

    def _word(self) -> int:
        """The next 32-bit word, as numpy's ``next_uint32`` gives it."""
        kept = self.kept
        if kept is not None:
            self.kept = None
            return kept
        raw: int = self.raw()
        self.kept = raw >> 32
        return raw & 0xFFFFFFFF

    def integer(self, low: int, high: int) -> int:
        """An int in ``[low, high)``, as ``int(rng.integers(low, high))`` (at most 2**32 apart)."""
        span = high - low
        if not self.exact:
            return int(self.rng.integers(low, high))
        if not 0 < span <= 1 << 32:
            raise ValueError(f"expected 1 to 2**32 values to draw from, got {span}")
        if span == 1:  # numpy draws nothing
            return low
        scaled = self._word() * span
        if scaled & 0xFFFFFFFF < span:  # maybe biased: Lemire's rejection test
            threshold = ((1 << 32) - span) % span
            while scaled & 0xFFFFFFFF < threshold:
                scaled = self._word() * span
        return low + (scaled >> 32)

    def pick(self, items: Sequence[T]) -> T:
        """One item, as ``pick(rng, items)``."""
        if type(self.rng) is FastRng:
            return pick(self.rng, items)
        return items[self.integer(0, len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """Distinct items in draw order, as ``sample(rng, items, k)``."""
        n, k = len(items), min(k, len(items))
        if type(self.rng) is FastRng and k <= 32:  # Python's generator draws these
            return sample(self.rng, items, k)
        if not self.exact or (n > 10000 and k > n // 50):  # numpy's tail shuffle: its own
            self.close()
            drawn = sample(self.rng, items, k)
            if self.exact:
                self._load()
            return drawn
        chosen: list[int] = []  # numpy's ``choice(n, k, replace=False)``: Floyd's algorithm
        for top in range(n - k, n):
            value = self.integer(0, top + 1)
            chosen.append(top if value in chosen else value)
        for i in range(k - 1, 0, -1):  # then a Fisher-Yates shuffle
            j = self.integer(0, i + 1)
            chosen[i], chosen[j] = chosen[j], chosen[i]
        return [items[i] for i in chosen]

    def close(self) -> None:
        """Leave ``rng`` as numpy's own draws would have: the kept word goes back to it."""
        if self.exact and self.kept != self.given:
            bits = self.rng.bit_generator
            state = dict(bits.state)
            state["has_uint32"], state["uinteger"] = (0, 0) if self.kept is None else (1, self.kept)
            bits.state = state
            self.given = self.kept


def _agrees() -> bool:
    """Whether :class:`_Draws` draws what numpy draws (spans that reject half the time too)."""
    spans = [(0, 7), (9, 17), (10**7, 10**8), (0, 2**31 + 1), (5, 6), (0, 3), (0, 2**32)] * 4
    ours, numpy = np.random.default_rng(7), np.random.default_rng(7)
    samples = ((750, 5), (4, 3), (9, 9), (20000, 500), (20000, 5))
    draws = _Draws(ours, exact=True)
    drawn = [draws.integer(low, high) for low, high in spans]
    chosen = [draws.sample(range(n), k) for n, k in samples]
    draws.close()
    expected = [int(numpy.integers(low, high)) for low, high in spans]
    return (
        drawn == expected
        and chosen == [sample(numpy, range(n), k) for n, k in samples]
        and int(ours.integers(2**20)) == int(numpy.integers(2**20))
    )


#: Whether :class:`_Draws` may draw by itself (numpy draws as it expects).
_EXACT = _agrees()


def _message(draw: _Draws, kind: str, name: str, owner: str, serial: int) -> tuple[str, str, str]:
    """Subject, body and fact of a generated message (``serial`` numbers newsletters)."""
    if kind == "invoice":
        number, total = f"NW-{draw.integer(1000, 9999)}", draw.integer(80, 2400)
        body = (
            f"Hello {owner}, please find invoice {number} attached. The total is ${total} "
            f"and it is due within 30 days. Regards, {name}"
        )
        return f"Invoice {number}", body, str(total)
    if kind == "news":
        topic = draw.pick(("solar roofs", "camera lenses", "city cycling", "remote teams"))
        return f"Issue {serial}: {topic}", f"Our picks on {topic}, plus five quick reads.", ""
    if kind == "shipping":
        order, tracking = draw.integer(10000, 99999), f"TRK{draw.integer(10**7, 10**8)}"
        body = f"Your order {order} is on its way. The tracking number is {tracking}."
        return f"Order {order} has shipped", body, tracking
    project, room = draw.pick(PROJECTS), draw.pick(ROOMS)
    day, time = draw.pick(WEEKDAYS), f"{draw.integer(9, 17)}:{draw.pick(('00', '30'))}"
    body = (
        f"Hi {owner}, can we meet about project {project} on {day} at {time} in the "
        f"{room} room? Thanks, {name}"
    )
    return f"Meeting about project {project} on {day}", body, f"{room}|{day}|{time}"


#: first name -> the (first, last) pairs of everyone else (the owner's colleagues' pool).
_OTHER_PAIRS = {first: tuple(p for p in NAME_PAIRS if p[0] != first) for first in FIRST_NAMES}


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[MailWorld, dict]:
    """A mailbox of 10 + 5 * difficulty emails from colleagues and companies."""
    draw = _Draws(rng)
    first, last = draw.pick(FIRST_NAMES), draw.pick(LAST_NAMES)
    world = MailWorld(f"{first.lower()}.{last.lower()}@example.com", f"{first} {last}")
    people = draw.sample(_OTHER_PAIRS[first], 5)
    colleagues = [(f"{f} {la}", f"{f.lower()}.{la.lower()}@example.com") for f, la in people]
    companies = draw.sample(SENDERS, 2 + difficulty // 2)
    subjects: set[str] = set()
    for i in range(10 + 5 * difficulty):
        day = f"2026-05-{1 + i * 10 // (10 + 5 * difficulty):02d}"
        if i % 3 == 0:
            name, address = draw.pick(companies)
            kind = "news" if "news" in address or "digest" in address else "invoice"
            kind = "shipping" if address.startswith("orders") else kind
        else:
            (name, address), kind = draw.pick(colleagues), ("meeting", "invoice")[i % 3 - 1]
        for _ in range(20):  # subjects name the emails in instructions: keep them unique
            subject, body, fact = _message(draw, kind, name, first, 100 + i)
            if subject not in subjects:
                break
        else:
            subject = f"{subject} ({100 + i})"
        subjects.add(subject)
        world.deliver(name, address, subject, body, day, fact)
    draw.close()
    return world, {"colleagues": colleagues, "companies": [a for _, a in companies]}


def _sender(rng: np.random.Generator, world: MailWorld, facts: dict) -> str:
    """A sender with at least two inbox emails that no other goal uses."""
    counts: dict[str, int] = {}
    for m in world.emails.values():
        if m.folder == "inbox" and m.sender not in facts["touched"]:
            counts[m.sender] = counts.get(m.sender, 0) + 1
    sender = pick(rng, sorted(s for s, n in counts.items() if n >= 2) or sorted(counts))
    facts["touched"].add(sender)
    return sender


def _mail(rng: np.random.Generator, world: MailWorld, facts: dict, kinds: tuple[str, ...]) -> Email:
    """An inbox email of a kind (judged by its subject) whose sender is unused."""
    found = [m for m in world.emails.values() if m.fact and m.subject.split()[0] in kinds]
    free = [m for m in found if m.folder == "inbox" and m.sender not in facts["touched"]]
    mail = pick(rng, free or found)
    facts["touched"].add(mail.sender)
    return mail


def goal_file(rng: np.random.Generator, world: MailWorld, facts: dict) -> Goal:
    """Move a sender's inbox emails into a folder."""
    sender = _sender(rng, world, facts)
    ids = sorted(m.id for m in world.emails.values() if m.sender == sender and m.folder == "inbox")
    if sender.startswith(("news@", "digest@")):
        folder = "Newsletters"
    elif sender.startswith(("billing@", "orders@")):
        folder = "Receipts"
    else:
        folder = pick(rng, ("Projects", "archive"))
    before = {m.id: m.folder for m in world.emails.values()}

    def check(w: MailWorld, answer: str | None) -> bool:
        return all(w.emails[i].folder == (folder if i in ids else f) for i, f in before.items())

    name = world.emails[ids[0]].sender_name
    return Goal(
        text=f"Move every email from {name} <{sender}> in the inbox to the {folder} folder.",
        check=check,
        plans=(
            (
                call("search_emails", query=sender, folder="inbox"),
                *(call("move_email", email_id=i, folder=folder) for i in ids),
            ),
            (
                call("list_emails", folder="inbox"),
                call("create_rule", sender=sender, folder=folder),
            ),
        ),
    )


def goal_label(rng: np.random.Generator, world: MailWorld, facts: dict) -> Goal:
    """Label a sender's inbox emails."""
    sender = _sender(rng, world, facts)
    ids = sorted(m.id for m in world.emails.values() if m.sender == sender and m.folder == "inbox")
    label = pick(rng, ("follow-up", "finance", "important", "read-later"))

    before = set(world.emails)

    def check(w: MailWorld, answer: str | None) -> bool:
        return all(
            (label in m.labels) == (m.id in ids) for m in w.emails.values() if m.id in before
        )

    name = world.emails[ids[0]].sender_name
    return Goal(
        text=f"Add the label '{label}' to every email from {name} <{sender}> in the inbox, "
        "and to no other email.",
        check=check,
        plans=(
            (
                call("search_emails", query=sender, folder="inbox"),
                *(call("add_label", email_id=i, label=label) for i in ids),
            ),
            (call("list_emails", folder="inbox"), call("create_rule", sender=sender, label=label)),
        ),
    )


def sent_to(w: MailWorld, address: str, subject: str, phrases: list[str]) -> bool:
    """Whether a sent email to ``address`` has ``subject`` in its subject and every phrase."""
    return any(
        m.folder == "sent"
        and address in m.to
        and subject.lower() in m.subject.lower()
        and all(p.lower() in m.body.lower() for p in phrases)
        for m in w.emails.values()
    )


def goal_reply(rng: np.random.Generator, world: MailWorld, facts: dict) -> Goal:
    """Reply to a meeting request confirming its day and time."""
    mail = _mail(rng, world, facts, ("Meeting",))
    room, day, time = mail.fact.split("|")
    body = f"Confirmed: {day} at {time} in the {room} room works for me."
    return Goal(
        text=f"Reply to {mail.sender_name}'s email '{mail.subject}' to confirm the meeting, "
        "repeating its day and time in your reply.",
        check=lambda w, answer: sent_to(w, mail.sender, mail.subject, [day, time]),
        plans=(
            (
                call("search_emails", query=mail.subject),
                call("reply_email", email_id=mail.id, body=body),
            ),
            (
                call("read_thread", thread_id=mail.thread),
                call("send_email", to=[mail.sender], subject=f"Re: {mail.subject}", body=body),
            ),
        ),
    )


def goal_forward(rng: np.random.Generator, world: MailWorld, facts: dict) -> Goal:
    """Forward an invoice to a colleague."""
    mail = _mail(rng, world, facts, ("Invoice",))
    name, address = pick(rng, [c for c in facts["colleagues"] if c[1] != mail.sender])
    number = mail.subject.split()[1]
    note = "Please process this invoice."
    return Goal(
        text=f"Forward the email '{mail.subject}' from {mail.sender_name} to {name} <{address}>.",
        check=lambda w, answer: sent_to(w, address, mail.subject, [number]),
        plans=(
            (
                call("search_emails", query=mail.subject),
                call("forward_email", email_id=mail.id, to=[address], note=note),
            ),
            (
                call("read_thread", thread_id=mail.thread),
                call(
                    "send_email",
                    to=[address],
                    subject=f"Fwd: {mail.subject}",
                    body=f"{note}\n\n{mail.body}",
                ),
            ),
        ),
    )


def question_fact(rng: np.random.Generator, world: MailWorld, facts: dict) -> Goal:
    """A fact stated in one email: a total, a tracking number or a meeting room."""
    found = [m for m in world.emails.values() if m.fact and m.folder == "inbox"]
    mail = pick(rng, [m for m in found if m.sender not in facts["touched"]] or found)
    kind = mail.subject.split()[0]
    if kind == "Invoice":
        what, expected = (
            f"total, in dollars, of the invoice in the email '{mail.subject}'",
            mail.fact,
        )
    elif kind == "Order":
        what, expected = f"tracking number given in the email '{mail.subject}'", mail.fact
    else:
        what = f"name of the room proposed in {mail.sender_name}'s email '{mail.subject}'"
        expected = mail.fact.split("|")[0]
    value: str | int = int(expected) if expected.isdigit() else expected
    return Goal(
        text=f"What is the {what}?",
        check=lambda w, answer: answer_has(answer, value),
        plans=(
            (call("search_emails", query=mail.subject), call("read_email", email_id=mail.id)),
            (call("list_emails", folder="inbox"), call("read_thread", thread_id=mail.thread)),
        ),
        answer=expected,
    )
