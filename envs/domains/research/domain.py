"""Document research over a local corpus of generated policy reports.

Every report has a title, an author, a year and sections (Summary, Background,
Methods, Findings, Limitations); findings state one percentage per city. Tasks ask
for a reported figure, which report covers a city, how many reports an author wrote
and when a topic was first studied, or to save a note quoting a finding verbatim.
Every goal has two tool-disjoint plans (full-text search and reading, or the catalog
with section reading and quoting).
"""

from __future__ import annotations

from typing import Any

from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call
from nexgym.envs.domains.research import tasks
from nexgym.envs.domains.research.tasks import Document, ResearchWorld

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

MAX_NOTE = 4000


def _doc(world: ResearchWorld, doc_id: str) -> Document:
    key = doc_id.strip().upper()
    if key not in world.docs:
        raise ToolError(f"no document {doc_id!r}; list_docs or search_docs show ids like 'DOC-03'")
    return world.docs[key]


def _entry(doc: Document) -> dict[str, Any]:
    return {"doc_id": doc.id, "title": doc.title, "author": doc.author, "year": doc.year}


def _sentence(doc: Document, phrase: str) -> tuple[str, str]:
    """The first (section, sentence) of a report containing a phrase."""
    needle = phrase.strip().lower()
    if not needle:
        raise ToolError("expected a non-empty phrase")
    for heading, sentences in doc.sections:
        for sentence in sentences:
            if needle in sentence.lower():
                return heading, sentence
    raise ToolError(f"{doc.id} does not contain {phrase!r}; read it or try a shorter phrase")


@tool
def list_docs(
    world: ResearchWorld, author: str | None = None, year: int | None = None
) -> list[dict[str, Any]]:
    """List the corpus: id, title, author and year of each report.

    Args:
        author: only reports by this author (full name).
        year: only reports published this year.
    """
    who = author.strip().lower() if author else None
    return [
        _entry(d)
        for d in world.docs.values()
        if who in (None, d.author.lower()) and year in (None, d.year)
    ]


@tool
def search_docs(world: ResearchWorld, keyword: str) -> list[dict[str, Any]]:
    """Find reports whose title, author or text contains a keyword (case-insensitive).

    Args:
        keyword: a word or phrase, e.g. a city, a topic or a name.
    """
    needle = keyword.strip().lower()
    if not needle:
        raise ToolError("expected a non-empty keyword")
    hits = [(d, d.text().lower().count(needle)) for d in world.docs.values()]
    return [{**_entry(d), "hits": n} for d, n in hits if n]


@tool
def read_doc(world: ResearchWorld, doc_id: str) -> str:
    """Return the full text of a report.

    Args:
        doc_id: the report's id, e.g. "DOC-03".
    """
    return _doc(world, doc_id).text()


@tool
def list_sections(world: ResearchWorld, doc_id: str) -> list[str]:
    """List the section headings of a report.

    Args:
        doc_id: the report's id.
    """
    return [heading for heading, _ in _doc(world, doc_id).sections]


@tool
def read_section(world: ResearchWorld, doc_id: str, section: str) -> str:
    """Return the text of one section of a report.

    Args:
        doc_id: the report's id.
        section: the heading, e.g. "Findings".
    """
    doc = _doc(world, doc_id)
    for heading, sentences in doc.sections:
        if heading.lower() == section.strip().lower():
            return " ".join(sentences)
    headings = ", ".join(h for h, _ in doc.sections)
    raise ToolError(f"{doc.id} has no section {section!r}; expected one of: {headings}")


@tool
def quote(world: ResearchWorld, doc_id: str, phrase: str) -> dict[str, str]:
    """Return the full sentence of a report that contains a phrase, with its citation.

    Args:
        doc_id: the report's id.
        phrase: words from the sentence, e.g. "In Lisbon,".
    """
    doc = _doc(world, doc_id)
    heading, sentence = _sentence(doc, phrase)
    return {
        "sentence": sentence,
        "section": heading,
        "citation": f"{doc.author} ({doc.year}), {doc.title}",
    }


@tool(mutates=True)
def save_note(world: ResearchWorld, title: str, text: str) -> str:
    """Save a note, replacing any note with the same title.

    Args:
        title: the note's title.
        text: the note's text.
    """
    if not title.strip() or not text.strip():
        raise ToolError("expected a non-empty title and text")
    if len(text) > MAX_NOTE:
        raise ToolError(f"expected a note of at most {MAX_NOTE} characters, got {len(text)}")
    world.notes[title.strip()] = text.strip()
    return f"saved note {title.strip()!r}"


@tool(mutates=True)
def add_quote_to_note(world: ResearchWorld, note_title: str, doc_id: str, phrase: str) -> str:
    """Append a report's sentence containing a phrase, with its citation, to a note.

    The note is created if it does not exist yet.

    Args:
        note_title: the note's title.
        doc_id: the report to quote.
        phrase: words from the sentence to quote.
    """
    doc = _doc(world, doc_id)
    _, sentence = _sentence(doc, phrase)
    title = next(
        (t for t in world.notes if t.lower() == note_title.strip().lower()), note_title.strip()
    )
    if not title:
        raise ToolError("expected a non-empty note title")
    line = f'"{sentence}" ({doc.author}, {doc.year})'
    world.notes[title] = f"{world.notes[title]}\n{line}" if title in world.notes else line
    return f"added a quote from {doc.id} to note {title!r}"


@tool
def list_notes(world: ResearchWorld) -> dict[str, str]:
    """Return every saved note by title."""
    return dict(world.notes)


class ResearchDomain(GeneratedDomain):
    """Questions and notes over a corpus of generated reports."""

    name = "research"
    description = "a local corpus of policy reports to search, read, quote and take notes from"
    tools = (
        list_docs,
        search_docs,
        read_doc,
        list_sections,
        read_section,
        quote,
        save_note,
        add_quote_to_note,
        list_notes,
    )
    makers = (
        tasks.goal_note,
        tasks.question_figure,
        tasks.question_which_doc,
        tasks.question_author_count,
        tasks.question_earliest,
    )
    new_world = staticmethod(tasks.new_world)
    rng = staticmethod(numpy_rng)

    def preamble(self, facts: dict[str, Any]) -> str:
        """Where the answers come from."""
        return "Answer from the reports in the corpus only; cite nothing from memory."

    def copy_world(self, world: ResearchWorld) -> ResearchWorld:
        """A deep copy of the world (built directly: ``copy.deepcopy`` is slow)."""
        return world.copy()

    def check_invariants(self, world: ResearchWorld) -> list[str]:
        """Every report states each of its findings once; notes have titles and text."""
        problems = []
        for doc in world.docs.values():
            sentences = [s for _, group in doc.sections for s in group]
            for city in doc.findings:
                if sentences.count(tasks.finding(doc, city)) != 1:
                    problems.append(f"{doc.id} does not state its {city} finding exactly once")
        problems += [f"note {t!r} is empty" for t, text in world.notes.items() if not text or not t]
        return problems

    def candidate_calls(self, world: ResearchWorld) -> list[ToolCall]:
        """Catalog listings, per-report reads and section reads, city searches."""
        calls = [call("list_docs"), call("list_notes")]
        cities = sorted({c for d in world.docs.values() for c in d.findings})
        calls += [call("search_docs", keyword=c) for c in cities]
        for doc in world.docs.values():
            calls += [
                call("read_doc", doc_id=doc.id),
                call("list_sections", doc_id=doc.id),
                call("read_section", doc_id=doc.id, section="Findings"),
            ]
        return calls
