"""The books of the finance domain, their generator and the goal makers.

Plans use either the invoice-level tools (``list_clients``, ``list_invoices``,
``get_invoice``, ``create_invoice``, ``record_payment``, ``mark_overdue``,
``post_ledger_entry``) or the automation tools (``issue_retainer_invoice``,
``list_deposits``, ``reconcile_deposit``, ``run_collections``, ``client_balance``,
``record_refund``).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, pick, real, sample
from nexgym.envs.domains.kit.names import COMPANIES
from nexgym.envs.domains.kit.taskgen import call

TODAY = dt.date(2026, 4, 15)
ACCOUNTS = ("cash", "receivables", "revenue", "refunds", "expenses")
SERVICES = ("Website redesign", "Quarterly audit", "Data migration", "Brand workshop",
            "Support hours", "Cloud hosting", "Training day")  # fmt: skip


@dataclass
class Client:
    """A client with payment terms (days) and a monthly retainer."""

    name: str
    email: str
    terms_days: int
    retainer: int


@dataclass
class Invoice:
    """An invoice; status is open, overdue, paid or void."""

    id: str
    client: str
    description: str
    amount: float
    issued: str
    due: str
    status: str = "open"
    paid: float = 0.0


@dataclass
class Entry:
    """A double-entry ledger line: ``amount`` moves from ``credit`` to ``debit``."""

    date: str
    debit: str
    credit: str
    amount: float
    memo: str
    reference: str


@dataclass
class FinanceWorld:
    """Clients, invoices, payments, unreconciled bank deposits and the ledger."""

    today: str
    clients: dict[str, Client] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: list[tuple[str, float, str]] = field(default_factory=list)
    deposits: dict[str, tuple[float, str, bool]] = field(default_factory=dict)
    ledger: list[Entry] = field(default_factory=list)

    def copy(self) -> FinanceWorld:
        """An independent copy (what ``copy.deepcopy`` gives, much faster)."""
        return FinanceWorld(
            today=self.today,
            clients={k: copy.copy(c) for k, c in self.clients.items()},
            invoices={k: copy.copy(i) for k, i in self.invoices.items()},
            payments=list(self.payments),
            deposits=dict(self.deposits),
            ledger=[copy.copy(e) for e in self.ledger],
        )

    def post(self, debit: str, credit: str, amount: float, memo: str, reference: str) -> Entry:
        """Append a ledger entry dated today."""
        entry = Entry(self.today, debit, credit, round(float(amount), 2), memo, reference)
        self.ledger.append(entry)
        return entry

    def issue(self, client: str, amount: float, description: str, issued: dt.date) -> Invoice:
        """Create an open invoice due on the client's terms, and book it."""
        due = issued + dt.timedelta(days=self.clients[client].terms_days)
        invoice = Invoice(
            f"INV-{1001 + len(self.invoices)}",
            client,
            description,
            round(float(amount), 2),
            issued.isoformat(),
            due.isoformat(),
        )
        self.invoices[invoice.id] = invoice
        self.post("receivables", "revenue", invoice.amount, description, invoice.id)
        return invoice

    def pay(self, invoice: Invoice, amount: float, method: str) -> None:
        """Record a payment on an invoice, and book it."""
        invoice.paid = round(invoice.paid + amount, 2)
        if abs(invoice.paid - invoice.amount) < 0.005:
            invoice.status = "paid"
        self.payments.append((invoice.id, round(amount, 2), method))
        self.post("cash", "receivables", amount, f"payment by {method}", invoice.id)


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[FinanceWorld, dict]:
    """3 + difficulty clients with invoices in every state and some bank deposits."""
    world = FinanceWorld(TODAY.isoformat())
    names = sample(rng, COMPANIES, 3 + difficulty)
    retainers = sample(rng, range(5, 50), len(names))
    for name, retainer in zip(names, retainers, strict=True):
        email = "accounts@" + "".join(ch for ch in name.lower() if ch.isalpha())[:12] + ".example"
        world.clients[name] = Client(name, email, pick(rng, (14, 30, 45)), retainer * 100)
    for _ in range(4 + 3 * difficulty):
        client = pick(rng, names)
        issued = TODAY - dt.timedelta(days=integer(rng, 3, 90))
        invoice = world.issue(
            client, integer(rng, 200, 9000) + pick(rng, (0, 0.5)), pick(rng, SERVICES), issued
        )
        roll = real(rng)
        if roll < 0.35:
            world.pay(invoice, invoice.amount, pick(rng, ("bank transfer", "card")))
        elif roll < 0.5 and invoice.due < world.today:
            invoice.status = "overdue"
    late = [i for i in world.invoices.values() if i.status == "open" and i.due < world.today]
    if not late:  # every world has work for collections
        world.issue(names[0], 1250.0, "Support hours", TODAY - dt.timedelta(days=80))
    open_ids = [i.id for i in world.invoices.values() if i.status in ("open", "overdue")]
    for invoice_id in sample(rng, open_ids, 2 + difficulty // 2):
        invoice = world.invoices[invoice_id]
        deposit_id = f"DEP-{len(world.deposits) + 1:02d}"
        world.deposits[deposit_id] = (
            invoice.amount,
            f"{invoice.client.upper()} {invoice.id}",
            False,
        )
    return world, {"clients": names}


def _client(rng: np.random.Generator, facts: dict, pool: list[str]) -> str:
    name = pick(rng, [c for c in pool if c not in facts["touched"]] or pool)
    facts["touched"].add(name)
    return name


def goal_retainer(rng: np.random.Generator, world: FinanceWorld, facts: dict) -> Goal:
    """Bill a client's monthly retainer."""
    client = world.clients[_client(rng, facts, facts["clients"])]
    known = set(world.invoices)
    due = (TODAY + dt.timedelta(days=client.terms_days)).isoformat()

    def check(w: FinanceWorld, answer: str | None) -> bool:
        new = [i for i in w.invoices.values() if i.id not in known and i.client == client.name]
        return len(new) == 1 and abs(new[0].amount - client.retainer) < 0.005 and new[0].due == due

    return Goal(
        text=f"Bill {client.name} their monthly retainer: one new invoice for the retainer "
        "amount, due on the client's usual payment terms.",
        check=check,
        plans=(
            (
                call("list_clients"),
                call(
                    "create_invoice",
                    client=client.name,
                    amount=client.retainer,
                    description="Monthly retainer",
                ),
            ),
            (call("issue_retainer_invoice", client=client.name),),
        ),
    )


def goal_payment(rng: np.random.Generator, world: FinanceWorld, facts: dict) -> Goal:
    """Record the bank transfer that pays an invoice in full."""
    deposits = {ref.split()[-1]: d for d, (_, ref, done) in world.deposits.items() if not done}
    options = [i for i in sorted(deposits) if world.invoices[i].client not in facts["touched"]]
    invoice = world.invoices[pick(rng, options or sorted(deposits))]
    facts["touched"].add(invoice.client)
    left = round(invoice.amount - invoice.paid, 2)

    def check(w: FinanceWorld, answer: str | None) -> bool:
        paid = sum(a for i, a, _ in w.payments if i == invoice.id)
        return w.invoices[invoice.id].status == "paid" and abs(paid - invoice.amount) < 0.005

    return Goal(
        text=f"{invoice.client} paid invoice {invoice.id} in full by bank transfer; the money "
        "is in the bank. Record the payment.",
        check=check,
        plans=(
            (
                call("get_invoice", invoice_id=invoice.id),
                call("record_payment", invoice_id=invoice.id, amount=left, method="bank transfer"),
            ),
            (
                call("list_deposits"),
                call("reconcile_deposit", deposit_id=deposits[invoice.id], invoice_id=invoice.id),
            ),
        ),
    )


def goal_overdue(rng: np.random.Generator, world: FinanceWorld, facts: dict) -> Goal:
    """Mark every open past-due invoice as overdue."""
    late = sorted(
        i.id for i in world.invoices.values() if i.status == "open" and i.due < world.today
    )
    before = {i.id: i.status for i in world.invoices.values()}

    def check(w: FinanceWorld, answer: str | None) -> bool:
        return all(
            w.invoices[i].status == ("overdue" if i in late else s)
            or w.invoices[i].status == "paid"
            for i, s in before.items()
        ) and all(w.invoices[i].status != "open" for i in late)

    return Goal(
        text="Mark every open invoice whose due date is before today as "
        "overdue, and no other invoice.",
        check=check,
        plans=(
            (
                call("list_invoices", status="open"),
                *(call("mark_overdue", invoice_id=i) for i in late),
            ),
            (call("run_collections"),),
        ),
    )


def refund_goal(world: FinanceWorld, amount: float, reference: str, who: str) -> Goal:
    """Book a refund in the ledger: debit refunds, credit cash, with a reference."""

    def check(w: FinanceWorld, answer: str | None) -> bool:
        return any(
            (e.debit, e.credit) == ("refunds", "cash")
            and abs(e.amount - amount) < 0.005
            and e.reference.strip().upper() == reference.upper()
            for e in w.ledger
        )

    memo = f"refund to {who}"
    return Goal(
        text=f"Record a refund of ${amount:.2f} to {who} in the ledger (debit refunds, credit "
        f"cash) with reference {reference}.",
        check=check,
        plans=(
            (
                call(
                    "post_ledger_entry",
                    debit_account="refunds",
                    credit_account="cash",
                    amount=amount,
                    memo=memo,
                    reference=reference,
                ),
            ),
            (call("record_refund", reference=reference, amount=amount, memo=memo),),
        ),
    )


def goal_refund_entry(rng: np.random.Generator, world: FinanceWorld, facts: dict) -> Goal:
    """A refund to a client, booked in the ledger."""
    client = pick(rng, facts["clients"])
    amount = integer(rng, 50, 900) + 0.5
    return refund_goal(world, amount, f"CR-{integer(rng, 100, 999)}", client)


def question_outstanding(rng: np.random.Generator, world: FinanceWorld, facts: dict) -> Goal:
    """How much a client still owes."""
    client = _client(rng, facts, facts["clients"])
    owed = round(
        sum(
            i.amount - i.paid
            for i in world.invoices.values()
            if i.client == client and i.status in ("open", "overdue")
        ),
        2,
    )
    return Goal(
        text=f"How much does {client} still owe in total on their open and overdue invoices, "
        "in dollars?",
        check=lambda w, answer: answer_has(answer, owed),
        plans=(
            (call("list_invoices", client=client),),
            (call("client_balance", client=client),),
        ),
        answer=f"{owed:.2f}",
    )
