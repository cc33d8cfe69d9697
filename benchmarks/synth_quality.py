"""Quality of offline synthesis on fresh descriptions written for this benchmark.

Each case is a description (none from the catalog's sampler) with what a reader would
expect built from it: the domain (or that a world is induced, with its objects), the
roles, tools some role must (or must not) hold, the topology and depth. A case counts
as *built as described* when every expectation holds and the oracle solves the built
env on 3 seeds (``nexgym.synth.check.oracle_check``); a nonsense case counts when
synthesis refuses it with a clear error. Writes ``benchmarks/results/synth_quality.md``.

    python benchmarks/synth_quality.py
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: world: "w" expects an induced world; a name expects that domain.
#: roles: role names that must exist; has: (role, tool) pairs; lacks: (role, tool) pairs.


@dataclass
class Case:
    kind: str
    text: str
    domain: str | None = None
    objects: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    has: tuple[tuple[str, str], ...] = ()
    lacks: tuple[tuple[str, str], ...] = ()
    topology: str | None = None
    depth: int | None = None
    error: bool = False
    notes: list[str] = field(default_factory=list)


CASES = [
    # -- in-domain ------------------------------------------------------------------------
    Case(
        "in-domain",
        "A travel desk where a planner hands flights to a flight specialist and hotels to a hotel specialist.",  # noqa: E501
        "travel",
        roles=("planner", "flight_specialist", "hotel_specialist"),
        has=(("flight_specialist", "book_flight"), ("hotel_specialist", "book_hotel")),
        topology="centralized",
    ),
    Case(
        "in-domain",
        "An inventory clerk who adjusts stock and receives purchase orders.",
        "inventory",
        roles=("inventory_clerk",),
        has=(("inventory_clerk", "adjust_stock"), ("inventory_clerk", "receive_order")),
        topology="single",
    ),
    Case(
        "in-domain",
        "A support team where a triager reads tickets and hands refunds to a billing specialist.",
        "support",
        roles=("triager", "billing_specialist"),
        has=(("billing_specialist", "issue_refund"),),
    ),
    Case(
        "in-domain",
        "A home assistant that turns devices on and off and activates scenes.",
        "home",
        topology="single",
    ),
    Case(
        "in-domain",
        "A calendar assistant who books meetings and cancels events for the team.",
        "calendar",
        has=(("calendar_assistant", "book_meeting"), ("calendar_assistant", "cancel_event")),
    ),
    Case(
        "in-domain",
        "An email desk where a reader reads messages and a writer replies to them.",
        "email",
        roles=("reader", "writer"),
    ),
    Case(
        "in-domain",
        "A finance team where an accountant records transactions and a reviewer checks the budget.",
        "finance",
        roles=("accountant", "reviewer"),
    ),
    Case(
        "in-domain",
        "A file team where a lead hands reading to a reader and edits to an editor; the reader never changes files.",  # noqa: E501
        "files",
        roles=("lead", "reader", "editor"),
        has=(("editor", "write_file"),),
        lacks=(("reader", "write_file"), ("reader", "replace_in_file")),
    ),
    # -- deep trees ---------------------------------------------------------------------
    Case(
        "deep tree",
        "A manager delegates to a team lead who delegates to two engineers.",
        "w",
        roles=("manager", "team_lead"),
        depth=3,
        topology="tree",
    ),
    Case(
        "deep tree",
        "A director oversees two travel leads; each lead has a flight specialist and a hotel specialist.",  # noqa: E501
        "travel",
        depth=3,
    ),
    Case(
        "deep tree",
        "A chief of staff hands scheduling of meetings to an assistant who hands invitations to an intern.",  # noqa: E501
        "calendar",
        roles=("chief", "assistant", "intern"),
        depth=3,
    ),
    Case(
        "deep tree",
        "A four-level file team: a director, two leads, and under each lead a reader and an editor.",  # noqa: E501
        "files",
        depth=4,
    ),
    Case(
        "deep tree",
        "A head of support oversees a triage lead, who has a responder who replies to tickets.",
        "support",
        depth=3,
    ),
    # -- peer teams ---------------------------------------------------------------------
    Case(
        "peers",
        "Three inventory analysts who each work with every tool and vote on the answer.",
        "inventory",
        topology="independent",
    ),
    Case(
        "peers",
        "Two file experts debate until they agree on the answer.",
        "files",
        topology="decentralized",
    ),
    Case(
        "peers",
        "A research council of three peers who each solve the whole task and compare answers.",
        "research",
        topology="decentralized",
    ),
    Case(
        "peers",
        "Two travel agents who work independently; an aggregator picks the majority answer.",
        "travel",
        topology="independent",
    ),
    Case(
        "peers",
        "A hybrid calendar team: two schedulers who message each other while a coordinator oversees them.",  # noqa: E501
        "calendar",
    ),
    # -- explicit tool names ------------------------------------------------------------
    Case(
        "tool names",
        "An inventory clerk who calls list_products and adjust_stock.",
        "inventory",
        has=(("inventory_clerk", "list_products"), ("inventory_clerk", "adjust_stock")),
    ),
    Case(
        "tool names",
        "A travel planner with search_flights and book_flight, and a hotel specialist with book_hotel.",  # noqa: E501
        "travel",
        has=(("hotel_specialist", "book_hotel"),),
    ),
    Case(
        "tool names",
        "A file reader who uses read_file and list_dir, and an editor who uses write_file.",
        "files",
        has=(("file_reader", "read_file"), ("editor", "write_file")),
    ),
    Case(
        "tool names",
        "A vet clinic receptionist who uses register_pet and find_owner, and a nurse who uses admit_pet.",  # noqa: E501
        "vet_clinic",
        has=(("receptionist", "register_pet"), ("nurse", "admit_pet")),
    ),
    Case(
        "tool names",
        "A librarian who calls lend_book and return_book.",
        "library_loans",
        has=(("librarian", "lend_book"), ("librarian", "return_book")),
    ),
    # -- out-of-domain businesses -------------------------------------------------------
    Case(
        "new business",
        "A bakery where a baker bakes bread and a cashier sells pastries.",
        "w",
        objects=("bread", "pastry"),
        roles=("baker", "cashier"),
        has=(("baker", "bake_bread"), ("cashier", "sell_pastry")),
    ),
    Case(
        "new business",
        "A legal review team where a paralegal files contracts and a lawyer reviews and signs contracts.",  # noqa: E501
        "w",
        objects=("contract",),
        roles=("paralegal", "lawyer"),
    ),
    Case(
        "new business",
        "A dental clinic where a receptionist schedules appointments and a dentist treats patients.",  # noqa: E501
        "w",
        objects=("appointment", "patient"),
        roles=("receptionist", "dentist"),
    ),
    Case(
        "new business",
        "A garage where a mechanic repairs cars and a clerk invoices customers.",
        "w",
        objects=("car",),
        roles=("mechanic", "clerk"),
        has=(("mechanic", "repair_car"),),
    ),
    Case(
        "new business",
        "A hotel where a receptionist books rooms and a cleaner cleans rooms.",
        "w",
        objects=("room",),
        roles=("receptionist", "cleaner"),
    ),
    Case(
        "new business",
        "A courier service where a dispatcher dispatches parcels and a courier delivers parcels.",
        "w",
        objects=("parcel",),
        roles=("dispatcher", "courier"),
    ),
    Case(
        "new business",
        "A school office where a registrar enrols students and a teacher grades exams.",
        "w",
        objects=("student", "exam"),
        roles=("registrar", "teacher"),
    ),
    Case(
        "new business",
        "A warehouse where a picker picks orders and a packer packs parcels and ships parcels.",
        "w",
        objects=("order", "parcel"),
        roles=("picker", "packer"),
    ),
    Case(
        "new business",
        "A pharmacy where a pharmacist dispenses prescriptions and a technician restocks medicines.",  # noqa: E501
        "w",
        objects=("prescription", "medicine"),
        roles=("pharmacist", "technician"),
    ),
    Case(
        "new business",
        "A recruiting agency where a recruiter interviews candidates and a manager hires candidates.",  # noqa: E501
        "w",
        objects=("candidate",),
        roles=("recruiter", "manager"),
    ),
    Case(
        "new business",
        "A museum where a curator archives artifacts and a guard inspects artifacts.",
        "w",
        objects=("artifact",),
        roles=("curator", "guard"),
    ),
    # -- other languages ----------------------------------------------------------------
    Case(
        "Spanish",
        "Un planificador con dos especialistas: uno para vuelos y otro para hoteles.",
        "travel",
        roles=("planner",),
        topology="centralized",
    ),
    Case("French", "Un gestionnaire de fichiers qui lit et écrit des fichiers.", "files"),
    Case(
        "German",
        "Ein Planer mit zwei Spezialisten: einer für Flüge und einer für Hotels.",
        "travel",
        topology="centralized",
    ),
    Case(
        "Spanish",
        "Un equipo de inventario donde un empleado ajusta el stock de productos.",
        "inventory",
    ),
    # -- nonsense -----------------------------------------------------------------------
    Case("nonsense", "qwzx plorf glarb", error=True),
    Case("nonsense", "", error=True),
    Case("nonsense", "zzzz zzzz zzzz zzzz", error=True),
    Case("nonsense", "一个旅行团队，有一个计划员", error=True),
]


def check(case: Case) -> tuple[bool, str]:
    """Whether the case is built (or refused) as described, and why not."""
    from nexgym.envs.domains import domain_class

    from nexgym.synth import SynthesisError, synthesize
    from nexgym.synth.check import oracle_check

    try:
        spec = synthesize(case.text)
    except SynthesisError as e:
        return case.error, "" if case.error else f"refused: {str(e).splitlines()[1][:120]}"
    if case.error:
        return False, f"built {spec.domain} instead of refusing"
    problems = []
    if case.domain == "w":
        if not spec.domain.startswith("w_"):
            problems.append(f"domain {spec.domain}, expected an induced world")
        else:
            entities = {e.name for e in domain_class(spec.domain).world_spec.entities}
            missing = set(case.objects) - entities
            if missing:
                problems.append(f"objects {sorted(entities)}, missing {sorted(missing)}")
    elif case.domain and spec.domain != case.domain:
        problems.append(f"domain {spec.domain}, expected {case.domain}")
    names = set(spec.agent_names)
    problems += [f"no role {r}" for r in case.roles if r not in names]
    for role, tool in case.has:
        if role not in names or tool not in spec.agent(role).tools:
            problems.append(f"{role} lacks {tool}")
    for role, tool in case.lacks:
        if role in names and tool in spec.agent(role).tools:
            problems.append(f"{role} holds {tool}")
    if case.topology and spec.topology != case.topology:
        problems.append(f"topology {spec.topology}, expected {case.topology}")
    if case.depth and spec.depth() != case.depth:
        problems.append(f"depth {spec.depth()}, expected {case.depth}")
    try:
        oracle_check(spec, seeds=3)
    except SynthesisError as e:
        problems.append(f"oracle: {str(e).splitlines()[1][:100]}")
    return not problems, "; ".join(problems)


def main() -> dict[str, Any]:
    start = time.perf_counter()
    rows = []
    for case in CASES:
        ok, why = check(case)
        rows.append((case, ok, why))
    seconds = time.perf_counter() - start
    passed = sum(ok for _, ok, _ in rows)
    built = [c for c, _, _ in rows if not c.error]
    share = passed / len(rows)
    lines = [
        "# Synthesis quality on fresh descriptions",
        "",
        f"`python benchmarks/synth_quality.py`: {len(rows)} descriptions written for this "
        f"benchmark ({len(built)} to build, {len(rows) - len(built)} nonsense), "
        f"{seconds:.0f} s.",
        "",
        f"**Built as described: {passed}/{len(rows)} ({share:.0%})** (expected roles, tools, "
        "topology and depth hold, and the oracle solves 3 seeds; nonsense refused).",
        "",
        "| kind | passed | of |",
        "| --- | --- | --- |",
    ]
    kinds = list(dict.fromkeys(c.kind for c in CASES))
    for kind in kinds:
        of = [ok for c, ok, _ in rows if c.kind == kind]
        lines.append(f"| {kind} | {sum(of)} | {len(of)} |")
    lines += ["", "| kind | description | result |", "| --- | --- | --- |"]
    for case, ok, why in rows:
        shown = case.text.replace("|", "/") or "(empty)"
        lines.append(f"| {case.kind} | {shown} | {'ok' if ok else 'FAIL: ' + why} |")
    out = Path(__file__).parent / "results" / "synth_quality.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:14]))
    return {"passed": passed, "cases": len(rows), "share": share}


if __name__ == "__main__":
    main()
