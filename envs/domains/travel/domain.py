"""Travel booking: flights, hotels, travelers with budgets, bookings and trips.

Every booking is checked against the traveler's remaining budget, seats and rooms.
Tasks: book the cheapest trip that meets a rating, cancel a trip, swap a hotel for
the cheapest one, and questions about budgets and fares. Every goal has two
tool-disjoint plans (single flights and hotels, or packages and trips).
"""

from __future__ import annotations

from typing import Any

from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call
from nexgym.envs.domains.travel import tasks
from nexgym.envs.domains.travel.tasks import DAYS, Booking, Flight, Hotel, TravelWorld

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

MAX_RESULTS = 20


def _traveler(world: TravelWorld, name: str) -> str:
    for known in world.travelers:
        if known.lower() == name.strip().lower():
            return known
    raise ToolError(f"no traveler {name!r}; expected one of: {', '.join(world.travelers)}")


def _city(world: TravelWorld, city: str) -> str:
    cities = sorted({h.city for h in world.hotels.values()})
    for known in cities:
        if known.lower() == city.strip().lower():
            return known
    raise ToolError(f"no city {city!r}; expected one of: {', '.join(cities)}")


def _day(day: str) -> str:
    if day.strip() not in DAYS:
        raise ToolError(
            f"expected a travel date from {DAYS[0]} to {DAYS[-1]} as YYYY-MM-DD, got {day!r}"
        )
    return day.strip()


def _flight(world: TravelWorld, flight_id: str) -> Flight:
    key = flight_id.replace(" ", "").upper()
    if key not in world.flights:
        raise ToolError(f"no flight {flight_id!r}; search_flights shows flight ids like 'SK104'")
    return world.flights[key]


def _hotel(world: TravelWorld, hotel_id: str) -> Hotel:
    if hotel_id.strip().upper() not in world.hotels:
        raise ToolError(f"no hotel {hotel_id!r}; search_hotels shows hotel ids like 'H-104'")
    return world.hotels[hotel_id.strip().upper()]


def _booking(world: TravelWorld, booking_id: str) -> Booking:
    booking = world.bookings.get(booking_id.strip().upper())
    if booking is None:
        raise ToolError(f"no booking {booking_id!r}; list_bookings shows booking ids")
    if booking.status != "confirmed":
        raise ToolError(f"booking {booking.id} is already {booking.status}")
    return booking


def _afford(world: TravelWorld, traveler: str, cost: int) -> None:
    left = world.travelers[traveler][1] - world.spent(traveler)
    if cost > left:
        raise ToolError(
            f"this costs ${cost} but {traveler} has ${left} of budget left; "
            "choose something cheaper or cancel another booking"
        )


def _nights(nights: int) -> int:
    if not 1 <= nights <= 14:
        raise ToolError(f"expected 1 to 14 nights, got {nights}")
    return nights


def _stay(world: TravelWorld, hotel: Hotel, traveler: str, check_in: str, nights: int) -> Booking:
    cost = hotel.nightly * _nights(nights)
    _afford(world, traveler, cost)
    if world.rooms[hotel.id] < 1:
        raise ToolError(f"{hotel.name} is fully booked; pick another hotel")
    world.rooms[hotel.id] -= 1
    return world.book(traveler, "hotel", hotel.id, hotel.city, cost, _day(check_in), nights)


def _fly(world: TravelWorld, flight: Flight, traveler: str) -> Booking:
    _afford(world, traveler, flight.price)
    if world.seats[flight.id] < 1:
        raise ToolError(f"flight {flight.id} is sold out; pick another flight")
    world.seats[flight.id] -= 1
    return world.book(traveler, "flight", flight.id, flight.destination, flight.price)


def _release(world: TravelWorld, booking: Booking) -> None:
    booking.status = "cancelled"
    if booking.kind == "flight":
        world.seats[booking.item_id] += 1
    else:
        world.rooms[booking.item_id] += 1


@tool
def search_flights(
    world: TravelWorld, origin: str, destination: str, day: str
) -> list[dict[str, Any]]:
    """Find flights on a route and date, cheapest first.

    Args:
        origin: departure city, e.g. "Lisbon".
        destination: arrival city.
        day: date as YYYY-MM-DD.
    """
    origin, destination, day = _city(world, origin), _city(world, destination), _day(day)
    found = [f._asdict() for f in world.route(origin, destination, day)]
    return sorted(found, key=lambda f: f["price"])[:MAX_RESULTS]


@tool
def search_hotels(world: TravelWorld, city: str, min_stars: int = 1) -> list[dict[str, Any]]:
    """Find hotels in a city with at least some stars, cheapest per night first.

    Args:
        city: the city, e.g. "Berlin".
        min_stars: lowest acceptable star rating, 1 to 5.
    """
    town = _city(world, city)
    found = [h._asdict() for h in world.hotels.values() if h.city == town and h.stars >= min_stars]
    return sorted(found, key=lambda h: h["nightly"])[:MAX_RESULTS]


@tool
def find_packages(
    world: TravelWorld, origin: str, destination: str, day: str, nights: int, min_stars: int = 1
) -> list[dict[str, Any]]:
    """Find flight-plus-hotel packages, cheapest total first.

    Args:
        origin: departure city.
        destination: arrival city, where the hotel is.
        day: flight date and check-in date, YYYY-MM-DD.
        nights: nights at the hotel.
        min_stars: lowest acceptable hotel star rating.
    """
    _nights(nights)
    flights = search_flights(world, origin=origin, destination=destination, day=day)
    hotels = search_hotels(world, city=destination, min_stars=min_stars)
    deals = [
        {
            "flight_id": f["id"],
            "flight_price": f["price"],
            "hotel_id": h["id"],
            "hotel": h["name"],
            "stars": h["stars"],
            "nightly": h["nightly"],
            "total": f["price"] + h["nightly"] * nights,
        }
        for f in flights
        for h in hotels
    ]
    return sorted(deals, key=lambda d: d["total"])[:10]


@tool
def get_traveler(world: TravelWorld, name: str) -> dict[str, Any]:
    """Return a traveler's home city and total travel budget.

    Args:
        name: the traveler's full name.
    """
    person = _traveler(world, name)
    home, budget = world.travelers[person]
    return {"name": person, "home_city": home, "budget": budget}


@tool
def budget_status(world: TravelWorld, traveler: str) -> dict[str, Any]:
    """Return a traveler's budget, what confirmed bookings cost, and what is left.

    Args:
        traveler: the traveler's full name.
    """
    person = _traveler(world, traveler)
    budget, spent = world.travelers[person][1], world.spent(person)
    return {"traveler": person, "budget": budget, "spent": spent, "remaining": budget - spent}


@tool
def list_bookings(world: TravelWorld, traveler: str | None = None) -> list[dict[str, Any]]:
    """List bookings (confirmed and cancelled), optionally of one traveler.

    Args:
        traveler: the traveler's full name (everyone if omitted).
    """
    person = _traveler(world, traveler) if traveler else None
    return [vars(b).copy() for b in world.bookings.values() if person in (None, b.traveler)]


@tool
def list_trips(world: TravelWorld, traveler: str) -> list[dict[str, Any]]:
    """List a traveler's trips: confirmed bookings grouped by destination city.

    Args:
        traveler: the traveler's full name.
    """
    person = _traveler(world, traveler)
    trips: dict[str, dict[str, Any]] = {}
    for b in world.bookings.values():
        if b.traveler == person and b.status == "confirmed":
            trip = trips.setdefault(b.city, {"city": b.city, "total": 0, "bookings": []})
            trip["total"] += b.cost
            trip["bookings"].append(
                {
                    "booking_id": b.id,
                    "kind": b.kind,
                    "item_id": b.item_id,
                    "cost": b.cost,
                    "check_in": b.check_in,
                    "nights": b.nights,
                }
            )
    return list(trips.values())


@tool(mutates=True)
def book_flight(world: TravelWorld, flight_id: str, traveler: str) -> dict[str, Any]:
    """Book a seat on a flight, paid from the traveler's budget.

    Args:
        flight_id: the flight id, e.g. "SK104".
        traveler: the traveler's full name.
    """
    return vars(_fly(world, _flight(world, flight_id), _traveler(world, traveler))).copy()


@tool(mutates=True)
def book_hotel(
    world: TravelWorld, hotel_id: str, traveler: str, check_in: str, nights: int
) -> dict[str, Any]:
    """Book a hotel room, paid from the traveler's budget.

    Args:
        hotel_id: the hotel id, e.g. "H-104".
        traveler: the traveler's full name.
        check_in: check-in date, YYYY-MM-DD.
        nights: number of nights.
    """
    hotel, person = _hotel(world, hotel_id), _traveler(world, traveler)
    return vars(_stay(world, hotel, person, check_in, nights)).copy()


@tool(mutates=True)
def book_package(
    world: TravelWorld, flight_id: str, hotel_id: str, traveler: str, nights: int
) -> dict[str, Any]:
    """Book a flight and a hotel in its destination, checking in on the flight's date.

    Args:
        flight_id: the flight id.
        hotel_id: a hotel in the flight's destination city.
        traveler: the traveler's full name.
        nights: number of nights at the hotel.
    """
    flight, hotel, person = (
        _flight(world, flight_id),
        _hotel(world, hotel_id),
        _traveler(world, traveler),
    )
    if hotel.city != flight.destination:
        raise ToolError(
            f"{hotel.name} is in {hotel.city} but flight {flight.id} goes to {flight.destination}"
        )
    _afford(world, person, flight.price + hotel.nightly * _nights(nights))
    if world.seats[flight.id] < 1:
        raise ToolError(f"flight {flight.id} is sold out; pick another package")
    stay = _stay(world, hotel, person, flight.day, nights)
    return {"flight": vars(_fly(world, flight, person)).copy(), "hotel": vars(stay).copy()}


@tool(mutates=True)
def cancel_booking(world: TravelWorld, booking_id: str) -> str:
    """Cancel one booking; its cost goes back to the traveler's budget.

    Args:
        booking_id: the booking id, e.g. "BK-302".
    """
    booking = _booking(world, booking_id)
    _release(world, booking)
    return f"cancelled {booking.id} ({booking.kind} {booking.item_id}), refunded ${booking.cost}"


@tool(mutates=True)
def cancel_trip(world: TravelWorld, traveler: str, city: str) -> list[str]:
    """Cancel every confirmed booking of a traveler's trip to a city.

    Args:
        traveler: the traveler's full name.
        city: the trip's destination city.
    """
    person, town = _traveler(world, traveler), _city(world, city)
    found = [
        b
        for b in world.bookings.values()
        if b.traveler == person and b.city == town and b.status == "confirmed"
    ]
    if not found:
        raise ToolError(
            f"{person} has no confirmed bookings in {town}; list_trips shows their trips"
        )
    for booking in found:
        _release(world, booking)
    return [b.id for b in found]


@tool(mutates=True)
def change_hotel(world: TravelWorld, booking_id: str, hotel_id: str) -> dict[str, Any]:
    """Move a hotel booking to another hotel in the same city, keeping its dates.

    Args:
        booking_id: the hotel booking to change.
        hotel_id: the new hotel.
    """
    old, hotel = _booking(world, booking_id), _hotel(world, hotel_id)
    if old.kind != "hotel" or hotel.city != old.city:
        raise ToolError(
            f"expected a hotel booking and a hotel in {old.city}, got {old.kind} and {hotel.city}"
        )
    _release(world, old)
    try:
        new = _stay(world, hotel, old.traveler, old.check_in or DAYS[0], old.nights)
    except ToolError:
        old.status = "confirmed"  # undo: the old booking stands
        world.rooms[old.item_id] -= 1
        raise
    return vars(new).copy()


class TravelDomain(GeneratedDomain):
    """Flights, hotels and trips within travelers' budgets."""

    name = "travel"
    description = "travel booking with flights, hotels, packages, trips and travel budgets"
    rng = staticmethod(numpy_rng)
    tools = (
        search_flights,
        search_hotels,
        find_packages,
        get_traveler,
        budget_status,
        list_bookings,
        list_trips,
        book_flight,
        book_hotel,
        book_package,
        cancel_booking,
        cancel_trip,
        change_hotel,
    )
    makers = (
        tasks.goal_trip,
        tasks.goal_cancel_trip,
        tasks.goal_cheaper_hotel,
        tasks.question_budget,
        tasks.question_fare,
    )
    new_world = staticmethod(tasks.new_world)

    def preamble(self, facts: dict[str, Any]) -> str:
        """The travel agency context."""
        return "You are a travel agent; every booking is paid from the traveler's own budget."

    def copy_world(self, world: TravelWorld) -> TravelWorld:
        """A deep copy of the world (built directly: ``copy.deepcopy`` is slow)."""
        return world.copy()

    def check_invariants(self, world: TravelWorld) -> list[str]:
        """No overspent budget, no negative seats or rooms, bookings reference real items."""
        problems = [
            f"{p} spent {world.spent(p)} of {b}"
            for p, (_, b) in world.travelers.items()
            if world.spent(p) > b
        ]
        left = {**world.seats, **world.rooms}
        problems += [f"{item} has {n} seats or rooms left" for item, n in left.items() if n < 0]
        for b in world.bookings.values():
            items = world.flights if b.kind == "flight" else world.hotels
            if b.item_id not in items or b.traveler not in world.travelers:
                problems.append(f"booking {b.id} references an unknown item or traveler")
        return problems

    def candidate_calls(self, world: TravelWorld) -> list[ToolCall]:
        """Budgets and bookings of each traveler, hotel searches, a few flight searches."""
        calls = [call("list_bookings")]
        for person in world.travelers:
            calls += [call("budget_status", traveler=person), call("list_trips", traveler=person)]
        cities = sorted({h.city for h in world.hotels.values()})
        calls += [call("search_hotels", city=c) for c in cities]
        for home, _ in world.travelers.values():
            for city in cities:
                if city != home:
                    calls.append(call("search_flights", origin=home, destination=city, day=DAYS[0]))
        calls += [
            call("cancel_booking", booking_id=b.id)
            for b in world.bookings.values()
            if b.status == "confirmed"
        ]
        return calls
