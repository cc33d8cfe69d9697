"""The help-desk world of the support domain, its generator and its goal makers.

Refund tickets are of three kinds, and the agent must tell them apart with the
refund policy: eligible (refund in full and close), late (reply, close, no refund)
and large (escalate to billing, no refund). Plans use either the per-step tools
(``read_ticket``, ``get_order``, ``issue_refund``, ``reply_ticket``, ``close_ticket``,
``escalate_ticket``) or the help desk's macros (``get_refund_policy``, ``apply_macro``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, pick, real, sample, uniform
from nexgym.envs.domains.kit.names import COMPANIES, NAME_PAIRS, email_address
from nexgym.envs.domains.kit.taskgen import call

from nexgym.tools import ToolCall

REFUND_WINDOW_DAYS = 30
APPROVAL_LIMIT = 250.0
POLICY = (
    f"Refund policy: an order delivered within the last {REFUND_WINDOW_DAYS} days may be "
    f"refunded in full, once. Orders delivered more than {REFUND_WINDOW_DAYS} days ago are "
    "not refundable: reply to the customer to explain, then close the ticket. A refund "
    f"above ${APPROVAL_LIMIT:.0f} needs approval: escalate the ticket to the billing team "
    "and do not refund it yourself."
)
ITEMS = (
    ("wireless headphones", 60), ("coffee grinder", 45), ("running shoes", 90),
    ("desk lamp", 30), ("hiking backpack", 80), ("blender", 70), ("yoga mat", 25),
    ("rain jacket", 110), ("office chair", 190), ("espresso machine", 420),
    ("standing desk", 560), ("road bike helmet", 75), ("smart watch", 330),
)  # fmt: skip
PROBLEMS = (
    "arrived damaged",
    "stopped working after a week",
    "is not what I ordered",
    "is the wrong size",
    "arrived with parts missing",
)


@dataclass
class Order:
    """A customer's order; ``delivered_days_ago`` is None while it is in transit."""

    id: str
    customer: str
    item: str
    amount: float
    delivered_days_ago: int | None
    refunded: float = 0.0


@dataclass
class Ticket:
    """A help-desk ticket: its messages are ``(author, text)`` pairs."""

    id: int
    customer: str
    order_id: str
    subject: str
    messages: list[tuple[str, str]]
    status: str = "open"
    team: str | None = None
    resolution: str | None = None


@dataclass
class SupportWorld:
    """Customers (email -> name), orders, tickets and the refunds issued."""

    company: str
    customers: dict[str, str] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    refunds: list[tuple[str, float, str]] = field(default_factory=list)

    def copy(self) -> SupportWorld:
        """An independent copy (what ``copy.deepcopy`` gives, much faster)."""
        tickets = {}
        for key, ticket in self.tickets.items():
            tickets[key] = copied = copy.copy(ticket)
            copied.messages = list(ticket.messages)
        return SupportWorld(
            company=self.company,
            customers=dict(self.customers),
            orders={k: copy.copy(o) for k, o in self.orders.items()},
            tickets=tickets,
            refunds=list(self.refunds),
        )


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[SupportWorld, dict]:
    """Customers with orders, refund tickets of each kind, and unrelated tickets."""
    world = SupportWorld(company=pick(rng, COMPANIES))
    people = sample(rng, NAME_PAIRS, 4 + 2 * difficulty)
    numbers = sample(rng, range(20100, 29900), 40)
    for first, last in people:
        world.customers[email_address(first, last)] = f"{first} {last}"
    emails = list(world.customers)
    for i, email in enumerate(emails * 3):
        if i >= len(emails) and real(rng) < 0.4:
            continue
        item, base = pick(rng, ITEMS)
        amount = int(base * uniform(rng, 0.8, 1.3)) + 0.99
        delivered = integer(rng, 2, 80) if real(rng) < 0.85 else None
        order = Order(f"ORD-{numbers[len(world.orders)]}", email, item, amount, delivered)
        if order.delivered_days_ago is not None and real(rng) < 0.15:
            order.refunded = order.amount
            world.refunds.append((order.id, order.amount, "damaged on arrival"))
        world.orders[order.id] = order
    kinds: dict[str, list[int]] = {"eligible": [], "late": [], "large": []}
    for order in world.orders.values():
        if order.delivered_days_ago is None or order.refunded or real(rng) < 0.3:
            continue
        late = order.delivered_days_ago > REFUND_WINDOW_DAYS
        kind = "late" if late else "large" if order.amount > APPROVAL_LIMIT else "eligible"
        kinds[kind].append(_refund_ticket(rng, world, order))
    for kind, item in (("eligible", ITEMS[0]), ("late", ITEMS[3]), ("large", ITEMS[10])):
        while len(kinds[kind]) < 2:  # every world has two requests of every kind
            days = 45 if kind == "late" else 9
            amount = item[1] - 0.01 if kind != "large" else item[1] + 19.99
            number = numbers[len(world.orders)]
            order = Order(f"ORD-{number}", pick(rng, emails), item[0], amount, days)
            world.orders[order.id] = order
            kinds[kind].append(_refund_ticket(rng, world, order))
    for order in world.orders.values():
        if order.delivered_days_ago is None and real(rng) < 0.5:
            _add_ticket(
                world,
                order,
                f"Where is my order {order.id}?",
                f"Hello, my {order.item} (order {order.id}) has not arrived yet. "
                "Can you tell me when it will be delivered?",
            )
    return world, {"kinds": kinds, "emails": emails}


def _add_ticket(world: SupportWorld, order: Order, subject: str, body: str) -> int:
    ticket_id = 1001 + len(world.tickets)
    world.tickets[ticket_id] = Ticket(
        ticket_id, order.customer, order.id, subject, [("customer", body)]
    )
    return ticket_id


def _refund_ticket(rng: np.random.Generator, world: SupportWorld, order: Order) -> int:
    name = world.customers[order.customer].split()[0]
    body = (
        f"Hi, the {order.item} I bought (order {order.id}) {pick(rng, PROBLEMS)}. "
        f"I would like a full refund, please. Thanks, {name}"
    )
    return _add_ticket(world, order, f"Refund request for order {order.id}", body)


def _pick_ticket(rng: np.random.Generator, world: SupportWorld, facts: dict, kind: str) -> Ticket:
    handled = facts.setdefault("handled", [])
    left = [t for t in facts["kinds"][kind] if t not in handled]
    free = [t for t in left if world.tickets[t].customer not in facts["touched"]]
    ticket = world.tickets[pick(rng, free or left)]
    facts["touched"].add(ticket.customer)
    handled.append(ticket.id)
    return ticket


def _handle_text(ticket: Ticket) -> str:
    return f"Handle ticket #{ticket.id} (a refund request) according to the refund policy."


def goal_refund(rng: np.random.Generator, world: SupportWorld, facts: dict) -> Goal:
    """An eligible request: refund the order in full and close the ticket."""
    ticket = _pick_ticket(rng, world, facts, "eligible")
    order = world.orders[ticket.order_id]
    facts["refund"] = {
        "ticket": ticket.id,
        "order_id": order.id,
        "amount": order.amount,
        "customer": order.customer,
    }

    reason = f"customer reports the {order.item} is faulty"

    def check(w: SupportWorld, answer: str | None) -> bool:
        done = w.orders[order.id].refunded
        return abs(done - order.amount) < 0.005 and w.tickets[ticket.id].status == "closed"

    return Goal(
        text=_handle_text(ticket),
        check=check,
        plans=(
            (
                call("read_ticket", ticket_id=ticket.id),
                call("get_order", order_id=order.id),
                call("issue_refund", order_id=order.id, amount=order.amount, reason=reason),
                call("close_ticket", ticket_id=ticket.id, resolution="refunded"),
            ),
            (
                call("get_refund_policy"),
                call("apply_macro", ticket_id=ticket.id, macro="full_refund"),
            ),
        ),
    )


def goal_deny_late(rng: np.random.Generator, world: SupportWorld, facts: dict) -> Goal:
    """A request outside the refund window: explain, close, do not refund."""
    ticket = _pick_ticket(rng, world, facts, "late")
    order = world.orders[ticket.order_id]

    def check(w: SupportWorld, answer: str | None) -> bool:
        t = w.tickets[ticket.id]
        replied = any(author == "agent" for author, _ in t.messages)
        return w.orders[order.id].refunded == 0 and t.status == "closed" and replied

    reply = (
        f"Sorry, order {order.id} was delivered {order.delivered_days_ago} days ago, "
        f"outside our {REFUND_WINDOW_DAYS}-day refund window, so we cannot refund it."
    )
    return Goal(
        text=_handle_text(ticket),
        check=check,
        plans=(
            (
                call("read_ticket", ticket_id=ticket.id),
                call("get_order", order_id=order.id),
                call("reply_ticket", ticket_id=ticket.id, message=reply),
                call("close_ticket", ticket_id=ticket.id, resolution="outside refund window"),
            ),
            (
                call("get_refund_policy"),
                call("apply_macro", ticket_id=ticket.id, macro="deny_refund"),
            ),
        ),
    )


def goal_escalate(rng: np.random.Generator, world: SupportWorld, facts: dict) -> Goal:
    """A request above the approval limit: escalate to billing, do not refund."""
    ticket = _pick_ticket(rng, world, facts, "large")
    order = world.orders[ticket.order_id]

    def check(w: SupportWorld, answer: str | None) -> bool:
        t = w.tickets[ticket.id]
        return w.orders[order.id].refunded == 0 and t.status == "escalated" and t.team == "billing"

    note = f"Refund of ${order.amount:.2f} for {order.id} is above the approval limit."
    return Goal(
        text=_handle_text(ticket),
        check=check,
        plans=(
            (
                call("read_ticket", ticket_id=ticket.id),
                call("get_order", order_id=order.id),
                call("escalate_ticket", ticket_id=ticket.id, team="billing", note=note),
            ),
            (
                call("get_refund_policy"),
                call("apply_macro", ticket_id=ticket.id, macro="escalate_to_billing"),
            ),
        ),
    )


def _customer_plans(world: SupportWorld, email: str) -> tuple[tuple[ToolCall, ...], ...]:
    orders = sorted(o.id for o in world.orders.values() if o.customer == email)
    return (
        (call("get_customer", email=email), *(call("get_order", order_id=o) for o in orders)),
        (call("list_customer_orders", email=email),),
    )


def question_spent(rng: np.random.Generator, world: SupportWorld, facts: dict) -> Goal:
    """How much a customer paid over all orders."""
    email = pick(rng, facts["emails"])
    total = round(sum(o.amount for o in world.orders.values() if o.customer == email), 2)
    return Goal(
        text=f"How much has {world.customers[email]} ({email}) paid in total over all of "
        "their orders, in dollars?",
        check=lambda w, answer: answer_has(answer, total),
        plans=_customer_plans(world, email),
        answer=f"{total:.2f}",
    )


def question_refunded(rng: np.random.Generator, world: SupportWorld, facts: dict) -> Goal:
    """How much a customer has been refunded so far."""
    free = [e for e in facts["emails"] if e not in facts["touched"]]
    email = pick(rng, free or facts["emails"])
    total = round(sum(o.refunded for o in world.orders.values() if o.customer == email), 2)
    return Goal(
        text=f"How much money has {world.customers[email]} ({email}) been refunded so far, "
        "in dollars?",
        check=lambda w, answer: answer_has(answer, total),
        plans=_customer_plans(world, email),
        answer=f"{total:.2f}",
    )
