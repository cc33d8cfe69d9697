"""Messaging and email: one person's mailbox with folders, threads, labels and rules.

This folder holds the tools and the Domain class in :mod:`.domain`, the mailbox and its task
generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.email.domain import (
    MAX_RESULTS,
    SENT_DATE,
    EmailDomain,
    add_label,
    create_rule,
    forward_email,
    list_emails,
    list_folders,
    move_email,
    read_email,
    read_thread,
    reply_email,
    search_emails,
    send_email,
)
from nexgym.envs.domains.email.tasks import (
    Email,
    MailWorld,
)

__all__ = [
    "MAX_RESULTS",
    "SENT_DATE",
    "Email",
    "EmailDomain",
    "MailWorld",
    "add_label",
    "create_rule",
    "forward_email",
    "list_emails",
    "list_folders",
    "move_email",
    "read_email",
    "read_thread",
    "reply_email",
    "search_emails",
    "send_email",
]
