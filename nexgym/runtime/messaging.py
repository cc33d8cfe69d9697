"""Messages between agents: the log every topology keeps, and hybrid workers' mailboxes.

Delegations and sub-agent results are messages too, so the log holds every
inter-agent exchange an episode had (what :func:`nexgym.metrics.message_density` counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MessageBoard", "MessageKind", "MessageRecord"]

MessageKind = Literal["task", "result", "note", "answer"]


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One message between agents.

    Attributes:
        sender: the role that sent it.
        recipient: the role that received it.
        kind: ``task`` (a delegation), ``result`` (a sub-agent's answer to its caller),
            ``note`` (a hybrid worker's message to a peer) or ``answer`` (a peer's
            previous answer shown to another peer in a debate round).
        time: the virtual clock when it was sent.
        turn: the episode's action count when it was sent.
    """

    sender: str
    recipient: str
    kind: MessageKind
    time: float
    turn: int


class MessageBoard:
    """The episode's message log and the notes waiting for each role."""

    def __init__(self) -> None:
        # logging is on the step path: plain tuples there, records built when the log is read
        self._entries: list[tuple[str, str, MessageKind, float, int]] = []
        self._records: list[MessageRecord] = []
        self._mailbox: dict[str, list[str]] = {}

    @property
    def log(self) -> list[MessageRecord]:
        """Every message logged, in order."""
        records, entries = self._records, self._entries
        if len(records) < len(entries):
            records.extend(MessageRecord(*entry) for entry in entries[len(records) :])
        return records

    def record(
        self, sender: str, recipient: str, kind: MessageKind, time: float, turn: int
    ) -> None:
        """Log one message."""
        self._entries.append((sender, recipient, kind, time, turn))

    def post(self, sender: str, recipient: str, text: str, time: float, turn: int) -> None:
        """Log a note and leave it for ``recipient``."""
        self.record(sender, recipient, "note", time, turn)
        self._mailbox.setdefault(recipient, []).append(f"Message from {sender}: {text}")

    def take(self, role: str) -> str:
        """The notes waiting for ``role``, as text to append to its observation ("" if none)."""
        notes = self._mailbox.pop(role, None)  # most roles have none: skip the join then
        return "".join(f"\n\n{note}" for note in notes) if notes else ""
