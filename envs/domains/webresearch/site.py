"""Sites and questions of the webresearch domain (see :mod:`nexgym.envs.domains.webresearch`).

A site is a company atlas generated from the seed: ``/index.md`` lists every
company with a link, ``/sectors/<sector>.md`` lists a sector's companies, each
``/companies/<slug>.md`` holds a profile (founding year, city, staff, chief
executive) and ``/reports/<slug>.md`` a long annual report whose closing figure
lies past the first 5,000 characters, so reading it takes a second fetch with
``start_index``. Questions need one to several fetches; the site never changes.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
from nexgym.envs.domains.kit.base import Goal, Task, answer_has, compose_task
from nexgym.envs.domains.kit.draws import integer, pick, sample
from nexgym.envs.domains.kit.names import CITIES, COMPANIES, FIRST_NAMES, LAST_NAMES
from nexgym.envs.domains.kit.taskgen import call
from nexgym.envs.domains.kit.tool_server import complete_plans

if TYPE_CHECKING:
    from nexgym.envs.domains.webresearch.domain import WebResearchDomain

__all__ = ["SITE", "build_site", "generate"]

#: The site's address as agents see it (the loopback server's is swapped in and out).
SITE = "http://atlas.test"

SECTORS = ("logistics", "food", "health", "energy", "media", "finance")
FILLER = (
    "Management reviewed operations across every region during the year.",
    "Investment in staff training continued at the same pace as before.",
    "Customer satisfaction surveys were run in each quarter of the year.",
    "Supply costs moved within the range forecast in the previous report.",
    "The board met eleven times and approved the annual budget in March.",
    "New offices were opened to support growth in existing markets.",
)

#: Every paragraph of four filler sentences (a report is a run of them).
PARAGRAPHS = tuple(" ".join(four) for four in itertools.product(FILLER, repeat=4))
#: The most paragraphs a report needs to pass 5,200 characters.
MAX_PARAGRAPHS = 5200 // (min(len(p) for p in PARAGRAPHS) + 2) + 1


def slug(name: str) -> str:
    """``Maple & Co`` -> ``maple-co``."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def build_site(rng: np.random.Generator, difficulty: int) -> tuple[dict[str, str], dict[str, Any]]:
    """The pages of a site and the facts questions are drawn from."""
    companies = []
    for name in sample(rng, COMPANIES, 6 + 2 * difficulty):
        companies.append(
            {
                "name": name,
                "slug": slug(name),
                "sector": pick(rng, SECTORS[:3]),
                "founded": integer(rng, 1950, 2021),
                "city": pick(rng, CITIES)[0],
                "staff": integer(rng, 20, 5000),
                "ceo": f"{pick(rng, FIRST_NAMES)} {pick(rng, LAST_NAMES)}",
                "revenue": integer(rng, 10, 9001) / 10,
            }
        )
    # the reports' filler paragraphs, drawn in one call (enough for the longest report)
    paragraphs = rng.integers(0, len(PARAGRAPHS), size=(len(companies), MAX_PARAGRAPHS)).tolist()
    pages: dict[str, str] = {}
    index = ["# Company Atlas", "", f"Profiles of {len(companies)} companies.", ""]
    index += [f"- [{c['name']}](/companies/{c['slug']}.md), {c['sector']}" for c in companies]
    index += ["", "Sectors: " + ", ".join(f"[{s}](/sectors/{s}.md)" for s in SECTORS[:3])]
    pages["/index.md"] = "\n".join(index) + "\n"
    for sector in SECTORS[:3]:
        members = [c for c in companies if c["sector"] == sector]
        lines = [f"# The {sector} sector", "", f"{len(members)} companies in the atlas:", ""]
        lines += [f"- [{c['name']}](/companies/{c['slug']}.md)" for c in members]
        pages[f"/sectors/{sector}.md"] = "\n".join(lines) + "\n"
    for c in companies:
        pages[f"/companies/{c['slug']}.md"] = (
            f"# {c['name']}\n\n{c['name']} was founded in {c['founded']} in {c['city']}. "
            f"It employs {c['staff']:,} people and works in the {c['sector']} sector.\n\n"
            f"Its chief executive is {c['ceo']}.\n\n"
            f"Read the [annual report](/reports/{c['slug']}.md).\n"
        )
        body = [f"# {c['name']}: annual report", ""]
        size = sum(len(line) + 1 for line in body)  # of the page so far, newlines included
        draws = iter(paragraphs.pop())
        while size < 5200:
            paragraph = PARAGRAPHS[next(draws)]
            body += [paragraph, ""]
            size += len(paragraph) + 2
        body += [
            "## Closing summary",
            "",
            f"Net revenue for the year was {c['revenue']} million euros.",
        ]
        pages[f"/reports/{c['slug']}.md"] = "\n".join(body) + "\n"
    return pages, {"companies": companies, "touched": set()}


def _fresh(rng: np.random.Generator, facts: dict[str, Any], k: int = 1) -> list[dict[str, Any]]:
    pool = [c for c in facts["companies"] if c["name"] not in facts["touched"]]
    chosen = sample(rng, pool, k)
    facts["touched"].update(c["name"] for c in chosen)
    return chosen


def _url(path: str) -> str:
    return f"{SITE}{path}"


def _profile_fact(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    (c,) = _fresh(rng, facts)
    question, key = pick(
        rng,
        (
            ("in which year was {} founded?", "founded"),
            ("in which city was {} founded?", "city"),
            ("who is the chief executive of {}?", "ceo"),
        ),
    )
    profile = call("fetch", url=_url(f"/companies/{c['slug']}.md"))
    query = "+".join(c["name"].split()[:1])
    return Goal(
        "According to the Company Atlas, " + question.format(c["name"]),
        lambda _, answer: answer_has(answer, c[key]),
        (
            (call("fetch", url=_url("/index.md")), profile),
            (call("fetch", url=_url(f"/search?q={query}")), profile),
        ),
        answer=f"{c['name']}: {c[key]}",
    )


def _bigger_staff(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    a, b = _fresh(rng, facts, 2)
    winner = a if a["staff"] >= b["staff"] else b
    loser = b if winner is a else a
    return Goal(
        f"Which company employs more people, {a['name']} or {b['name']}?",
        lambda _, answer: (
            answer_has(answer, winner["name"])
            and not answer_has(answer, f"{loser['name']} employs more")
        ),
        (
            (
                call("fetch", url=_url(f"/companies/{a['slug']}.md")),
                call("fetch", url=_url(f"/companies/{b['slug']}.md")),
            ),
        ),
        answer=f"{winner['name']} employs more",
    )


def _sector_count(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    sector = pick(rng, SECTORS[:3])
    count = sum(c["sector"] == sector for c in facts["companies"])
    return Goal(
        f"How many companies in the atlas work in the {sector} sector?",
        lambda _, answer: answer_has(answer, f"{count} {sector}"),
        (
            (call("fetch", url=_url(f"/sectors/{sector}.md")),),
            (call("fetch", url=_url("/index.md")),),
        ),
        answer=f"{count} {sector} companies",
    )


def _report_revenue(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    (c,) = _fresh(rng, facts)
    report = _url(f"/reports/{c['slug']}.md")
    return Goal(
        f"What net revenue does the closing summary of {c['name']}'s annual report give "
        f"(in million euros)?",
        lambda _, answer: answer_has(answer, c["revenue"]),
        ((call("fetch", url=report), call("fetch", url=report, start_index=5000)),),
        answer=f"{c['name']} revenue: {c['revenue']} million euros",
    )


def _oldest_in_sector(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    sectors = [s for s in SECTORS[:3] if any(c["sector"] == s for c in facts["companies"])]
    sector = pick(rng, sectors)
    members = [c for c in facts["companies"] if c["sector"] == sector]
    oldest = min(members, key=lambda c: (c["founded"], c["name"]))
    steps = [call("fetch", url=_url(f"/sectors/{sector}.md"))]
    steps += [call("fetch", url=_url(f"/companies/{c['slug']}.md")) for c in members]
    return Goal(
        f"Which company in the {sector} sector was founded first?",
        lambda _, answer: answer_has(answer, oldest["name"]),
        (tuple(steps),),
        answer=f"oldest in {sector}: {oldest['name']}",
    )


MAKERS = (_profile_fact, _bigger_staff, _sector_count, _report_revenue, _oldest_in_sector)


def generate(domain: WebResearchDomain, seed: int, difficulty: int) -> Task:
    """A task of ``difficulty`` questions on a freshly generated, served site."""
    rng = domain.rng(seed)
    pages, facts = build_site(rng, difficulty)
    titles = {path: text.split("\n", 1)[0].lstrip("# ") for path, text in pages.items()}
    world = domain.publish(pages, titles)
    chosen = sorted(int(i) for i in rng.permutation(len(MAKERS))[:difficulty])
    goals = [complete_plans(domain, MAKERS[i](rng, facts)) for i in chosen]
    preamble = f"The Company Atlas site starts at {SITE}/index.md; use the fetch tool to read it."
    return compose_task(domain.name, seed, difficulty, world, goals, preamble=preamble)
