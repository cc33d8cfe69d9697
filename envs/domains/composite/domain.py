"""Cross-domain tasks: one world made of two domains' worlds, and the union of their tools.

A :class:`CompositeDomain` names its ``parts`` (registered domains built on
:class:`~nexgym.envs.domains.kit.taskgen.GeneratedDomain`). Its world holds one sub-world
per part; each part's tools are wrapped so that they receive their own sub-world, and
keep their names unless two parts share a name, in which case both become
``<part>_<name>``. A subclass writes :meth:`CompositeDomain.bridge`: the goals that
need both parts (an email asks for a trip that must then be booked); harder tasks
add goals drawn from each part on its own.

Registered composites: ``email_travel`` (book the trip an email asks for, then reply)
and ``support_finance`` (refund a ticket, then book the refund in the ledger).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from nexgym.envs.domains import domain_class
from nexgym.envs.domains.email import tasks as email_tasks
from nexgym.envs.domains.finance import tasks as finance_tasks
from nexgym.envs.domains.kit.base import Domain, Goal, Task, compose_task
from nexgym.envs.domains.kit.draws import numpy_rng, pick
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, bounded_calls, call
from nexgym.envs.domains.support import tasks as support_tasks
from nexgym.envs.domains.travel import tasks as travel_tasks

from nexgym.tools import Tool, ToolCall

__all__ = ["CompositeDomain", "CompositeWorld", "EmailTravelDomain", "SupportFinanceDomain"]


@dataclass
class CompositeWorld:
    """One sub-world per part, by domain name."""

    parts: dict[str, Any] = field(default_factory=dict)


class _OnPart:
    """Calls a part's tool function on that part's sub-world."""

    def __init__(self, fn: Callable[..., Any], part: str) -> None:
        self.fn, self.part = fn, part

    def __call__(self, world: CompositeWorld, /, **arguments: Any) -> Any:
        return self.fn(world.parts[self.part], **arguments)


def _lift(tool: Tool, part: str, name: str) -> Tool:
    """A copy of ``tool`` called ``name`` that acts on the part's sub-world."""
    lifted = copy.copy(tool)
    lifted.name, lifted.fn = name, _OnPart(tool.fn, part)
    return lifted


class CompositeDomain(Domain):
    """A domain whose world and tools are those of two or more registered domains."""

    #: Names of the registered domains this one is made of.
    parts: ClassVar[tuple[str, ...]] = ()
    #: (part, tool name) -> the tool's name here.
    names: ClassVar[dict[tuple[str, str], str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        owners: dict[str, list[str]] = {}
        for part in cls.parts:
            for t in domain_class(part).tools:
                owners.setdefault(t.name, []).append(part)
        cls.names = {
            (part, t.name): t.name if len(owners[t.name]) == 1 else f"{part}_{t.name}"
            for part in cls.parts
            for t in domain_class(part).tools
        }
        cls.tools = tuple(
            _lift(t, part, cls.names[part, t.name])
            for part in cls.parts
            for t in domain_class(part).tools
        )

    def __init__(self) -> None:
        super().__init__()
        self.domains: dict[str, GeneratedDomain] = {}
        for part in self.parts:
            domain = domain_class(part)()
            if not isinstance(domain, GeneratedDomain):
                raise TypeError(f"composite part {part!r} must be a GeneratedDomain")
            self.domains[part] = domain

    def rename(self, part: str, plan: Sequence[ToolCall]) -> tuple[ToolCall, ...]:
        """A part's plan with its tools' names here."""
        return tuple(ToolCall(self.names[part, c.name], c.arguments) for c in plan)

    def lift(self, part: str, goal: Goal, text: str | None = None) -> Goal:
        """A part's goal on the composite world: renamed plan steps, check on the sub-world."""
        check = goal.check
        return Goal(
            text=text or goal.text,
            check=lambda w, answer: check(w.parts[part], answer),
            plans=tuple(self.rename(part, plan) for plan in goal.plans),
            answer=goal.answer,
        )

    def bridge(
        self, rng: np.random.Generator, world: CompositeWorld, facts: dict[str, dict[str, Any]]
    ) -> list[Goal]:
        """The goals that need every part (subclasses implement it)."""
        raise NotImplementedError

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """Bridge goals, plus ``difficulty - 1`` goals drawn from the parts in turn."""
        self.check_difficulty(difficulty)
        rng = self.rng(seed)
        world, facts = CompositeWorld(), {}
        for part, domain in self.domains.items():
            world.parts[part], facts[part] = domain.new_world(rng, difficulty)
            facts[part].setdefault("touched", set())
        goals = self.bridge(rng, world, facts)
        extra: list[Goal] = []
        order = [self.parts[int(i)] for i in rng.permutation(len(self.parts))]
        if difficulty > 1:  # the extra goals see the world as the bridge goals leave it
            projected = self.copy_world(world)
            for goal in goals:
                for step in goal.plans[0]:
                    tool = self.tool(step.name)
                    tool(projected, **tool.validate(step.arguments))
        for i in range(difficulty - 1):
            part = order[i % len(order)]
            drawn = self.domains[part].draw_goals(rng, projected.parts[part], facts[part], 1)
            extra += [self.lift(part, goal) for goal in drawn]
        goals += sorted(extra, key=lambda g: g.answer is not None)  # questions last
        preamble = " ".join(d.preamble(facts[p]) for p, d in self.domains.items())
        return compose_task(self.name, seed, difficulty, world, goals, preamble=preamble)

    def copy_world(self, world: CompositeWorld) -> CompositeWorld:
        """An independent copy of every sub-world."""
        return CompositeWorld({p: self.domains[p].copy_world(w) for p, w in world.parts.items()})

    def check_invariants(self, world: CompositeWorld) -> list[str]:
        """Every part's invariants, prefixed with the part's name."""
        return [
            f"{part}: {problem}"
            for part, domain in self.domains.items()
            for problem in domain.check_invariants(world.parts[part])
        ]

    def admissible_calls(
        self, task: Task, world: CompositeWorld, tool_names: Sequence[str]
    ) -> list[ToolCall]:
        """The plan steps, then each part's candidate calls in turn (at most 64)."""
        per_part = []
        for part, domain in self.domains.items():
            local = {v: k[1] for k, v in self.names.items() if k[0] == part}
            plans = tuple(
                tuple(ToolCall(local[c.name], c.arguments) for c in plan if c.name in local)
                for plan in task.plans
            )
            sub_task = dataclasses.replace(task, plans=plans, world=world.parts[part])
            allowed = [local[n] for n in tool_names if n in local]
            calls = domain.admissible_calls(sub_task, world.parts[part], allowed)
            per_part.append([ToolCall(self.names[part, c.name], c.arguments) for c in calls])
        mixed = [c for round_ in _zip_longest(per_part) for c in round_]
        return bounded_calls(task.plans, mixed, tool_names)


def _zip_longest(lists: list[list[ToolCall]]) -> list[list[ToolCall]]:
    """Round-robin rows: the first item of each list, then the second of each, and so on."""
    depth = max((len(x) for x in lists), default=0)
    return [[x[i] for x in lists if i < len(x)] for i in range(depth)]


class EmailTravelDomain(CompositeDomain):
    """Read a travel request in the mailbox, book it, and confirm by email."""

    name = "email_travel"
    description = "a mailbox with travel requests and a travel booking system"
    parts = ("email", "travel")
    rng = staticmethod(numpy_rng)

    def bridge(
        self, rng: np.random.Generator, world: CompositeWorld, facts: dict[str, dict[str, Any]]
    ) -> list[Goal]:
        """A traveler's emailed request, booked, then confirmed by a reply."""
        mail_world, travel_world = world.parts["email"], world.parts["travel"]
        booking = travel_tasks.goal_trip(rng, travel_world, facts["travel"])
        ask = facts["travel"]["request"]
        first, last = ask["traveler"].split()
        address = f"{first.lower()}.{last.lower()}@example.com"
        subject = f"Trip to {ask['destination']}"
        body = (
            f"Hi, could you book me a trip from {ask['origin']} to {ask['destination']}? "
            f"I need the cheapest flight on {ask['day']} and the cheapest hotel there with at "
            f"least {ask['stars']} stars, checking in the day I arrive, for {ask['nights']} "
            f"nights. Thanks, {first}"
        )
        mail = mail_world.deliver(ask["traveler"], address, subject, body, "2026-05-11")
        facts["email"]["touched"].add(address)
        read = (
            self.rename(
                "email",
                (call("search_emails", query=subject), call("read_email", email_id=mail.id)),
            ),
            self.rename(
                "email",
                (call("list_emails", folder="inbox"), call("read_thread", thread_id=mail.thread)),
            ),
        )
        trip = self.lift("travel", booking)
        book = Goal(
            text=f"{ask['traveler']} emailed you a travel request (subject '{subject}'). Read it "
            "and make exactly the bookings it asks for.",
            check=trip.check,
            plans=tuple(r + p for r, p in zip(read, trip.plans, strict=True)),
        )
        note = f"Your trip to {ask['destination']} is booked; you will stay at {ask['hotel']}."
        reply = Goal(
            text=f"Then reply to {first}'s email to confirm, naming the hotel you booked.",
            check=lambda w, answer: email_tasks.sent_to(
                w.parts["email"], address, subject, [ask["hotel"]]
            ),
            plans=(
                self.rename("email", (call("reply_email", email_id=mail.id, body=note),)),
                self.rename(
                    "email",
                    (call("send_email", to=[address], subject=f"Re: {subject}", body=note),),
                ),
            ),
        )
        return [book, reply]


class SupportFinanceDomain(CompositeDomain):
    """Refund a support ticket by the policy, then book the refund in the ledger."""

    name = "support_finance"
    description = "a help desk with refund requests and the company's bookkeeping"
    parts = ("support", "finance")
    rng = staticmethod(numpy_rng)

    def bridge(
        self, rng: np.random.Generator, world: CompositeWorld, facts: dict[str, dict[str, Any]]
    ) -> list[Goal]:
        """An eligible refund request, handled, then recorded in the ledger."""
        handle = self.lift(
            "support", support_tasks.goal_refund(rng, world.parts["support"], facts["support"])
        )
        refund = facts["support"]["refund"]
        customer = world.parts["support"].customers[refund["customer"]]
        entry = finance_tasks.refund_goal(
            world.parts["finance"], refund["amount"], refund["order_id"], customer
        )
        memo = pick(
            rng, ("debit refunds and credit cash", "a debit to refunds and a credit to cash")
        )
        book = self.lift(
            "finance",
            entry,
            text=f"Then record the refund you issued for ticket #{refund['ticket']} in the "
            f"ledger as {memo}, for the amount refunded, with the order id as the reference.",
        )
        return [handle, book]
