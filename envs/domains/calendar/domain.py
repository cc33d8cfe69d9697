"""Calendar and scheduling for a team over one working week.

Events have a title, a day, start and end times and attendees; working hours are
09:00 to 17:00. Tasks: book a meeting with no conflict for anyone, move a meeting,
take someone out of a day's meetings, invite someone, and questions about people's
days. Every goal has two tool-disjoint plans (event-by-event tools, or the
scheduling assistant: ``free_busy``, ``find_free_slots``, ``book_meeting``,
``update_event``).
"""

from __future__ import annotations

import re
from typing import Any

from nexgym.envs.domains.calendar import tasks
from nexgym.envs.domains.calendar.tasks import (
    CLOSE,
    OPEN,
    WEEK,
    WEEKDAYS,
    CalendarWorld,
    Event,
    day_label,
    hhmm,
)
from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
#: A weekday's date or lower-case name -> its date.
_DAYS = {key: d for d, name in zip(WEEK, WEEKDAYS, strict=True) for key in (d, name.lower())}


def _day(day: str) -> str:
    date = _DAYS.get(day.strip().lower())
    if date is not None:
        return date
    raise ToolError(
        f"expected a weekday of {WEEK[0]} to {WEEK[-1]} as 'YYYY-MM-DD' or a "
        f"name like 'Tuesday', got {day!r}"
    )


def _minutes(time: str) -> int:
    match = _TIME.match(time.strip())
    if not match:
        raise ToolError(f"expected a 24-hour time 'HH:MM', e.g. '14:30', got {time!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


def _person(world: CalendarWorld, person: str) -> str:
    text = person.strip().lower()
    if text in world.people:  # an email (no full name has an "@")
        return text
    for email, name in world.people.items():
        if text in (email, name.lower()):
            return email
    raise ToolError(f"no person {person!r}; use a full name or email from list_people")


def _event(world: CalendarWorld, event_id: int) -> Event:
    if event_id not in world.events:
        raise ToolError(f"no event {event_id}; list_events shows event ids")
    return world.events[event_id]


def _span(day: str, start: str, minutes: int) -> tuple[str, int, int]:
    """Validate a slot; returns (date, start, end) within working hours."""
    date, begin = _day(day), _minutes(start)
    if minutes < 15 or minutes > 8 * 60:
        raise ToolError(f"expected a duration of 15 to 480 minutes, got {minutes}")
    if begin < OPEN or begin + minutes > CLOSE:
        raise ToolError(
            f"a meeting must fit in working hours 09:00-17:00; {start} for "
            f"{minutes} minutes does not"
        )
    return date, begin, begin + minutes


def _conflicts(
    world: CalendarWorld, people: list[str], day: str, start: int, end: int, skip: int | None = None
) -> list[str]:
    return sorted(
        {
            world.people[p]
            for p in people
            for s, e in world.busy(p, day, skip)
            if s < end and start < e
        }
    )


def _view(world: CalendarWorld, e: Event) -> dict[str, Any]:
    return {
        "event_id": e.id,
        "title": e.title,
        "day": day_label(e.day),
        "start": hhmm(e.start),
        "end": hhmm(e.end),
        "attendees": [world.people[a] for a in e.attendees],
    }


@tool
def list_people(world: CalendarWorld) -> list[dict[str, str]]:
    """List everyone on the team calendar with their email."""
    return [{"name": n, "email": e} for e, n in world.people.items()]


@tool
def list_events(world: CalendarWorld, day: str, person: str | None = None) -> list[dict[str, Any]]:
    """List the meetings of a day, optionally only those one person attends.

    Args:
        day: a weekday, as "2026-05-06" or "Wednesday".
        person: a full name or email (all meetings if omitted).
    """
    date = _day(day)
    who = _person(world, person) if person else None
    found = [
        e for e in world.events.values() if e.day == date and (who is None or who in e.attendees)
    ]
    return [_view(world, e) for e in sorted(found, key=lambda e: (e.start, e.id))]


@tool
def get_event(world: CalendarWorld, event_id: int) -> dict[str, Any]:
    """Return one meeting.

    Args:
        event_id: the event's id.
    """
    return _view(world, _event(world, event_id))


@tool
def free_busy(world: CalendarWorld, person: str, day: str) -> dict[str, Any]:
    """Return a person's busy meetings and free gaps during working hours on a day.

    Args:
        person: a full name or email.
        day: a weekday, as "2026-05-06" or "Wednesday".
    """
    who, date = _person(world, person), _day(day)
    busy = sorted(
        (e for e in world.events.values() if e.day == date and who in e.attendees),
        key=lambda e: e.start,
    )
    free, cursor = [], OPEN
    for e in busy:
        if e.start > cursor:
            free.append(f"{hhmm(cursor)}-{hhmm(e.start)}")
        cursor = max(cursor, e.end)
    if cursor < CLOSE:
        free.append(f"{hhmm(cursor)}-{hhmm(CLOSE)}")
    meetings = [
        {"event_id": e.id, "title": e.title, "time": f"{hhmm(e.start)}-{hhmm(e.end)}"} for e in busy
    ]
    return {"person": world.people[who], "day": day_label(date), "busy": meetings, "free": free}


@tool
def find_free_slots(
    world: CalendarWorld, people: list[str], day: str, duration_minutes: int
) -> list[str]:
    """List start times (on the half hour) when all the given people are free.

    Args:
        people: full names or emails.
        day: a weekday, as "2026-05-06" or "Wednesday".
        duration_minutes: how long the meeting lasts.
    """
    emails = [_person(world, p) for p in people]
    return [hhmm(t) for t in world.free_starts(emails, _day(day), duration_minutes)]


@tool(mutates=True)
def create_event(
    world: CalendarWorld,
    title: str,
    day: str,
    start: str,
    duration_minutes: int,
    attendees: list[str],
) -> dict[str, Any]:
    """Create a meeting at a given time; the result warns about attendees' conflicts.

    Args:
        title: the meeting's title.
        day: a weekday, as "2026-05-06" or "Wednesday".
        start: 24-hour start time "HH:MM".
        duration_minutes: how long it lasts.
        attendees: full names or emails of the people invited.
    """
    date, begin, end = _span(day, start, duration_minutes)
    emails = list(dict.fromkeys(_person(world, p) for p in attendees))
    if not title.strip() or not emails:
        raise ToolError("expected a non-empty title and at least one attendee")
    clash = _conflicts(world, emails, date, begin, end)
    event = Event(max(world.events, default=100) + 1, title.strip(), date, begin, end, emails)
    world.events[event.id] = event
    return {**_view(world, event), "conflicts": clash}


@tool(mutates=True)
def book_meeting(
    world: CalendarWorld,
    title: str,
    attendees: list[str],
    day: str,
    duration_minutes: int,
    start: str | None = None,
) -> dict[str, Any]:
    """Book a meeting only if every attendee is free; without a start, take the earliest slot.

    Args:
        title: the meeting's title.
        attendees: full names or emails of the people invited.
        day: a weekday, as "2026-05-06" or "Wednesday".
        duration_minutes: how long it lasts.
        start: 24-hour start time "HH:MM"; omit it to book the earliest free half hour.
    """
    emails = [_person(world, p) for p in attendees]
    if start is None:
        slots = world.free_starts(emails, _day(day), duration_minutes)
        if not slots:
            raise ToolError(
                f"no common free slot of {duration_minutes} minutes on {day}; try another day"
            )
        start = hhmm(slots[0])
    date, begin, end = _span(day, start, duration_minutes)
    clash = _conflicts(world, emails, date, begin, end)
    if clash:
        raise ToolError(f"{', '.join(clash)} already have a meeting then; use find_free_slots")
    return create_event(
        world,
        title=title,
        day=date,
        start=start,
        duration_minutes=duration_minutes,
        attendees=emails,
    )


@tool(mutates=True)
def move_event(world: CalendarWorld, event_id: int, day: str, start: str) -> dict[str, Any]:
    """Move a meeting to another day and/or time, keeping its length.

    Args:
        event_id: the event's id.
        day: the new weekday.
        start: the new 24-hour start time "HH:MM".
    """
    event = _event(world, event_id)
    event.day, event.start, event.end = _span(day, start, event.end - event.start)
    return {
        **_view(world, event),
        "conflicts": _conflicts(
            world, event.attendees, event.day, event.start, event.end, event.id
        ),
    }


@tool(mutates=True)
def update_event(
    world: CalendarWorld,
    event_id: int,
    title: str | None = None,
    day: str | None = None,
    start: str | None = None,
    attendees: list[str] | None = None,
) -> dict[str, Any]:
    """Change any of a meeting's title, day, start time (length kept) and attendee list.

    Args:
        event_id: the event's id.
        title: the new title.
        day: the new weekday.
        start: the new 24-hour start time "HH:MM".
        attendees: the complete new list of attendees (names or emails).
    """
    event = _event(world, event_id)
    date, begin, end = _span(day or event.day, start or hhmm(event.start), event.end - event.start)
    emails = (
        list(dict.fromkeys(_person(world, p) for p in attendees))
        if attendees is not None
        else event.attendees
    )
    if not emails:
        raise ToolError("expected at least one attendee; use cancel_event to drop a meeting")
    event.title = title.strip() if title else event.title
    event.day, event.start, event.end, event.attendees = date, begin, end, emails
    return _view(world, event)


@tool(mutates=True)
def add_attendee(world: CalendarWorld, event_id: int, person: str) -> dict[str, Any]:
    """Invite one more person to a meeting.

    Args:
        event_id: the event's id.
        person: a full name or email.
    """
    event, who = _event(world, event_id), _person(world, person)
    if who in event.attendees:
        raise ToolError(f"{world.people[who]} already attends event {event_id}")
    event.attendees.append(who)
    return _view(world, event)


@tool(mutates=True)
def remove_attendee(world: CalendarWorld, event_id: int, person: str) -> dict[str, Any]:
    """Take one person off a meeting (the meeting stays).

    Args:
        event_id: the event's id.
        person: a full name or email.
    """
    event, who = _event(world, event_id), _person(world, person)
    if who not in event.attendees:
        raise ToolError(f"{world.people[who]} does not attend event {event_id}")
    if len(event.attendees) == 1:
        raise ToolError(f"{world.people[who]} is the only attendee; use cancel_event instead")
    event.attendees.remove(who)
    return _view(world, event)


@tool(mutates=True)
def cancel_event(world: CalendarWorld, event_id: int) -> str:
    """Cancel (delete) a meeting.

    Args:
        event_id: the event's id.
    """
    event = _event(world, event_id)
    del world.events[event_id]
    return f"cancelled '{event.title}' on {day_label(event.day)}"


class CalendarDomain(GeneratedDomain):
    """A team calendar over one working week."""

    name = "calendar"
    description = "a team calendar with meetings, attendees and free/busy scheduling"
    tools = (
        list_people,
        list_events,
        get_event,
        free_busy,
        find_free_slots,
        create_event,
        book_meeting,
        move_event,
        update_event,
        add_attendee,
        remove_attendee,
        cancel_event,
    )
    makers = (
        tasks.goal_book,
        tasks.goal_move,
        tasks.goal_out_of_office,
        tasks.goal_add_attendee,
        tasks.question_count,
        tasks.question_first_free,
    )
    new_world = staticmethod(tasks.new_world)
    rng = staticmethod(numpy_rng)

    def preamble(self, facts: dict[str, Any]) -> str:
        """The week and working hours."""
        return (
            f"You manage the team calendar for the week of {day_label(WEEK[0])}. "
            "Working hours are 09:00 to 17:00."
        )

    def copy_world(self, world: CalendarWorld) -> CalendarWorld:
        """A deep copy of the world (built directly: ``copy.deepcopy`` is slow)."""
        return world.copy()

    def check_invariants(self, world: CalendarWorld) -> list[str]:
        """Events lie in the week's working hours and invite known people."""
        problems = []
        for e in world.events.values():
            if e.day not in WEEK or not OPEN <= e.start < e.end <= CLOSE:
                problems.append(f"event {e.id} lies outside working hours")
            if not e.attendees or any(a not in world.people for a in e.attendees):
                problems.append(f"event {e.id} has no or unknown attendees")
            if len(set(e.attendees)) != len(e.attendees):
                problems.append(f"event {e.id} lists an attendee twice")
        return problems

    def candidate_calls(self, world: CalendarWorld) -> list[ToolCall]:
        """Day listings, people's free/busy, event look-ups."""
        calls = [call("list_people")] + [call("list_events", day=d) for d in WEEK]
        for email in world.people:
            calls.append(call("free_busy", person=email, day=WEEK[0]))
            calls.append(call("list_events", day=WEEK[0], person=email))
        calls += [call("get_event", event_id=i) for i in sorted(world.events)]
        return calls
