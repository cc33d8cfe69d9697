"""The document corpus of the research domain, its generator and its goal makers.

Each generated report studies one intervention in two or three cities and states
one finding per city, in a sentence of its own. Plans use either full-text tools
(``search_docs``, ``read_doc``, ``save_note``) or catalog and passage tools
(``list_docs``, ``list_sections``, ``read_section``, ``quote``,
``add_quote_to_note``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import numpy as np
from nexgym.envs.domains.base import Goal, answer_has
from nexgym.envs.domains.names import CITIES, NAME_PAIRS
from nexgym.envs.domains.taskgen import call, integer, pick, sample

T = TypeVar("T")

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


def _uint32s(bitgen: np.random.BitGenerator) -> Iterator[int]:
    """The 32-bit draws of numpy's ``next_uint32``: each 64-bit output, low half first."""
    while True:
        yield from bitgen.random_raw(64).view(np.uint32).tolist()


class NumpyRng(np.random.Generator):
    """``np.random.default_rng(seed)`` whose small scalar draws are made in Python.

    numpy's scalar ``integers`` costs microseconds a call and a small ``choice``
    over ten, while the generators here draw dozens of them per task.
    :meth:`below`, :meth:`distinct` and :meth:`permutation` read the bit generator's
    raw outputs in blocks and apply numpy's own algorithms to them (Lemire's bounded
    integers, Floyd's sampling, masked rejection for shuffles), so they return
    exactly what ``integers``, ``choice(replace=False)`` and ``permutation`` of
    ``default_rng(seed)`` would. Other methods draw past the block read ahead:
    draw only through these three.
    """

    __slots__ = ("_next32",)

    def __init__(self, seed: int) -> None:
        super().__init__(np.random.PCG64(seed))
        self._next32 = _uint32s(self.bit_generator).__next__

    def below(self, n: int) -> int:
        """``int(integers(n))``, for ``1 <= n < 2**32``."""
        if n == 1:  # numpy draws nothing for a range of one
            return 0
        m = self._next32() * n
        return m >> 32 if m & 0xFFFFFFFF >= n else self._redraw(m, n)

    def _redraw(self, m: int, n: int) -> int:
        """The rare end of Lemire's method: redraw while the low word is under 2**32 % n."""
        threshold = 0x100000000 % n
        while m & 0xFFFFFFFF < threshold:
            m = self._next32() * n
        return m >> 32

    def distinct(self, n: int, k: int) -> list[int]:
        """``choice(n, k, replace=False).tolist()``, for ``k <= n <= 10000``."""
        # below() inlined: this runs for every sample of every task
        next32, redraw = self._next32, self._redraw
        out = [0] if k == n > 0 else []  # Floyd's first value below 1 costs no draw
        for j in range(max(n - k + 1, 2), n + 1):  # Floyd's algorithm
            m = next32() * j
            value = m >> 32 if m & 0xFFFFFFFF >= j else redraw(m, j)
            out.append(j - 1 if value in out else value)
        for i in range(k, 1, -1):  # then numpy's shuffle of the chosen
            m = next32() * i
            at = m >> 32 if m & 0xFFFFFFFF >= i else redraw(m, i)
            out[i - 1], out[at] = out[at], out[i - 1]
        return out

    def permutation(self, x: Any, axis: int = 0) -> np.ndarray:
        """``Generator.permutation`` (a shuffle by masked rejection sampling)."""
        if not isinstance(x, int | np.integer):
            arr = np.asarray(x)
            return np.take(arr, self.permutation(arr.shape[axis]), axis=axis)
        order = list(range(x))
        for i in range(x - 1, 0, -1):
            mask = (1 << i.bit_length()) - 1
            j = self._next32() & mask
            while j > i:
                j = self._next32() & mask
            order[i], order[j] = order[j], order[i]
        return np.array(order)


def _agrees() -> bool:
    """Whether :class:`NumpyRng` draws what this numpy's ``default_rng`` draws."""
    ours, numpy = NumpyRng(7), np.random.default_rng(7)
    spans = (1, 2, 3, 12, 44, 780, 3 << 30, (1 << 31) + 1) * 3  # some redraw half the time
    mine = [ours.below(n) for n in spans] + ours.distinct(12, 4) + ours.distinct(5, 5)
    theirs = [int(numpy.integers(n)) for n in spans] + numpy.choice(12, 4, replace=False).tolist()
    theirs += numpy.choice(5, 5, replace=False).tolist()
    return mine == theirs and ours.permutation(9).tolist() == numpy.permutation(9).tolist()


#: Whether :class:`NumpyRng` may stand in for ``default_rng`` (numpy draws as it expects).
_EXACT = _agrees()


def task_rng(seed: int) -> np.random.Generator:
    """``np.random.default_rng(seed)``, as a :class:`NumpyRng` where that draws the same."""
    return NumpyRng(seed) if _EXACT else np.random.default_rng(seed)


def draw_int(rng: np.random.Generator, low: int, high: int) -> int:
    """``int(rng.integers(low, high))``, fast on a :class:`NumpyRng`."""
    if type(rng) is NumpyRng:
        return low + rng.below(high - low)
    return integer(rng, low, high)


def draw_one(rng: np.random.Generator, items: Sequence[T]) -> T:
    """:func:`~nexgym.envs.domains.taskgen.pick`, fast on a :class:`NumpyRng`."""
    if type(rng) is NumpyRng:
        return items[rng.below(len(items))]
    return pick(rng, items)


def draw_some(rng: np.random.Generator, items: Sequence[T], k: int) -> list[T]:
    """:func:`~nexgym.envs.domains.taskgen.sample`, fast on a :class:`NumpyRng`."""
    if type(rng) is NumpyRng and len(items) <= 10000:  # numpy samples more items otherwise
        return [items[i] for i in rng.distinct(len(items), min(k, len(items)))]
    return sample(rng, items, k)


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
    cities = draw_some(rng, CITY_NAMES, draw_int(rng, 2, 4))
    title, asks, adopted = _wording(topic, draw_one(rng, TITLE_FORMS), len(cities))
    year = draw_int(rng, 2015, 2026)
    findings = dict(zip(cities, draw_some(rng, PERCENTS, len(cities)), strict=True))
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
                f"We compared {draw_int(rng, 8, 40)} districts with and without the "
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
    authors = [f"{f} {la}" for f, la in draw_some(rng, NAME_PAIRS, 3 + difficulty)]
    topics = draw_some(rng, TOPIC_NAMES, 3 + difficulty)
    for number in range(1, 7 + 3 * difficulty):
        doc = _document(rng, number, draw_one(rng, topics), draw_one(rng, authors))
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
    return draw_one(rng, pairs or alone or every)


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
    author = draw_one(rng, facts["authors"])
    count = sum(1 for d in world.docs.values() if d.author == author)
    return Goal(
        text=f"How many documents in the corpus were written by {author}?",
        check=lambda w, answer: answer_has(answer, count),
        plans=((call("search_docs", keyword=author),), (call("list_docs", author=author),)),
        answer=str(count),
    )


def question_earliest(rng: np.random.Generator, world: ResearchWorld, facts: dict) -> Goal:
    """The year of the earliest report on a topic."""
    topic = draw_one(rng, sorted({d.topic for d in world.docs.values()}))
    year = min(d.year for d in world.docs.values() if d.topic == topic)
    return Goal(
        text=f"In which year was the earliest report on {TOPICS[topic][0]} published?",
        check=lambda w, answer: answer_has(answer, year),
        plans=((call("search_docs", keyword=TOPICS[topic][0]),), (call("list_docs"),)),
        answer=str(year),
    )
