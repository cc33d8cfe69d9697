"""The mailbox of the email domain, its generator and its goal makers.

Plans use either message-level tools (``search_emails``, ``read_email``,
``reply_email``, ``forward_email``, ``move_email``, ``add_label``) or folder, thread
and rule tools (``list_emails``, ``read_thread``, ``send_email``, ``create_rule``).
Every email carries a fact (an invoice total, a tracking number, a meeting room)
that questions ask about.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, pick, sample
from nexgym.envs.domains.kit.names import FIRST_NAMES, LAST_NAMES, NAME_PAIRS
from nexgym.envs.domains.kit.taskgen import call

FOLDERS = ("inbox", "archive", "sent", "spam", "trash", "Receipts", "Projects", "Newsletters")
PROJECTS = ("Atlas", "Beacon", "Cobalt", "Driftwood", "Ember", "Falcon")
ROOMS = ("Aurora", "Birch", "Cedar", "Delta", "Harbor")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
SENDERS = (("Northwind Billing", "billing@northwind.example"),
           ("Kestrel Weekly", "news@kestrelmedia.example"),
           ("Lumen Shop", "orders@lumenoptics.example"),
           ("Pioneer Digest", "digest@pioneersolar.example"))  # fmt: skip


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
        """An independent copy (what ``copy.deepcopy`` gives, without its generic dispatch)."""
        emails = {
            key: replace(mail, to=mail.to.copy(), labels=mail.labels.copy())
            for key, mail in self.emails.items()
        }
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


def _message(
    rng: np.random.Generator, kind: str, name: str, owner: str, serial: int
) -> tuple[str, str, str]:
    """Subject, body and fact of a generated message (``serial`` numbers newsletters)."""
    if kind == "invoice":
        number, total = f"NW-{integer(rng, 1000, 9999)}", integer(rng, 80, 2400)
        body = (
            f"Hello {owner}, please find invoice {number} attached. The total is ${total} "
            f"and it is due within 30 days. Regards, {name}"
        )
        return f"Invoice {number}", body, str(total)
    if kind == "news":
        topic = pick(rng, ("solar roofs", "camera lenses", "city cycling", "remote teams"))
        return f"Issue {serial}: {topic}", f"Our picks on {topic}, plus five quick reads.", ""
    if kind == "shipping":
        order, tracking = integer(rng, 10000, 99999), f"TRK{integer(rng, 10**7, 10**8)}"
        body = f"Your order {order} is on its way. The tracking number is {tracking}."
        return f"Order {order} has shipped", body, tracking
    project, room = pick(rng, PROJECTS), pick(rng, ROOMS)
    day, time = pick(rng, WEEKDAYS), f"{integer(rng, 9, 17)}:{pick(rng, ('00', '30'))}"
    body = (
        f"Hi {owner}, can we meet about project {project} on {day} at {time} in the "
        f"{room} room? Thanks, {name}"
    )
    return f"Meeting about project {project} on {day}", body, f"{room}|{day}|{time}"


#: first name -> the (first, last) pairs of everyone else (the owner's colleagues' pool).
_OTHER_PAIRS = {first: tuple(p for p in NAME_PAIRS if p[0] != first) for first in FIRST_NAMES}


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[MailWorld, dict]:
    """A mailbox of 10 + 5 * difficulty emails from colleagues and companies."""
    first, last = pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES)
    world = MailWorld(f"{first.lower()}.{last.lower()}@example.com", f"{first} {last}")
    people = sample(rng, _OTHER_PAIRS[first], 5)
    colleagues = [(f"{f} {la}", f"{f.lower()}.{la.lower()}@example.com") for f, la in people]
    companies = sample(rng, SENDERS, 2 + difficulty // 2)
    subjects: set[str] = set()
    for i in range(10 + 5 * difficulty):
        day = f"2026-05-{1 + i * 10 // (10 + 5 * difficulty):02d}"
        if i % 3 == 0:
            name, address = pick(rng, companies)
            kind = "news" if "news" in address or "digest" in address else "invoice"
            kind = "shipping" if address.startswith("orders") else kind
        else:
            (name, address), kind = pick(rng, colleagues), ("meeting", "invoice")[i % 3 - 1]
        for _ in range(20):  # subjects name the emails in instructions: keep them unique
            subject, body, fact = _message(rng, kind, name, first, 100 + i)
            if subject not in subjects:
                break
        else:
            subject = f"{subject} ({100 + i})"
        subjects.add(subject)
        world.deliver(name, address, subject, body, day, fact)
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
        text=f"Forward the email '{mail.subject}' from {mail.sender_name} to {name} <{address}> "
        f"with the note '{note}'",
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
