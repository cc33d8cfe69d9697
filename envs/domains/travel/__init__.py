"""Travel booking: flights, hotels, travelers with budgets, bookings and trips.

This folder holds the tools and the Domain class in :mod:`.domain`, the booking world and its
task generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.travel.domain import (
    MAX_RESULTS,
    TravelDomain,
    book_flight,
    book_hotel,
    book_package,
    budget_status,
    cancel_booking,
    cancel_trip,
    change_hotel,
    find_packages,
    get_traveler,
    list_bookings,
    list_trips,
    search_flights,
    search_hotels,
)
from nexgym.envs.domains.travel.tasks import (
    DAYS,
    Booking,
    Flight,
    Hotel,
    TravelWorld,
)

__all__ = [
    "DAYS",
    "MAX_RESULTS",
    "Booking",
    "Flight",
    "Hotel",
    "TravelDomain",
    "TravelWorld",
    "book_flight",
    "book_hotel",
    "book_package",
    "budget_status",
    "cancel_booking",
    "cancel_trip",
    "change_hotel",
    "find_packages",
    "get_traveler",
    "list_bookings",
    "list_trips",
    "search_flights",
    "search_hotels",
]
