"""The error synthesis raises when a description cannot be turned into a hierarchy."""

from __future__ import annotations

from nexgym.error import SpecError

__all__ = ["SynthesisError"]


class SynthesisError(SpecError):
    """A description that names things no domain or tool provides, or nothing at all.

    Each problem line names the part of the description that could not be matched
    and what exists instead, e.g. ``'books trains': no tool of domain 'travel'
    matches; its tools are ...``.

    Attributes:
        problems: one line per unmatched part.
        text: the description.
    """

    def __init__(self, problems: list[str] | str, *, text: str = "") -> None:
        super().__init__(problems)
        self.text = text
        body = "\n".join(f"  - {p}" for p in self.problems)
        shown = text if len(text) <= 120 else text[:117] + "..."
        self.args = (f"cannot synthesize a hierarchy from {shown!r}:\n{body}",)
