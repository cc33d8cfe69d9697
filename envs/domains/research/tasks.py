"""The document corpus of the research domain, its generator and its goal makers.

Each generated report studies one intervention in two or three cities and states
one finding per city, in a sentence of its own. Plans use either full-text tools
(``search_docs``, ``read_doc``, ``save_note``) or catalog and passage tools
(``list_docs``, ``list_sections``, ``read_section``, ``quote``,
``add_quote_to_note``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, pick, sample
from nexgym.envs.domains.kit.names import CITIES, NAME_PAIRS
from nexgym.envs.domains.kit.taskgen import call

#: topic -> (intervention, metric, verb)
TOPICS = {
    "bike lanes": ("protected bike lanes", "cycling injuries", "cut"),
    "heat pumps": ("heat pump subsidies", "household heating costs", "lowered"),
    "school meals": ("free school meals", "absenteeism", "reduced"),
    "congestion pricing": ("congestion pricing", "peak-hour traffic", "reduced"),
    "urban trees": ("street tree planting", "summer surface temperatures", "lowered"),
    "library hours": ("extended library hours", "weekly library visits", "raised"),
    "telehealth": ("telehealth clinics", "missed appointments", "reduced"),
    "microgrids": ("solar microgrids", "yearly outage hours", "cut"),
}
TITLE_FORMS = ("{I}: evidence from {n} cities", "What {i} did to {m}", "Measuring {i} in practice",
               "{I} and {m}, revisited")  # fmt: skip


@dataclass
class Document:
    """A report: sections are ``(heading, sentences)``; ``findings`` maps city -> percent."""

    id: str
    title: str
    author: str
    year: int
    topic: str
    sections: list[tuple[str, list[str]]]
    findings: dict[str, int]

    def text(self) -> str:
        """The whole report as text."""
        body = "".join([f"\n\n{heading}\n{' '.join(lines)}" for heading, lines in self.sections])
        return f"{self.title}\nby {self.author} ({self.year}){body}"


@dataclass
class ResearchWorld:
    """The corpus (id -> document) and the notes the agent saves (title -> text)."""

    docs: dict[str, Document] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def copy(self) -> ResearchWorld:
        """An independent copy (what ``copy.deepcopy`` gives, much faster)."""
        docs = {
            key: Document(
                d.id,
                d.title,
                d.author,
                d.year,
                d.topic,
                [(heading, list(sentences)) for heading, sentences in d.sections],
                dict(d.findings),
            )
            for key, d in self.docs.items()
        }
        return ResearchWorld(docs, dict(self.notes))


def finding(doc: Document, city: str) -> str:
    """The sentence of a report that states its finding for a city."""
    intervention, metric, verb = TOPICS[doc.topic]
    return (
        f"In {city}, {intervention} {verb} {metric} by {doc.findings[city]} percent "
        f"between {doc.year - 3} and {doc.year - 1}."
    )


#: The topics, sorted, as a corpus draws from them.
TOPIC_NAMES = tuple(sorted(TOPICS))
#: The cities reports study, by name.
CITY_NAMES = tuple(city for city, _ in CITIES)
#: The percentages findings report.
PERCENTS = range(4, 48)


@cache  # a few dozen titles and sentences recur across every corpus
def _wording(topic: str, form: str, n_cities: int) -> tuple[str, str, str]:
    """A report's title, and the two of its sentences that depend on its topic alone."""
    intervention, metric, _ = TOPICS[topic]
    title = form.format(I=intervention.capitalize(), i=intervention, m=metric, n=n_cities)
    return (
        title,
        f"It asks how {metric} changed after the programmes began.",
        f"Cities adopted {intervention} for different reasons.",
    )


def _document(rng: np.random.Generator, number: int, topic: str, author: str) -> Document:
    intervention = TOPICS[topic][0]
    cities = sample(rng, CITY_NAMES, integer(rng, 2, 4))
    title, asks, adopted = _wording(topic, pick(rng, TITLE_FORMS), len(cities))
    year = integer(rng, 2015, 2026)
    findings = dict(zip(cities, sample(rng, PERCENTS, len(cities)), strict=True))
    places = ", ".join(cities[:-1]) + " and " + cities[-1]
    doc = Document(f"DOC-{number:02d}", title, author, year, topic, [], findings)
    doc.sections = [
        (
            "Summary",
            [f"This report studies {intervention} in {places}.", asks],
        ),
        (
            "Background",
            [adopted, "Earlier studies were small and rarely compared cities."],
        ),
        (
            "Methods",
            [
                f"We compared {integer(rng, 8, 40)} districts with and without the "
                f"programme, using records from {year - 3} to {year - 1}."
            ],
        ),
        ("Findings", [finding(doc, c) for c in cities]),
        (
            "Limitations",
            [
                "The districts were not chosen at random.",
                "Effects may fade after the study period.",
            ],
        ),
    ]
    return doc


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[ResearchWorld, dict]:
    """6 + 3 * difficulty reports by a few authors, several per topic."""
    world = ResearchWorld()
    authors = [f"{f} {la}" for f, la in sample(rng, NAME_PAIRS, 3 + difficulty)]
    topics = sample(rng, TOPIC_NAMES, 3 + difficulty)
    for number in range(1, 7 + 3 * difficulty):
        doc = _document(rng, number, pick(rng, topics), pick(rng, authors))
        world.docs[doc.id] = doc
    return world, {"authors": authors}


def _pick_finding(
    rng: np.random.Generator, world: ResearchWorld, unique: bool
) -> tuple[Document, str]:
    """A (report, city) named by author, year and topic (if ``unique``, also by topic and city)."""
    docs = list(world.docs.values())
    every = [(d, c) for d in docs for c in d.findings]
    # how many reports share an (author, year, topic), and a (topic, city) finding
    by_name = Counter([(d.author, d.year, d.topic) for d in docs])
    by_finding = Counter([(d.topic, c) for d, c in every])
    alone = [(d, c) for d, c in every if by_finding[d.topic, c] == 1]
    pairs = [
        (d, c) for d, c in (alone if unique else every) if by_name[d.author, d.year, d.topic] == 1
    ]
    return pick(rng, pairs or alone or every)


def goal_note(rng: np.random.Generator, world: ResearchWorld, facts: dict) -> Goal:
    """Save a note quoting one finding verbatim."""
    doc, city = _pick_finding(rng, world, unique=False)
    sentence, title = finding(doc, city), f"{doc.topic.capitalize()} evidence"

    def check(w: ResearchWorld, answer: str | None) -> bool:
        notes = {k.lower(): v for k, v in w.notes.items()}
        return sentence in notes.get(title.lower(), "")

    return Goal(
        text=f"Save a note titled '{title}' that quotes, word for word, the sentence in which "
        f"{doc.author}'s {doc.year} report on {doc.topic} states its result for {city}.",
        check=check,
        plans=(
            (
                call("search_docs", keyword=city),
                call("read_doc", doc_id=doc.id),
                call("save_note", title=title, text=sentence),
            ),
            (
                call("list_docs", author=doc.author),
                call(
                    "add_quote_to_note",
                    note_title=title,
                    doc_id=doc.id,
                    phrase=f"In {city}, {TOPICS[doc.topic][0]}",
                ),
            ),
        ),
    )


def question_figure(rng: np.random.Generator, world: ResearchWorld, facts: dict) -> Goal:
    """A percentage reported for a city."""
    doc, city = _pick_finding(rng, world, unique=False)
    intervention, metric, _ = TOPICS[doc.topic]
    value = doc.findings[city]
    return Goal(
        text=f"According to {doc.author}'s {doc.year} report on {doc.topic}, by how many "
        f"percent did {intervention} change {metric} in {city}?",
        check=lambda w, answer: answer_has(answer, value),
        plans=(
            (call("search_docs", keyword=city), call("read_doc", doc_id=doc.id)),
            (
                call("list_docs", author=doc.author),
                call("quote", doc_id=doc.id, phrase=f"In {city}, {TOPICS[doc.topic][0]}"),
            ),
        ),
        answer=str(value),
    )


def question_which_doc(rng: np.random.Generator, world: ResearchWorld, facts: dict) -> Goal:
    """Which report covers a topic in a city."""
    doc, city = _pick_finding(rng, world, unique=True)
    return Goal(
        text=f"Which document reports the effect of {TOPICS[doc.topic][0]} in {city}? Give its "
        "document id (like DOC-03).",
        check=lambda w, answer: answer_has(answer, doc.id),
        plans=(
            (call("search_docs", keyword=city), call("read_doc", doc_id=doc.id)),
            (call("list_docs"), call("read_section", doc_id=doc.id, section="Findings")),
        ),
        answer=doc.id,
    )


def question_author_count(rng: np.random.Generator, world: ResearchWorld, facts: dict) -> Goal:
    """How many reports an author wrote."""
    author = pick(rng, facts["authors"])
    count = sum(1 for d in world.docs.values() if d.author == author)
    return Goal(
        text=f"How many documents in the corpus were written by {author}?",
        check=lambda w, answer: answer_has(answer, count),
        plans=((call("search_docs", keyword=author),), (call("list_docs", author=author),)),
        answer=str(count),
    )


def question_earliest(rng: np.random.Generator, world: ResearchWorld, facts: dict) -> Goal:
    """The year of the earliest report on a topic."""
    topic = pick(rng, sorted({d.topic for d in world.docs.values()}))
    year = min(d.year for d in world.docs.values() if d.topic == topic)
    return Goal(
        text=f"In which year was the earliest report on {TOPICS[topic][0]} published?",
        check=lambda w, answer: answer_has(answer, year),
        plans=((call("search_docs", keyword=TOPICS[topic][0]),), (call("list_docs"),)),
        answer=str(year),
    )
