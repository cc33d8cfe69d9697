"""Unit tests of individual tools: what they change and the errors they explain."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from nexgym.envs.domains import get_domain

from nexgym.error import ToolError


def setup(name: str, seed: int = 0, difficulty: int = 2) -> tuple[Any, Any]:
    domain = get_domain(name)
    return domain, copy.deepcopy(domain.generate_task(seed, difficulty).world)


def test_support_refunds_respect_what_was_paid() -> None:
    domain, world = setup("support")
    ticket = next(t for t in world.tickets.values() if t.subject.startswith("Refund"))
    order = world.orders[ticket.order_id]
    refund = domain.tool("issue_refund")
    with pytest.raises(ToolError, match=r"between 0\.01 and"):
        refund(world, order_id=order.id, amount=order.amount + 1, reason="x")
    with pytest.raises(ToolError, match="no order"):
        refund(world, order_id="ORD-1", amount=1.0, reason="x")
    domain.tool("apply_macro")(world, ticket_id=ticket.id, macro="full_refund")
    assert order.refunded == order.amount and world.tickets[ticket.id].status == "closed"
    with pytest.raises(ToolError, match="only open tickets"):
        domain.tool("close_ticket")(world, ticket_id=ticket.id, resolution="again")
    assert domain.check_invariants(world) == []


def test_home_settings_are_checked_per_kind() -> None:
    domain, world = setup("home")
    set_device = domain.tool("set_device")
    thermostat = next(d for d in world.devices.values() if d.kind == "thermostat")
    blind = next(d for d in world.devices.values() if d.kind == "blind")
    with pytest.raises(ToolError, match="from 16 to 28"):
        set_device(world, device_id=thermostat.id, level=40)
    with pytest.raises(ToolError, match="no power switch"):
        set_device(world, device_id=blind.id, on=True)
    with pytest.raises(ToolError, match="neither"):
        set_device(world, device_id=blind.id)
    set_device(world, device_id=thermostat.id, on=True, level=22)
    assert (thermostat.on, thermostat.level) == (True, 22)
    scene = next(iter(world.scenes))
    with pytest.raises(ToolError, match="HH:MM"):
        domain.tool("create_schedule")(world, scene=scene, time="7am", days=["mon"])
    domain.tool("activate_scene")(world, name=scene.upper())
    assert all(world.devices[i].on == on for i, (on, _) in world.scenes[scene].items())


def test_calendar_books_only_free_slots() -> None:
    domain, world = setup("calendar")
    event = next(iter(world.events.values()))
    people = [world.people[a] for a in event.attendees]
    start = f"{event.start // 60:02d}:{event.start % 60:02d}"
    book = domain.tool("book_meeting")
    with pytest.raises(ToolError, match="already have a meeting"):
        book(
            world, title="Clash", attendees=people, day=event.day, duration_minutes=30, start=start
        )
    with pytest.raises(ToolError, match="working hours"):
        domain.tool("create_event")(
            world, title="Late", day="Friday", start="16:45", duration_minutes=60, attendees=people
        )
    with pytest.raises(ToolError, match="weekday"):
        domain.tool("list_events")(world, day="Saturday")
    made = book(world, title="Sync", attendees=people, day="wednesday", duration_minutes=30)
    assert made["conflicts"] == [] and made["day"].startswith("Wednesday")
    assert domain.check_invariants(world) == []


def test_travel_bookings_stay_within_budget() -> None:
    domain, world = setup("travel")
    person = next(iter(world.travelers))
    hotel = max(world.hotels.values(), key=lambda h: h.nightly)
    with pytest.raises(ToolError, match="budget left"):
        domain.tool("book_hotel")(
            world, hotel_id=hotel.id, traveler=person, check_in="2026-06-01", nights=14
        )
    left = domain.tool("budget_status")(world, traveler=person)["remaining"]
    stay = domain.tool("book_hotel")(
        world, hotel_id=hotel.id, traveler=person, check_in="2026-06-01", nights=1
    )
    assert domain.tool("budget_status")(world, traveler=person)["remaining"] == left - hotel.nightly
    other = next(h for h in world.hotels.values() if h.city != hotel.city)
    with pytest.raises(ToolError, match="hotel in"):
        domain.tool("change_hotel")(world, booking_id=stay["id"], hotel_id=other.id)
    domain.tool("cancel_booking")(world, booking_id=stay["id"])
    assert domain.tool("budget_status")(world, traveler=person)["remaining"] == left
    with pytest.raises(ToolError, match="already cancelled"):
        domain.tool("cancel_booking")(world, booking_id=stay["id"])
    assert domain.check_invariants(world) == []


def test_finance_payments_and_ledger() -> None:
    domain, world = setup("finance")
    invoice = next(i for i in world.invoices.values() if i.status == "open")
    pay = domain.tool("record_payment")
    with pytest.raises(ToolError, match="left to pay"):
        pay(world, invoice_id=invoice.id, amount=invoice.amount + 10, method="card")
    pay(world, invoice_id=invoice.id, amount=invoice.amount, method="card")
    assert invoice.status == "paid"
    with pytest.raises(ToolError, match="only open or overdue"):
        pay(world, invoice_id=invoice.id, amount=1, method="card")
    future = domain.tool("create_invoice")(
        world, client=invoice.client, amount=100, description="Extra work"
    )
    with pytest.raises(ToolError, match="can become overdue"):
        domain.tool("mark_overdue")(world, invoice_id=future["id"])
    with pytest.raises(ToolError, match="two different accounts"):
        domain.tool("post_ledger_entry")(
            world, debit_account="cash", credit_account="cash", amount=5, memo="x", reference="y"
        )
    cash = domain.tool("ledger_balance")(world, account="cash")["balance"]
    domain.tool("record_refund")(world, reference="ORD-1", amount=12.5, memo="refund")
    assert domain.tool("ledger_balance")(world, account="cash")["balance"] == round(cash - 12.5, 2)
    assert domain.check_invariants(world) == []


def test_email_rules_file_existing_and_new_mail() -> None:
    domain, world = setup("email")
    mail = next(m for m in world.emails.values() if m.folder == "inbox")
    with pytest.raises(ToolError, match="no folder"):
        domain.tool("move_email")(world, email_id=mail.id, folder="Holidays")
    domain.tool("create_rule")(world, sender=mail.sender, folder="archive", label="Later")
    assert mail.folder == "archive" and mail.labels == ["later"]
    fresh = world.deliver("Someone", mail.sender, "Another one", "Hello again.")
    assert fresh.folder == "archive"
    reply = domain.tool("reply_email")(world, email_id=mail.id, body="Thanks!")
    assert reply["thread_id"] == mail.thread and reply["subject"].startswith("Re: ")
    with pytest.raises(ToolError, match="email addresses"):
        domain.tool("send_email")(world, to=["bob"], subject="Hi", body="Hello")
    assert domain.check_invariants(world) == []


def test_research_quotes_and_sections() -> None:
    domain, world = setup("research")
    doc = next(iter(world.docs.values()))
    city = next(iter(doc.findings))
    quoted = domain.tool("quote")(world, doc_id=doc.id.lower(), phrase=f"In {city}, ")
    assert str(doc.findings[city]) in quoted["sentence"] and doc.author in quoted["citation"]
    with pytest.raises(ToolError, match="does not contain"):
        domain.tool("quote")(world, doc_id=doc.id, phrase="zeppelin")
    with pytest.raises(ToolError, match="Findings"):
        domain.tool("read_section")(world, doc_id=doc.id, section="Appendix")
    domain.tool("add_quote_to_note")(
        world, note_title="Notes", doc_id=doc.id, phrase=f"In {city}, "
    )
    domain.tool("add_quote_to_note")(world, note_title="notes", doc_id=doc.id, phrase="This report")
    assert world.notes["Notes"].count("\n") == 1 and quoted["sentence"] in world.notes["Notes"]
