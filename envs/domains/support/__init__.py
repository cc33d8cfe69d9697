"""Customer support: tickets, orders and a refund policy.

This folder holds the tools and the Domain class in :mod:`.domain`, the help-desk world and its
task generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.support.domain import (
    MACROS,
    SupportDomain,
    apply_macro,
    close_ticket,
    escalate_ticket,
    get_customer,
    get_order,
    get_refund_policy,
    issue_refund,
    list_customer_orders,
    list_tickets,
    read_ticket,
    reply_ticket,
    search_tickets,
)
from nexgym.envs.domains.support.tasks import (
    POLICY,
    Order,
    SupportWorld,
    Ticket,
)

__all__ = [
    "MACROS",
    "POLICY",
    "Order",
    "SupportDomain",
    "SupportWorld",
    "Ticket",
    "apply_macro",
    "close_ticket",
    "escalate_ticket",
    "get_customer",
    "get_order",
    "get_refund_policy",
    "issue_refund",
    "list_customer_orders",
    "list_tickets",
    "read_ticket",
    "reply_ticket",
    "search_tickets",
]
