"""Document research over a local corpus of generated policy reports.

This folder holds the tools and the Domain class in :mod:`.domain`, the corpus and its task
generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.research.domain import (
    MAX_NOTE,
    ResearchDomain,
    add_quote_to_note,
    list_docs,
    list_notes,
    list_sections,
    quote,
    read_doc,
    read_section,
    save_note,
    search_docs,
)
from nexgym.envs.domains.research.tasks import (
    Document,
    ResearchWorld,
)

__all__ = [
    "MAX_NOTE",
    "Document",
    "ResearchDomain",
    "ResearchWorld",
    "add_quote_to_note",
    "list_docs",
    "list_notes",
    "list_sections",
    "quote",
    "read_doc",
    "read_section",
    "save_note",
    "search_docs",
]
