"""Customer support: tickets, orders and a refund policy.

The agent works a help desk: it reads tickets, looks up orders and customers, and
resolves refund requests by the policy (refund in full, deny and explain, or
escalate to billing), either step by step or with the help desk's macros. Questions
ask what a customer paid or was refunded. Every goal has two tool-disjoint plans.
"""

from __future__ import annotations

from typing import Any, Literal

from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.names import TEAMS
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call
from nexgym.envs.domains.support import tasks
from nexgym.envs.domains.support.tasks import POLICY, Order, SupportWorld, Ticket

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

MACROS = ("full_refund", "deny_refund", "escalate_to_billing")


def _ticket(world: SupportWorld, ticket_id: int) -> Ticket:
    if ticket_id not in world.tickets:
        raise ToolError(f"no ticket #{ticket_id}; list_tickets shows the ticket numbers")
    return world.tickets[ticket_id]


def _open_ticket(world: SupportWorld, ticket_id: int) -> Ticket:
    ticket = _ticket(world, ticket_id)
    if ticket.status != "open":
        raise ToolError(f"ticket #{ticket_id} is {ticket.status}; only open tickets can change")
    return ticket


def _order(world: SupportWorld, order_id: str) -> Order:
    key = order_id.strip().upper()
    if key not in world.orders:
        raise ToolError(f"no order {order_id!r}; order ids look like 'ORD-20431'")
    return world.orders[key]


def _customer(world: SupportWorld, email: str) -> str:
    key = email.strip().lower()
    if key not in world.customers:
        raise ToolError(f"no customer with email {email!r}; tickets show customers' emails")
    return key


def _order_view(order: Order) -> dict[str, Any]:
    delivered = order.delivered_days_ago
    return {
        "order_id": order.id,
        "customer": order.customer,
        "item": order.item,
        "amount": order.amount,
        "delivered": f"{delivered} days ago" if delivered is not None else "in transit",
        "refunded": order.refunded,
    }


def _summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "customer": ticket.customer,
        "subject": ticket.subject,
        "status": ticket.status,
    }


@tool
def list_tickets(
    world: SupportWorld, status: Literal["open", "closed", "escalated"] | None = "open"
) -> list[dict[str, Any]]:
    """List tickets (number, customer, subject, status).

    Args:
        status: only tickets in this state; null lists every ticket.
    """
    return [_summary(t) for t in world.tickets.values() if status in (None, t.status)]


@tool
def read_ticket(world: SupportWorld, ticket_id: int) -> dict[str, Any]:
    """Return a ticket with its order id and every message.

    Args:
        ticket_id: the ticket number, e.g. 1003.
    """
    t = _ticket(world, ticket_id)
    messages = [{"from": author, "text": text} for author, text in t.messages]
    return {
        **_summary(t),
        "order_id": t.order_id,
        "team": t.team,
        "resolution": t.resolution,
        "messages": messages,
    }


@tool
def search_tickets(world: SupportWorld, text: str) -> list[dict[str, Any]]:
    """Find tickets whose subject, customer or first message contains a text.

    Args:
        text: case-insensitive text to look for, e.g. an order id or an email.
    """
    needle = text.strip().lower()
    if not needle:
        raise ToolError("expected a non-empty text to search for")
    return [
        {**_summary(t), "order_id": t.order_id, "message": t.messages[0][1]}
        for t in world.tickets.values()
        if needle in f"{t.subject} {t.customer} {t.messages[0][1]}".lower()
    ]


@tool
def get_order(world: SupportWorld, order_id: str) -> dict[str, Any]:
    """Return an order: customer, item, amount paid, delivery and amount refunded.

    Args:
        order_id: the order id, e.g. "ORD-20431".
    """
    return _order_view(_order(world, order_id))


@tool
def get_customer(world: SupportWorld, email: str) -> dict[str, Any]:
    """Return a customer's name and the ids of their orders.

    Args:
        email: the customer's email address.
    """
    key = _customer(world, email)
    orders = [o.id for o in world.orders.values() if o.customer == key]
    return {"email": key, "name": world.customers[key], "order_ids": orders}


@tool
def list_customer_orders(world: SupportWorld, email: str) -> list[dict[str, Any]]:
    """List every order of a customer with amounts, delivery and refunds.

    Args:
        email: the customer's email address.
    """
    key = _customer(world, email)
    return [_order_view(o) for o in world.orders.values() if o.customer == key]


@tool
def get_refund_policy(world: SupportWorld) -> str:
    """Return the company's refund policy and the macros that apply it."""
    return (
        f"{POLICY} Macros: full_refund (refund the ticket's order in full, reply, close), "
        "deny_refund (reply that the order is outside the refund window, close), "
        "escalate_to_billing (escalate for approval)."
    )


@tool(mutates=True)
def issue_refund(world: SupportWorld, order_id: str, amount: float, reason: str) -> str:
    """Refund money on an order to the customer's original payment method.

    Args:
        order_id: the order id, e.g. "ORD-20431".
        amount: dollars to refund; at most what was paid minus earlier refunds.
        reason: a short reason, kept with the refund.
    """
    order = _order(world, order_id)
    left = round(order.amount - order.refunded, 2)
    if amount <= 0 or amount > left + 1e-9:
        raise ToolError(
            f"expected an amount between 0.01 and {left:.2f} for {order.id}, got {amount}"
        )
    order.refunded = round(order.refunded + amount, 2)
    world.refunds.append((order.id, round(amount, 2), reason))
    return f"refunded ${amount:.2f} on {order.id}"


@tool(mutates=True)
def reply_ticket(world: SupportWorld, ticket_id: int, message: str) -> str:
    """Send a reply to the customer on a ticket.

    Args:
        ticket_id: the ticket number.
        message: the text of the reply.
    """
    ticket = _ticket(world, ticket_id)
    if not message.strip():
        raise ToolError("expected a non-empty message")
    ticket.messages.append(("agent", message.strip()))
    return f"replied on ticket #{ticket_id}"


@tool(mutates=True)
def close_ticket(world: SupportWorld, ticket_id: int, resolution: str) -> str:
    """Close an open ticket.

    Args:
        ticket_id: the ticket number.
        resolution: how it was resolved, e.g. "refunded".
    """
    ticket = _open_ticket(world, ticket_id)
    ticket.status, ticket.resolution = "closed", resolution
    return f"closed ticket #{ticket_id}"


@tool(mutates=True)
def escalate_ticket(
    world: SupportWorld,
    ticket_id: int,
    team: Literal["billing", "logistics", "technical", "management"],
    note: str,
) -> str:
    """Hand an open ticket to another team.

    Args:
        ticket_id: the ticket number.
        team: the team that takes it over.
        note: what the team needs to know.
    """
    ticket = _open_ticket(world, ticket_id)
    ticket.status, ticket.team, ticket.resolution = "escalated", team, note
    return f"escalated ticket #{ticket_id} to {team}"


@tool(mutates=True)
def apply_macro(
    world: SupportWorld,
    ticket_id: int,
    macro: Literal["full_refund", "deny_refund", "escalate_to_billing"],
) -> str:
    """Apply a help-desk macro to an open ticket (see get_refund_policy for what each does).

    Args:
        ticket_id: the ticket number.
        macro: which macro to apply.
    """
    ticket = _open_ticket(world, ticket_id)
    order = world.orders[ticket.order_id]
    if macro == "escalate_to_billing":
        note = f"Refund of ${order.amount:.2f} for {order.id} needs approval."
        return escalate_ticket(world, ticket_id=ticket_id, team="billing", note=note)
    if macro == "full_refund":
        issue_refund(
            world,
            order_id=order.id,
            amount=order.amount - order.refunded,
            reason="full refund macro",
        )
        text = f"We have refunded order {order.id} in full."
    else:
        text = f"Sorry, order {order.id} is outside our refund window and cannot be refunded."
    ticket.messages.append(("agent", text))
    ticket.status, ticket.resolution = "closed", macro
    return f"applied {macro} to ticket #{ticket_id}"


class SupportDomain(GeneratedDomain):
    """A help desk with tickets, orders and a refund policy."""

    name = "support"
    rng = staticmethod(numpy_rng)
    description = "a customer-support help desk with tickets, orders, refunds and a refund policy"
    tools = (
        list_tickets,
        read_ticket,
        search_tickets,
        get_order,
        get_customer,
        list_customer_orders,
        get_refund_policy,
        issue_refund,
        reply_ticket,
        close_ticket,
        escalate_ticket,
        apply_macro,
    )
    makers = (
        tasks.goal_refund,
        tasks.goal_deny_late,
        tasks.goal_escalate,
        tasks.question_spent,
        tasks.question_refunded,
    )
    new_world = staticmethod(tasks.new_world)

    def preamble(self, facts: dict[str, Any]) -> str:
        """Who the agent is, and the policy it must follow."""
        return f"You are a customer-support agent. {POLICY}"

    def copy_world(self, world: SupportWorld) -> SupportWorld:
        """A deep copy of the world (built directly: ``copy.deepcopy`` is slow)."""
        return world.copy()

    def check_invariants(self, world: SupportWorld) -> list[str]:
        """Refunds never exceed what was paid and match the refund log; references resolve."""
        problems = []
        logged: dict[str, float] = {}
        for order_id, amount, _ in world.refunds:
            logged[order_id] = logged.get(order_id, 0.0) + amount
            if order_id not in world.orders:
                problems.append(f"refund for unknown order {order_id}")
        for order in world.orders.values():
            if order.refunded < 0 or order.refunded > order.amount + 1e-6:
                problems.append(f"{order.id} refunded {order.refunded} of {order.amount}")
            if abs(logged.get(order.id, 0.0) - order.refunded) > 1e-6:
                problems.append(f"{order.id} refunded total does not match the refund log")
            if order.customer not in world.customers:
                problems.append(f"{order.id} belongs to unknown customer {order.customer}")
        for t in world.tickets.values():
            if t.order_id not in world.orders or t.status not in ("open", "closed", "escalated"):
                problems.append(f"ticket #{t.id} has a bad order or status")
            if (t.status == "escalated") != (t.team in TEAMS):
                problems.append(f"ticket #{t.id} is {t.status} with team {t.team}")
        return problems

    def candidate_calls(self, world: SupportWorld) -> list[ToolCall]:
        """Listings, look-ups of every ticket and customer, and macros on open tickets."""
        calls = [
            call("list_tickets"),
            call("list_tickets", status="closed"),
            call("get_refund_policy"),
        ]
        for t in world.tickets.values():
            calls += [call("read_ticket", ticket_id=t.id), call("get_order", order_id=t.order_id)]
        for email in world.customers:
            calls += [call("get_customer", email=email), call("list_customer_orders", email=email)]
        for t in world.tickets.values():
            if t.status == "open":
                calls += [call("apply_macro", ticket_id=t.id, macro=m) for m in MACROS]
        return calls
