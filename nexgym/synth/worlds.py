"""The world catalog: businesses described in words, induced into worlds, staffed by hierarchies.

:func:`sample_world_texts` writes, from one seed, descriptions of small businesses
("A bike repair shop where a mechanic repairs bikes and a clerk registers customers")
drawn from :data:`BUSINESSES`: each picks two or three of the business's operations and
a few role words, so descriptions, and the worlds induced from them, differ.
:func:`build_world_catalog` induces a world from each (:mod:`nexgym.synth.induce`),
compiles and verifies it, writes its spec to ``envs/worlds/generated/``, then
synthesizes several hierarchies over it (different splits of the work, topologies and
personas), keeps those the oracle solves (:func:`~nexgym.synth.catalog.check_spec`)
and writes them to ``envs/catalog/worlds/``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nexgym.synth.catalog import GENERATED_HEADER, check_spec

__all__ = ["BUSINESSES", "WorldCatalogBuild", "build_world_catalog", "sample_world_texts"]

#: Two lines a business: ``name: roles:``, then ``verb object, verb object, ...``.
_BUSINESS_TABLE = """
    bike repair shop: mechanic clerk manager:
        repairs bikes, registers customers, restocks parts, invoices repairs
    veterinary practice: vet nurse receptionist:
        admits pets, vaccinates pets, books appointments, dispenses medicines
    lending library: librarian assistant clerk:
        lends books, reserves books, registers members, shelves returns
    bakery: baker cashier driver:
        bakes loaves, sells pastries, delivers orders, refunds orders
    dental clinic: dentist receptionist assistant:
        schedules appointments, treats patients, bills invoices, restocks supplies
    car rental desk: agent mechanic manager:
        rents cars, inspects cars, registers drivers, refunds deposits
    hotel front desk: receptionist concierge manager:
        books rooms, cleans rooms, registers guests, settles bills
    recruiting agency: recruiter coordinator manager:
        interviews candidates, hires candidates, publishes openings, schedules interviews
    print shop: operator clerk designer:
        prints posters, ships orders, restocks paper, approves proofs
    warehouse: picker packer supervisor:
        picks orders, packs parcels, ships parcels, moves pallets
    law office: paralegal lawyer partner:
        files motions, reviews contracts, signs contracts, approves invoices
    school office: registrar teacher principal:
        enrols students, grades exams, schedules classes, notes incidents
    insurance desk: adjuster clerk manager:
        assesses claims, approves claims, pays claims, renews policies
    restaurant: chef waiter host:
        cooks dishes, serves dishes, books tables, restocks ingredients
    gym: trainer receptionist manager:
        registers members, schedules sessions, suspends memberships, repairs machines
    garden centre: gardener cashier manager:
        plants seedlings, sells plants, restocks seeds, delivers orders
    it helpdesk: technician dispatcher lead:
        triages tickets, resolves tickets, installs laptops, escalates incidents
    film studio: producer editor director:
        schedules shoots, edits scenes, approves budgets, releases trailers
    courier service: courier dispatcher manager:
        collects parcels, delivers parcels, registers senders, refunds charges
    pharmacy: pharmacist technician cashier:
        dispenses prescriptions, verifies prescriptions, restocks medicines, registers patients
    event agency: planner coordinator manager:
        books venues, confirms guests, schedules events, pays vendors
    farm co-op: farmer clerk manager:
        harvests crops, sells crops, moves feed, registers growers
    museum: curator registrar guard:
        archives artifacts, inspects artifacts, schedules tours, registers donors
    software team: engineer tester lead:
        merges changes, tests builds, deploys releases, triages bugs
    property office: agent landlord clerk:
        leases flats, inspects flats, registers tenants, collects rents
    laundry: attendant driver manager:
        washes loads, delivers loads, registers customers, refunds tickets
    clinic lab: technician doctor nurse:
        collects samples, tests samples, reviews results, restocks reagents
    airline gate: agent supervisor pilot:
        boards passengers, checks bags, cancels flights, moves seats
    tailor shop: tailor clerk manager:
        sews garments, measures clients, restocks fabrics, invoices orders
    charity office: coordinator volunteer treasurer:
        registers donors, collects donations, distributes parcels, approves grants
"""


def _businesses() -> dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]:
    table = {}
    lines = _BUSINESS_TABLE.strip().splitlines()
    for head, operations in zip(lines[::2], lines[1::2], strict=True):
        name, roles, _ = (part.strip() for part in head.split(":"))
        operations = operations.strip()
        ops = tuple(tuple(op.split()) for op in operations.split(", "))
        table[name] = (tuple(roles.split()), tuple((v, o) for v, o in ops))
    return table


#: business -> (roles, operations as (verb, plural object)).
BUSINESSES = _businesses()

PERSONAS = (
    "a small town", "a university", "a family business", "a regional chain", "a start-up",
    "a city council", "a non-profit", "a hospital group", "a franchise", "an island resort",
)  # fmt: skip


@dataclass
class WorldText:
    """A sampled description of a business and how its work is split."""

    business: str
    text: str
    seed: int


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _pick(rng: np.random.Generator, items: Any, k: int) -> list[Any]:
    order = rng.permutation(len(items))[:k]
    return [items[int(i)] for i in sorted(order)]


def sample_world_texts(n: int, *, seed: int = 0) -> list[WorldText]:
    """``n`` distinct business descriptions, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    names = sorted(BUSINESSES)
    out: list[WorldText] = []
    seen: set[tuple[str, ...]] = set()
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        business = (
            names[len(out) % len(names)] if tries <= n else names[int(rng.integers(0, len(names)))]
        )
        roles, operations = BUSINESSES[business]
        ops = _pick(rng, operations, int(rng.integers(2, len(operations) + 1)))
        key = (business, *(f"{v} {o}" for v, o in ops))
        if key in seen:
            continue
        seen.add(key)
        clauses = [f"{_a(roles[i % len(roles)])} {v} {o}" for i, (v, o) in enumerate(ops)]
        body = ", ".join(clauses[:-1]) + f" and {clauses[-1]}" if len(clauses) > 1 else clauses[0]
        text = f"{_a(business).capitalize()} where {body}."
        out.append(WorldText(business, text, seed * 100_003 + len(out)))
    return out


_SHAPES = (
    "{lead} who hands {first} to a {a} and {second} to a {b}",
    "{lead} with a {a} who {first_verb} and a {b} who {second_verb}",
    "a single {a} who does all the work",
    "two {a}s who each work with every tool and debate the answer",
    "{lead} who oversees a {a}; the {a} has a {b} who {second_verb}",
)


@dataclass
class WorldCatalogBuild:
    """The outcome of :func:`build_world_catalog`."""

    worlds: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _hierarchy_texts(world: WorldText, rng: np.random.Generator, k: int) -> list[str]:
    roles, operations = BUSINESSES[world.business]
    ops = [(v, o) for v, o in operations if f"{v} {o}" in world.text]
    texts = []
    for i in range(k):
        lead = "a " + ("manager" if "manager" not in roles else "director")
        a, b = roles[i % len(roles)], roles[(i + 1) % len(roles)]
        shape = _SHAPES[i % len(_SHAPES)]
        (v1, o1), (v2, o2) = ops[0], ops[-1]
        body = shape.format(
            lead=lead, a=a, b=b, first=o1, second=o2,
            first_verb=f"{v1} {o1}", second_verb=f"{v2} {o2}",
        )  # fmt: skip
        body = re.sub(r"\ba ([aeiou])", r"an \1", body)
        persona = PERSONAS[int(rng.integers(0, len(PERSONAS)))]
        texts.append(f"{world.text[:-1]} for {persona}: {body}.")
    return texts


def build_world_catalog(
    n_worlds: int,
    *,
    envs_per_world: int = 5,
    seed: int = 0,
    catalog_dir: Path | None = None,
    worlds_dir: Path | None = None,
) -> WorldCatalogBuild:
    """Induce ``n_worlds`` worlds and write ``envs_per_world`` checked hierarchies over each.

    Args:
        n_worlds: worlds to induce.
        envs_per_world: hierarchies to synthesize per world (those the oracle fails
            are left out and listed in ``rejected``).
        seed: the seed every description and hierarchy follows from.
        catalog_dir: where hierarchy specs go (default ``envs/catalog/worlds``).
        worlds_dir: where world specs go (default ``envs/worlds/generated``).
    """
    import nexgym.envs as envs_package
    from nexgym.envs.worlds.library import build_world_domain
    from nexgym.envs.worlds.spec import WorldSpec
    from nexgym.synth.induce import induce_world
    from nexgym.synth.offline import synthesize
    from nexgym.synth.outline import read_outline

    root = Path(str(envs_package.__file__)).resolve().parent
    catalog_dir = catalog_dir or root / "catalog" / "worlds"
    worlds_dir = worlds_dir or root / "worlds" / "generated"
    catalog_dir.mkdir(parents=True, exist_ok=True)
    worlds_dir.mkdir(parents=True, exist_ok=True)
    build = WorldCatalogBuild()
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    header = f"{GENERATED_HEADER}\n# nexgym synth --catalog --worlds {n_worlds} --seed {seed}\n"
    for sample in sample_world_texts(n_worlds, seed=seed):
        outline = read_outline(sample.text)
        induced = induce_world(sample.text, sorted({r.head for r in outline.roles}))
        if induced is None:
            build.rejected.append(f"{sample.text}: nothing to induce")
            continue
        spec = WorldSpec.from_dict(induced.spec)
        cls = build_world_domain(spec)
        build.worlds.append(spec.name)
        (worlds_dir / f"{spec.name}.yaml").write_text(header + spec.to_yaml(), encoding="utf-8")
        for i, text in enumerate(_hierarchy_texts(sample, rng, envs_per_world)):
            name = "W" + "".join(p.title() for p in sample.business.replace("-", " ").split())
            name += f"{len(build.worlds):03d}N{i}"
            try:
                hierarchy = synthesize(text, seed=sample.seed + i, name=name, domain=cls.name)
            except Exception as e:  # a description the reader cannot staff: left out
                build.rejected.append(f"{text}: {e}")
                continue
            result = check_spec(hierarchy, episodes=((1, 0), (2, 1), (3, 2)))
            if not result.ok:
                build.rejected.append(f"{text}: {result.failures[:1]}")
                continue
            path = catalog_dir / f"{name}.yaml"
            path.write_text(header + hierarchy.to_yaml(), encoding="utf-8")
            build.written.append(path)
    build.seconds = time.perf_counter() - start
    return build
