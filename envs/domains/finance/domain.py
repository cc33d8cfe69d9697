"""Finance and invoicing: clients, invoices, payments, bank deposits and a ledger.

Every money movement is a double entry (``debit`` and ``credit`` accounts of equal
amount): issuing an invoice debits receivables and credits revenue, a payment debits
cash and credits receivables, a refund debits refunds and credits cash. Tasks: bill a
retainer, record a payment, mark overdue invoices, book a refund, and balance
questions. Every goal has two tool-disjoint plans.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from nexgym.envs.domains.finance import tasks
from nexgym.envs.domains.finance.tasks import ACCOUNTS, TODAY, FinanceWorld, Invoice
from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

Account = Literal["cash", "receivables", "revenue", "refunds", "expenses"]


def _client(world: FinanceWorld, name: str) -> str:
    for known in world.clients:
        if known.lower() == name.strip().lower():
            return known
    raise ToolError(f"no client {name!r}; expected one of: {', '.join(world.clients)}")


def _invoice(world: FinanceWorld, invoice_id: str) -> Invoice:
    key = invoice_id.strip().upper()
    if key not in world.invoices:
        raise ToolError(f"no invoice {invoice_id!r}; list_invoices shows ids like 'INV-1003'")
    return world.invoices[key]


def _amount(amount: float) -> float:
    if amount <= 0:
        raise ToolError(f"expected a positive amount, got {amount}")
    return round(amount, 2)


def _payable(invoice: Invoice, amount: float) -> float:
    if invoice.status not in ("open", "overdue"):
        raise ToolError(
            f"{invoice.id} is {invoice.status}; only open or overdue invoices take payments"
        )
    left = round(invoice.amount - invoice.paid, 2)
    if _amount(amount) > left + 1e-9:
        raise ToolError(f"{invoice.id} has ${left:.2f} left to pay, got a payment of ${amount:.2f}")
    return round(amount, 2)


def _view(invoice: Invoice) -> dict[str, Any]:
    return {**vars(invoice), "balance": round(invoice.amount - invoice.paid, 2)}


@tool
def list_clients(world: FinanceWorld) -> list[dict[str, Any]]:
    """List clients with their payment terms (days) and monthly retainer."""
    return [vars(c).copy() for c in world.clients.values()]


@tool
def list_invoices(
    world: FinanceWorld,
    client: str | None = None,
    status: Literal["open", "overdue", "paid", "void"] | None = None,
) -> list[dict[str, Any]]:
    """List invoices with their due dates, amounts paid and balances.

    Args:
        client: only this client's invoices.
        status: only invoices in this state.
    """
    name = _client(world, client) if client else None
    return [
        _view(i)
        for i in world.invoices.values()
        if name in (None, i.client) and status in (None, i.status)
    ]


@tool
def get_invoice(world: FinanceWorld, invoice_id: str) -> dict[str, Any]:
    """Return one invoice.

    Args:
        invoice_id: the invoice id, e.g. "INV-1003".
    """
    return _view(_invoice(world, invoice_id))


@tool(mutates=True)
def create_invoice(
    world: FinanceWorld,
    client: str,
    amount: float,
    description: str,
    due_in_days: int | None = None,
) -> dict[str, Any]:
    """Issue an invoice dated today.

    Args:
        client: the client's name.
        amount: the amount in dollars.
        description: what is billed.
        due_in_days: days until it is due; the client's usual terms if omitted.
    """
    name = _client(world, client)
    if due_in_days is not None and not 0 <= due_in_days <= 120:
        raise ToolError(f"expected due_in_days from 0 to 120, got {due_in_days}")
    invoice = world.issue(name, _amount(amount), description.strip() or "Services", TODAY)
    if due_in_days is not None:
        invoice.due = (TODAY + dt.timedelta(days=due_in_days)).isoformat()
    return _view(invoice)


@tool(mutates=True)
def issue_retainer_invoice(world: FinanceWorld, client: str) -> dict[str, Any]:
    """Issue today's monthly retainer invoice for a client, on the client's usual terms.

    Args:
        client: the client's name.
    """
    name = _client(world, client)
    return _view(world.issue(name, world.clients[name].retainer, "Monthly retainer", TODAY))


@tool(mutates=True)
def record_payment(
    world: FinanceWorld,
    invoice_id: str,
    amount: float,
    method: Literal["bank transfer", "card", "cheque", "cash"],
) -> dict[str, Any]:
    """Record money received against an invoice.

    Args:
        invoice_id: the invoice id.
        amount: dollars received, at most the invoice's balance.
        method: how it was paid.
    """
    invoice = _invoice(world, invoice_id)
    world.pay(invoice, _payable(invoice, amount), method)
    return _view(invoice)


@tool
def list_deposits(world: FinanceWorld, reconciled: bool | None = False) -> list[dict[str, Any]]:
    """List bank deposits with the reference text the payer gave.

    Args:
        reconciled: false for deposits not yet matched to an invoice, true for matched
            ones, null for all.
    """
    return [
        {"deposit_id": d, "amount": amount, "reference": ref, "reconciled": done}
        for d, (amount, ref, done) in world.deposits.items()
        if reconciled in (None, done)
    ]


@tool(mutates=True)
def reconcile_deposit(world: FinanceWorld, deposit_id: str, invoice_id: str) -> dict[str, Any]:
    """Match a bank deposit to an invoice: its amount is recorded as a bank-transfer payment.

    Args:
        deposit_id: the deposit id, e.g. "DEP-02".
        invoice_id: the invoice the deposit pays.
    """
    key = deposit_id.strip().upper()
    if key not in world.deposits:
        raise ToolError(f"no deposit {deposit_id!r}; list_deposits shows them")
    amount, reference, done = world.deposits[key]
    if done:
        raise ToolError(f"deposit {key} is already reconciled")
    invoice = _invoice(world, invoice_id)
    world.pay(invoice, _payable(invoice, amount), "bank transfer")
    world.deposits[key] = (amount, reference, True)
    return _view(invoice)


@tool(mutates=True)
def mark_overdue(world: FinanceWorld, invoice_id: str) -> str:
    """Mark an open invoice whose due date has passed as overdue.

    Args:
        invoice_id: the invoice id.
    """
    invoice = _invoice(world, invoice_id)
    if invoice.status != "open" or invoice.due >= world.today:
        raise ToolError(
            f"{invoice.id} is {invoice.status} and due {invoice.due}; only open "
            f"invoices due before {world.today} can become overdue"
        )
    invoice.status = "overdue"
    return f"{invoice.id} is now overdue"


@tool(mutates=True)
def run_collections(world: FinanceWorld) -> list[str]:
    """Mark every open invoice whose due date has passed as overdue; returns their ids."""
    late = [i for i in world.invoices.values() if i.status == "open" and i.due < world.today]
    for invoice in late:
        invoice.status = "overdue"
    return [i.id for i in late]


@tool
def client_balance(world: FinanceWorld, client: str) -> dict[str, Any]:
    """Return what a client owes on open and overdue invoices.

    Args:
        client: the client's name.
    """
    name = _client(world, client)
    owing = [
        i for i in world.invoices.values() if i.client == name and i.status in ("open", "overdue")
    ]
    total = round(sum(i.amount - i.paid for i in owing), 2)
    return {"client": name, "outstanding": total, "invoices": [i.id for i in owing]}


@tool(mutates=True)
def post_ledger_entry(
    world: FinanceWorld,
    debit_account: Account,
    credit_account: Account,
    amount: float,
    memo: str,
    reference: str,
) -> dict[str, Any]:
    """Post a double entry to the ledger.

    Args:
        debit_account: the account debited.
        credit_account: the account credited (must differ from the debit account).
        amount: dollars, positive.
        memo: what the entry is for.
        reference: an invoice, order or other document id.
    """
    if debit_account == credit_account:
        raise ToolError(f"expected two different accounts, got {debit_account} twice")
    return vars(
        world.post(debit_account, credit_account, _amount(amount), memo, reference.strip())
    ).copy()


@tool(mutates=True)
def record_refund(world: FinanceWorld, reference: str, amount: float, memo: str) -> dict[str, Any]:
    """Book money refunded to a customer: debits refunds and credits cash.

    Args:
        reference: the refunded order or document id.
        amount: dollars refunded.
        memo: what the refund is for.
    """
    return vars(world.post("refunds", "cash", _amount(amount), memo, reference.strip())).copy()


@tool
def ledger_balance(world: FinanceWorld, account: Account) -> dict[str, Any]:
    """Return an account's debits, credits and balance (debits minus credits).

    Args:
        account: the ledger account.
    """
    debits = round(sum(e.amount for e in world.ledger if e.debit == account), 2)
    credits = round(sum(e.amount for e in world.ledger if e.credit == account), 2)
    return {
        "account": account,
        "debits": debits,
        "credits": credits,
        "balance": round(debits - credits, 2),
    }


class FinanceDomain(GeneratedDomain):
    """Invoices, payments, deposits and a double-entry ledger."""

    name = "finance"
    rng = staticmethod(numpy_rng)
    description = (
        "invoicing and bookkeeping with clients, invoices, payments, deposits and a ledger"
    )
    tools = (
        list_clients,
        list_invoices,
        get_invoice,
        create_invoice,
        issue_retainer_invoice,
        record_payment,
        list_deposits,
        reconcile_deposit,
        mark_overdue,
        run_collections,
        client_balance,
        post_ledger_entry,
        record_refund,
        ledger_balance,
    )
    makers = (
        tasks.goal_retainer,
        tasks.goal_payment,
        tasks.goal_overdue,
        tasks.goal_refund_entry,
        tasks.question_outstanding,
    )
    new_world = staticmethod(tasks.new_world)

    def preamble(self, facts: dict[str, Any]) -> str:
        """The date the books are kept on."""
        return f"You keep the books; today is {TODAY.isoformat()}."

    def copy_world(self, world: FinanceWorld) -> FinanceWorld:
        """A deep copy of the world (built directly: ``copy.deepcopy`` is slow)."""
        return world.copy()

    def check_invariants(self, world: FinanceWorld) -> list[str]:
        """Payments match invoices, statuses match balances, ledger entries are well-formed."""
        problems = []
        paid: dict[str, float] = {}
        for invoice_id, amount, _ in world.payments:
            paid[invoice_id] = paid.get(invoice_id, 0.0) + amount
        for i in world.invoices.values():
            if abs(paid.get(i.id, 0.0) - i.paid) > 0.005 or i.paid > i.amount + 0.005:
                problems.append(f"{i.id} paid {i.paid} does not match its payments or amount")
            if (i.status == "paid") != (abs(i.paid - i.amount) < 0.005):
                problems.append(f"{i.id} is {i.status} with {i.paid} of {i.amount} paid")
            if i.client not in world.clients:
                problems.append(f"{i.id} bills unknown client {i.client}")
        for e in world.ledger:
            if e.amount <= 0 or e.debit == e.credit or {e.debit, e.credit} - set(ACCOUNTS):
                problems.append(f"bad ledger entry {e}")
        return problems

    def candidate_calls(self, world: FinanceWorld) -> list[ToolCall]:
        """Listings, per-client balances and invoices, per-invoice look-ups."""
        calls = [
            call("list_clients"),
            call("list_invoices"),
            call("list_deposits"),
            call("list_invoices", status="open"),
        ]
        calls += [call("ledger_balance", account=a) for a in ACCOUNTS]
        for name in world.clients:
            calls += [call("client_balance", client=name), call("list_invoices", client=name)]
        calls += [call("get_invoice", invoice_id=i) for i in world.invoices]
        return calls
