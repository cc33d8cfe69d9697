"""Calendar and scheduling for a team over one working week.

This folder holds the tools and the Domain class in :mod:`.domain`, the team calendar and its
task generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.calendar.domain import (
    CalendarDomain,
    add_attendee,
    book_meeting,
    cancel_event,
    create_event,
    find_free_slots,
    free_busy,
    get_event,
    list_events,
    list_people,
    move_event,
    remove_attendee,
    update_event,
)
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

__all__ = [
    "CLOSE",
    "OPEN",
    "WEEK",
    "WEEKDAYS",
    "CalendarDomain",
    "CalendarWorld",
    "Event",
    "add_attendee",
    "book_meeting",
    "cancel_event",
    "create_event",
    "day_label",
    "find_free_slots",
    "free_busy",
    "get_event",
    "hhmm",
    "list_events",
    "list_people",
    "move_event",
    "remove_attendee",
    "update_event",
]
