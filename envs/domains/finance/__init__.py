"""Finance and invoicing: clients, invoices, payments, bank deposits and a ledger.

This folder holds the tools and the Domain class in :mod:`.domain`, the books and their task
generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.finance.domain import (
    Account,
    FinanceDomain,
    client_balance,
    create_invoice,
    get_invoice,
    issue_retainer_invoice,
    ledger_balance,
    list_clients,
    list_deposits,
    list_invoices,
    mark_overdue,
    post_ledger_entry,
    reconcile_deposit,
    record_payment,
    record_refund,
    run_collections,
)
from nexgym.envs.domains.finance.tasks import (
    ACCOUNTS,
    TODAY,
    FinanceWorld,
    Invoice,
)

__all__ = [
    "ACCOUNTS",
    "TODAY",
    "Account",
    "FinanceDomain",
    "FinanceWorld",
    "Invoice",
    "client_balance",
    "create_invoice",
    "get_invoice",
    "issue_retainer_invoice",
    "ledger_balance",
    "list_clients",
    "list_deposits",
    "list_invoices",
    "mark_overdue",
    "post_ledger_entry",
    "reconcile_deposit",
    "record_payment",
    "record_refund",
    "run_collections",
]
