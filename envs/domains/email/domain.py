"""Messaging and email: one person's mailbox with folders, threads, labels and rules.

Tasks: file a sender's emails into a folder, label them, reply to a meeting request,
forward an invoice, and questions about facts stated in emails. Every goal has two
tool-disjoint plans (message by message, or folder listings, threads and rules).
"""

from __future__ import annotations

from typing import Any

from nexgym.envs.domains.email import tasks
from nexgym.envs.domains.email.tasks import Email, MailWorld
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

MAX_RESULTS = 30
SENT_DATE = "2026-05-11"


def _email(world: MailWorld, email_id: int) -> Email:
    if email_id not in world.emails:
        raise ToolError(f"no email {email_id}; list_emails or search_emails show email ids")
    return world.emails[email_id]


def _folder(world: MailWorld, folder: str) -> str:
    for known in world.folders:
        if known.lower() == folder.strip().lower():
            return known
    raise ToolError(f"no folder {folder!r}; expected one of: {', '.join(world.folders)}")


def _summary(mail: Email) -> dict[str, Any]:
    return {
        "email_id": mail.id,
        "thread_id": mail.thread,
        "from": f"{mail.sender_name} <{mail.sender}>",
        "subject": mail.subject,
        "date": mail.date,
        "folder": mail.folder,
        "labels": list(mail.labels),
    }


def _full(mail: Email) -> dict[str, Any]:
    return {**_summary(mail), "to": list(mail.to), "body": mail.body}


def _send(
    world: MailWorld, to: list[str], subject: str, body: str, thread: int | None = None
) -> Email:
    if not to or any("@" not in a for a in to):
        raise ToolError(f"expected one or more email addresses in 'to', got {to!r}")
    if not subject.strip() or not body.strip():
        raise ToolError("expected a non-empty subject and body")
    number = max(world.emails, default=0) + 1
    mail = Email(
        number,
        thread or number,
        "sent",
        world.owner,
        world.owner_name,
        [a.strip().lower() for a in to],
        subject.strip(),
        body.strip(),
        SENT_DATE,
    )
    world.emails[number] = mail
    return mail


@tool
def list_folders(world: MailWorld) -> list[dict[str, Any]]:
    """List folders and how many emails each holds."""
    return [
        {"folder": f, "emails": sum(1 for m in world.emails.values() if m.folder == f)}
        for f in world.folders
    ]


@tool
def list_emails(
    world: MailWorld, folder: str = "inbox", label: str | None = None
) -> list[dict[str, Any]]:
    """List the emails of a folder, newest first (sender, subject, date, labels; no bodies).

    Args:
        folder: the folder, e.g. "inbox" or "Receipts".
        label: only emails with this label.
    """
    name = _folder(world, folder)
    found = [m for m in world.emails.values() if m.folder == name and label in (None, *m.labels)]
    return [_summary(m) for m in sorted(found, key=lambda m: (m.date, m.id), reverse=True)][
        :MAX_RESULTS
    ]


@tool
def search_emails(world: MailWorld, query: str, folder: str | None = None) -> list[dict[str, Any]]:
    """Find emails whose sender, subject or body contains a text (case-insensitive).

    Args:
        query: the text, e.g. a name, an address or words of a subject.
        folder: only search this folder (all folders if omitted).
    """
    needle = query.strip().lower()
    if not needle:
        raise ToolError("expected a non-empty query")
    name = _folder(world, folder) if folder else None
    found = [
        m
        for m in world.emails.values()
        if name in (None, m.folder)
        and needle in f"{m.sender_name} {m.sender} {m.subject} {m.body}".lower()
    ]
    return [_summary(m) for m in found][:MAX_RESULTS]


@tool
def read_email(world: MailWorld, email_id: int) -> dict[str, Any]:
    """Return one email in full.

    Args:
        email_id: the email's id.
    """
    return _full(_email(world, email_id))


@tool
def read_thread(world: MailWorld, thread_id: int) -> list[dict[str, Any]]:
    """Return every email of a conversation in full, oldest first.

    Args:
        thread_id: the thread's id (shown by list_emails).
    """
    found = [m for m in world.emails.values() if m.thread == thread_id]
    if not found:
        raise ToolError(f"no thread {thread_id}; list_emails shows thread ids")
    return [_full(m) for m in sorted(found, key=lambda m: m.id)]


@tool(mutates=True)
def send_email(world: MailWorld, to: list[str], subject: str, body: str) -> dict[str, Any]:
    """Send a new email (it is kept in the sent folder).

    Args:
        to: recipients' email addresses.
        subject: the subject line.
        body: the message text.
    """
    return _summary(_send(world, to, subject, body))


@tool(mutates=True)
def reply_email(world: MailWorld, email_id: int, body: str) -> dict[str, Any]:
    """Reply to the sender of an email, in the same thread.

    Args:
        email_id: the email to answer.
        body: the reply's text.
    """
    mail = _email(world, email_id)
    subject = mail.subject if mail.subject.lower().startswith("re:") else f"Re: {mail.subject}"
    return _summary(_send(world, [mail.sender], subject, body, thread=mail.thread))


@tool(mutates=True)
def forward_email(world: MailWorld, email_id: int, to: list[str], note: str = "") -> dict[str, Any]:
    """Forward an email, with an optional note above the original text.

    Args:
        email_id: the email to forward.
        to: recipients' email addresses.
        note: a short message put before the forwarded text.
    """
    mail = _email(world, email_id)
    body = f"{note}\n\n---------- Forwarded message ----------\nFrom: {mail.sender}\n{mail.body}"
    return _summary(_send(world, to, f"Fwd: {mail.subject}", body.strip()))


@tool(mutates=True)
def move_email(world: MailWorld, email_id: int, folder: str) -> str:
    """Move an email to a folder.

    Args:
        email_id: the email's id.
        folder: the destination folder, e.g. "archive".
    """
    mail, name = _email(world, email_id), _folder(world, folder)
    mail.folder = name
    return f"moved email {email_id} to {name}"


@tool(mutates=True)
def add_label(world: MailWorld, email_id: int, label: str) -> str:
    """Add a label to an email.

    Args:
        email_id: the email's id.
        label: the label, e.g. "follow-up".
    """
    mail, text = _email(world, email_id), label.strip().lower()
    if not text:
        raise ToolError("expected a non-empty label")
    if text not in mail.labels:
        mail.labels.append(text)
    return f"email {email_id} labels: {', '.join(mail.labels)}"


@tool(mutates=True)
def create_rule(
    world: MailWorld, sender: str, folder: str | None = None, label: str | None = None
) -> str:
    """Create a filing rule for a sender; it applies to their inbox emails now and to new mail.

    Args:
        sender: the sender's email address.
        folder: move matching emails to this folder.
        label: add this label to matching emails.
    """
    address = sender.strip().lower()
    if "@" not in address:
        raise ToolError(f"expected the sender's email address, got {sender!r}")
    if folder is None and not label:
        raise ToolError("expected a folder, a label or both for the rule to apply")
    name = _folder(world, folder) if folder else None
    tag = label.strip().lower() if label else None
    world.rules.append((address, name, tag))
    matched = [m for m in world.emails.values() if m.sender == address and m.folder == "inbox"]
    for mail in matched:
        mail.folder = name or mail.folder
        if tag and tag not in mail.labels:
            mail.labels.append(tag)
    return f"rule created; it applied to {len(matched)} inbox email(s) from {address}"


class EmailDomain(GeneratedDomain):
    """A mailbox with folders, threads, labels and filing rules."""

    name = "email"
    description = "an email mailbox with folders, threads, labels and filing rules"
    tools = (
        list_folders,
        list_emails,
        search_emails,
        read_email,
        read_thread,
        send_email,
        reply_email,
        forward_email,
        move_email,
        add_label,
        create_rule,
    )
    makers = (
        tasks.goal_file,
        tasks.goal_label,
        tasks.goal_reply,
        tasks.goal_forward,
        tasks.question_fact,
    )
    new_world = staticmethod(tasks.new_world)

    def preamble(self, facts: dict[str, Any]) -> str:
        """Whose mailbox it is."""
        return "You manage this mailbox on its owner's behalf."

    def copy_world(self, world: MailWorld) -> MailWorld:
        """A deep copy of the world (built directly: ``copy.deepcopy`` is slow)."""
        return world.copy()

    def check_invariants(self, world: MailWorld) -> list[str]:
        """Emails sit in known folders, threads start with an existing email, ids are unique."""
        problems = []
        for m in world.emails.values():
            if m.folder not in world.folders:
                problems.append(f"email {m.id} is in unknown folder {m.folder!r}")
            if m.thread not in world.emails:
                problems.append(f"email {m.id} belongs to missing thread {m.thread}")
            if len(set(m.labels)) != len(m.labels):
                problems.append(f"email {m.id} repeats a label")
        return problems

    def candidate_calls(self, world: MailWorld) -> list[ToolCall]:
        """Folder listings, reading each email and thread, searching each sender."""
        calls = [call("list_folders")] + [call("list_emails", folder=f) for f in world.folders[:3]]
        for sender in sorted({m.sender for m in world.emails.values()}):
            calls.append(call("search_emails", query=sender))
        for m in sorted(world.emails.values(), key=lambda m: m.id):
            calls += [call("read_email", email_id=m.id), call("read_thread", thread_id=m.thread)]
        return calls
