"""The team calendar of the calendar domain, its generator and its goal makers.

Plans use either the event-by-event tools (``list_events``, ``create_event``,
``move_event``, ``add_attendee``, ``remove_attendee``) or the scheduling assistant
(``free_busy``, ``find_free_slots``, ``book_meeting``, ``update_event``). Goals claim
the people they involve so that, whatever order the agent works in, one goal never
creates a conflict another goal is checked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, pick, sample
from nexgym.envs.domains.kit.names import NAME_PAIRS
from nexgym.envs.domains.kit.taskgen import call

MONDAY = dt.date(2026, 5, 4)
WEEK = tuple((MONDAY + dt.timedelta(days=i)).isoformat() for i in range(5))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
OPEN, CLOSE = 9 * 60, 17 * 60
TITLES = ("Budget sync", "Design review", "Sprint planning", "Hiring panel", "Customer call",
          "Roadmap planning", "Security review", "Team lunch", "Vendor demo", "Retrospective",
          "Analytics deep dive", "Board prep")  # fmt: skip
NEW_TITLES = ("Q3 roadmap review", "Launch readiness", "Pricing workshop", "Onboarding plan",
              "Incident postmortem", "Partner kickoff")  # fmt: skip


#: (email, full name) of everyone who may be on a team, as NAME_PAIRS orders them.
PEOPLE = tuple((f"{f.lower()}.{la.lower()}@example.com", f"{f} {la}") for f, la in NAME_PAIRS)


@dataclass
class Event:
    """A meeting; ``start`` and ``end`` are minutes after midnight."""

    id: int
    title: str
    day: str
    start: int
    end: int
    attendees: list[str]


@dataclass
class CalendarWorld:
    """People (email -> full name) and events by id, over one working week."""

    people: dict[str, str] = field(default_factory=dict)
    events: dict[int, Event] = field(default_factory=dict)

    def busy(self, email: str, day: str, skip: int | None = None) -> list[tuple[int, int]]:
        """Sorted busy intervals of a person on a day (ignoring event ``skip``)."""
        return sorted(
            (e.start, e.end)
            for e in self.events.values()
            if e.day == day and email in e.attendees and e.id != skip
        )

    def free_starts(self, emails: list[str], day: str, minutes: int) -> list[int]:
        """Start times on the half hour when everyone is free for ``minutes``."""
        people = set(emails)
        busy = {
            (e.start, e.end)
            for e in self.events.values()
            if e.day == day and not people.isdisjoint(e.attendees)
        }
        return free_starts(busy, minutes)

    def week_free_starts(self, emails: list[str], minutes: int) -> dict[str, list[int]]:
        """``self.free_starts(emails, day, minutes)`` of every day of the week, in one pass."""
        people = set(emails)
        busy: dict[str, set[tuple[int, int]]] = {day: set() for day in WEEK}
        for e in self.events.values():
            if e.day in busy and not people.isdisjoint(e.attendees):
                busy[e.day].add((e.start, e.end))
        return {day: free_starts(intervals, minutes) for day, intervals in busy.items()}

    def copy(self) -> CalendarWorld:
        """An independent copy (what ``copy.deepcopy`` gives, much faster)."""
        return CalendarWorld(
            dict(self.people),
            {
                i: Event(e.id, e.title, e.day, e.start, e.end, list(e.attendees))
                for i, e in self.events.items()
            },
        )


def free_starts(busy: Iterable[tuple[int, int]], minutes: int) -> list[int]:
    """Half-hour start times in working hours that overlap none of the ``busy`` intervals."""
    taken: set[int] = set()  # the half hours t with s - minutes < t < end for some busy (s, end)
    for s, end in busy:
        taken.update(range(OPEN + ((s - minutes - OPEN) // 30 + 1) * 30, end, 30))
    return [t for t in range(OPEN, CLOSE - minutes + 1, 30) if t not in taken]


#: The start times of 30-minute meetings in working hours.
_HALVES = range(OPEN, CLOSE - 30 + 1, 30)
_ALL_HALVES = (1 << len(_HALVES)) - 1


@lru_cache(maxsize=1024)
def _blocked_halves(start: int, end: int) -> int:
    """Bit i set when a meeting from ``start`` to ``end`` blocks 30 minutes at ``_HALVES[i]``."""
    return sum(1 << i for i, t in enumerate(_HALVES) if start - 30 < t < end)


@cache  # every event shown formats its times; there are few distinct ones
def hhmm(minutes: int) -> str:
    """Minutes after midnight as ``HH:MM``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@cache  # called for every event shown
def day_label(day: str) -> str:
    """``2026-05-06`` as ``Wednesday 2026-05-06``."""
    return f"{WEEKDAYS[WEEK.index(day)]} {day}"


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[CalendarWorld, dict]:
    """5 + 2 * difficulty people and a conflict-free week of meetings."""
    world = CalendarWorld()
    world.people.update(sample(rng, PEOPLE, 5 + 2 * difficulty))
    emails = list(world.people)
    for day in WEEK:
        # person -> the half hours of the day they are booked, as bits: meetings here
        # start and end on the half hour, so they overlap exactly when their bits do
        booked: dict[str, int] = {}
        for title in sample(rng, TITLES, 2 + difficulty):
            minutes = pick(rng, (30, 60, 60, 90))
            for _ in range(20):  # draw until the meeting fits everyone's day
                slot = integer(rng, 0, (CLOSE - OPEN - minutes) // 30 + 1)
                people = sample(rng, emails, integer(rng, 2, 5))
                halves = ((1 << minutes // 30) - 1) << slot
                if not any(booked.get(p, 0) & halves for p in people):
                    start = slot * 30 + OPEN
                    event_id = 101 + len(world.events)
                    world.events[event_id] = Event(
                        event_id, title, day, start, start + minutes, people
                    )
                    for p in people:
                        booked[p] = booked.get(p, 0) | halves
                    break
    return world, {"emails": emails}


def _free_people(rng: np.random.Generator, facts: dict, k: int) -> list[str]:
    free = [e for e in facts["emails"] if e not in facts["touched"]]
    chosen = sample(rng, free if len(free) >= k else facts["emails"], k)
    facts["touched"].update(chosen)
    return chosen


def _names(world: CalendarWorld, emails: list[str]) -> str:
    names = [world.people[e] for e in emails]
    return ", ".join(names[:-1]) + " and " + names[-1]


def goal_book(rng: np.random.Generator, world: CalendarWorld, facts: dict) -> Goal:
    """Book a meeting for a group at a time when nobody is busy."""
    people = _free_people(rng, facts, 2 + integer(rng, 0, 2))
    minutes, title = pick(rng, (30, 60)), pick(rng, NEW_TITLES)
    week = world.week_free_starts(people, minutes)
    day = pick(rng, [d for d in WEEK if week[d]])
    start = week[day][0]

    def check(w: CalendarWorld, answer: str | None) -> bool:
        found = [e for e in w.events.values() if e.title.lower() == title.lower()]
        if len(found) != 1:
            return False
        e = found[0]
        fits = e.day == day and e.end - e.start == minutes and e.start >= OPEN and e.end <= CLOSE
        clear = all(e.end <= s or e.start >= end for p in people for s, end in w.busy(p, day, e.id))
        return fits and clear and sorted(e.attendees) == sorted(people)

    args = {"title": title, "day": day, "duration_minutes": minutes, "attendees": people}
    return Goal(
        text=f"Book a {minutes}-minute meeting titled '{title}' with {_names(world, people)} on "
        f"{day_label(day)}, at a time when none of them has another meeting.",
        check=check,
        plans=(
            (
                *(call("list_events", day=day, person=p) for p in people),
                call("create_event", start=hhmm(start), **args),
            ),
            (
                call("find_free_slots", people=people, day=day, duration_minutes=minutes),
                call("book_meeting", **args),
            ),
        ),
    )


def _event_of(rng: np.random.Generator, world: CalendarWorld, facts: dict) -> Event:
    """An event none of whose attendees another goal has claimed."""
    events = sorted(world.events.values(), key=lambda e: e.id)
    claimed = facts.setdefault("claimed", set())
    events = [e for e in events if e.id not in claimed]
    free = [e for e in events if facts["touched"].isdisjoint(e.attendees)]
    event = pick(rng, free or events)
    facts["touched"].update(event.attendees)
    claimed.add(event.id)
    return event


def goal_move(rng: np.random.Generator, world: CalendarWorld, facts: dict) -> Goal:
    """Move a meeting to a slot where all its attendees are free."""
    event = _event_of(rng, world, facts)
    minutes = event.end - event.start
    week = world.week_free_starts(event.attendees, minutes)
    options = [(d, t) for d in WEEK for t in week[d] if (d, t) != (event.day, event.start)]
    day, start = pick(rng, options)
    old = (event.day, event.start)
    people = sorted(event.attendees)

    def check(w: CalendarWorld, answer: str | None) -> bool:
        same = [
            e for e in w.events.values() if e.title == event.title and sorted(e.attendees) == people
        ]
        return any(
            (e.day, e.start, e.end - e.start) == (day, start, minutes) for e in same
        ) and all((e.day, e.start) != old for e in same)

    return Goal(
        text=f"Move the '{event.title}' meeting of {day_label(event.day)} at {hhmm(event.start)} "
        f"to {day_label(day)} at {hhmm(start)}, keeping its length and attendees.",
        check=check,
        plans=(
            (
                call("list_events", day=event.day),
                call("move_event", event_id=event.id, day=day, start=hhmm(start)),
            ),
            (call("update_event", event_id=event.id, day=day, start=hhmm(start)),),
        ),
    )


def goal_out_of_office(rng: np.random.Generator, world: CalendarWorld, facts: dict) -> Goal:
    """Take someone out of every meeting of one day."""
    options = sorted(
        {
            (p, e.day)
            for e in world.events.values()
            for p in e.attendees
            if p not in facts["touched"] and len(e.attendees) > 1
        }
    )
    person, day = pick(rng, options)
    events = sorted(
        (e for e in world.events.values() if e.day == day and person in e.attendees),
        key=lambda e: e.id,
    )
    facts["touched"].update(a for e in events for a in e.attendees)
    facts.setdefault("claimed", set()).update(e.id for e in events)
    rest = {e.id: [a for a in e.attendees if a != person] for e in events}

    def check(w: CalendarWorld, answer: str | None) -> bool:
        gone = all(person not in e.attendees for e in w.events.values() if e.day == day)
        return gone and all(i in w.events and w.events[i].attendees == r for i, r in rest.items())

    return Goal(
        text=f"{world.people[person]} is out of office on {day_label(day)}: remove them from "
        "every meeting they attend that day. The meetings themselves still take place.",
        check=check,
        plans=(
            (
                call("list_events", day=day, person=person),
                *(call("remove_attendee", event_id=i, person=person) for i in rest),
            ),
            (
                call("free_busy", person=person, day=day),
                *(call("update_event", event_id=i, attendees=r) for i, r in rest.items()),
            ),
        ),
    )


def goal_add_attendee(rng: np.random.Generator, world: CalendarWorld, facts: dict) -> Goal:
    """Invite someone who is free then to an existing meeting."""
    claimed = facts.setdefault("claimed", set())
    events = [e for e in sorted(world.events.values(), key=lambda e: e.id) if e.id not in claimed]
    pairs = [(e, p) for e in events for p in facts["emails"] if p not in e.attendees]
    touched = facts["touched"]
    untouched = [(e, p) for e, p in pairs if p not in touched]
    by_day: dict[str, list[Event]] = {}
    for e in world.events.values():
        by_day.setdefault(e.day, []).append(e)
    # event id -> who has a meeting during it, for the events with no touched attendee on
    # the half-hour grid of working hours: p may join e when p is not in busy[e.id]
    busy = {
        e.id: {a for o in by_day[e.day] if o.start < e.end and e.start < o.end for a in o.attendees}
        for e in events
        if touched.isdisjoint(e.attendees)
        and e.start >= OPEN
        and e.end <= CLOSE
        and (e.start - OPEN) % 30 == 0
    }
    ideal = [(e, p) for e, p in untouched if e.id in busy and p not in busy[e.id]]
    event, person = pick(rng, ideal or untouched or pairs)
    claimed.add(event.id)
    facts["touched"].update([*event.attendees, person])

    def check(w: CalendarWorld, answer: str | None) -> bool:
        return any(
            e.title == event.title and e.day == event.day and person in e.attendees
            for e in w.events.values()
        )

    when = f"{day_label(event.day)} at {hhmm(event.start)}"
    return Goal(
        text=f"Add {world.people[person]} to the '{event.title}' meeting on {when}.",
        check=check,
        plans=(
            (
                call("list_events", day=event.day),
                call("add_attendee", event_id=event.id, person=person),
            ),
            (call("update_event", event_id=event.id, attendees=[*event.attendees, person]),),
        ),
    )


def question_count(rng: np.random.Generator, world: CalendarWorld, facts: dict) -> Goal:
    """How many meetings someone has on a day."""
    person, day = _free_people(rng, facts, 1)[0], pick(rng, WEEK)
    count = len(world.busy(person, day))
    return Goal(
        text=f"How many meetings does {world.people[person]} have on {day_label(day)}?",
        check=lambda w, answer: answer_has(answer, count),
        plans=(
            (call("list_events", day=day, person=person),),
            (call("free_busy", person=person, day=day),),
        ),
        answer=str(count),
    )


def question_first_free(rng: np.random.Generator, world: CalendarWorld, facts: dict) -> Goal:
    """The earliest half hour on a day when two people are both free (after 09:00 if possible)."""
    free = [e for e in facts["emails"] if e not in facts["touched"]]
    week = {p: dict.fromkeys(WEEK, 0) for p in free}  # person -> day -> _blocked_halves
    for e in world.events.values():
        halves = _blocked_halves(e.start, e.end)
        for a in e.attendees:
            if a in week and e.day in week[a]:
                week[a][e.day] |= halves
    pairs = [(a, b) for i, a in enumerate(free) for b in free[i + 1 :]]
    # the pair's first common free half hour exists and is after 09:00
    options = [
        ([a, b], d)
        for a, b in pairs
        for d in WEEK
        if (both := week[a][d] | week[b][d]) & 1 and both != _ALL_HALVES
    ]
    if options:
        people, day = pick(rng, options)
        facts["touched"].update(people)
    else:
        people = _free_people(rng, facts, 2)
        day = pick(rng, [d for d in WEEK if world.free_starts(people, d, 30)])
    first = hhmm(world.free_starts(people, day, 30)[0])
    return Goal(
        text=f"On {day_label(day)}, what is the earliest time (HH:MM) at which "
        f"{_names(world, people)} are both free for 30 minutes?",
        check=lambda w, answer: answer_has(answer, first) or answer_has(answer, first.lstrip("0")),
        plans=(
            tuple(call("list_events", day=day, person=p) for p in people),
            (call("find_free_slots", people=people, day=day, duration_minutes=30),),
        ),
        answer=first,
    )
