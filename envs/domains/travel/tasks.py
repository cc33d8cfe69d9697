"""The booking world of the travel domain, its generator and its goal makers.

Plans use either the single-item tools (``search_flights``, ``search_hotels``,
``get_traveler``, ``list_bookings``, ``book_flight``, ``book_hotel``,
``cancel_booking``) or the trip-level tools (``find_packages``, ``book_package``,
``list_trips``, ``cancel_trip``, ``change_hotel``, ``budget_status``). Prices are
whole dollars and distinct, so "the cheapest" is always one option.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, integer_array, pick, sample
from nexgym.envs.domains.kit.names import CITIES, NAME_PAIRS
from nexgym.envs.domains.kit.taskgen import call

DAYS = tuple((dt.date(2026, 6, 1) + dt.timedelta(days=i)).isoformat() for i in range(5))
AIRLINES = (("SK", "Skylark Air"), ("AU", "Aurora Airways"), ("BG", "Blue Gull"),
            ("ME", "Meridian"))  # fmt: skip
HOTELS = ("Grand Plaza", "Harbor View", "Old Town Inn", "Park Residence", "Riverside Lodge",
          "Central Suites", "Garden House")  # fmt: skip
#: Every "First Last" name, in the order travelers are drawn from.
FULL_NAMES = tuple(f"{first} {last}" for first, last in NAME_PAIRS)


class Flight(NamedTuple):
    """A scheduled flight; ``origin`` and ``destination`` are city names.

    Immutable, so copies of a world share it; a named tuple, as one is built per
    flight of a world and a tuple is many times faster to build than a dataclass.
    """

    id: str
    airline: str
    origin: str
    destination: str
    day: str
    depart: str
    price: int

    def __deepcopy__(self, memo: dict[int, Any]) -> Flight:
        return self


class Hotel(NamedTuple):
    """A hotel with a star rating and a price per night (immutable and shared, as flights)."""

    id: str
    name: str
    city: str
    stars: int
    nightly: int

    def __deepcopy__(self, memo: dict[int, Any]) -> Hotel:
        return self


@dataclass(frozen=True)
class Timetable:
    """A world's flights, route after route, as :func:`new_world` lays them out.

    Routes go origin by origin (in ``cities`` order), then destination, then day;
    route *r*'s flights are ``flights[first[r]:first[r + 1]]``, cheapest first.
    """

    cities: tuple[str, ...]
    flights: tuple[Flight, ...]
    first: tuple[int, ...]

    def route(self, origin: str, destination: str, day: str) -> list[Flight]:
        """The flights from ``origin`` to ``destination`` on ``day``, cheapest first."""
        cities = self.cities
        if origin == destination or origin not in cities or destination not in cities:
            return []
        o, d = cities.index(origin), cities.index(destination)
        route = (o * (len(cities) - 1) + d - (d > o)) * len(DAYS) + DAYS.index(day)
        return list(self.flights[self.first[route] : self.first[route + 1]])

    def __deepcopy__(self, memo: dict[int, Any]) -> Timetable:
        return self


@dataclass
class Booking:
    """A flight or hotel booking; ``city`` is where the trip goes."""

    id: str
    traveler: str
    kind: str
    item_id: str
    city: str
    cost: int
    check_in: str | None = None
    nights: int = 0
    status: str = "confirmed"


@dataclass
class TravelWorld:
    """Flights, hotels, seats and rooms left, travelers (name -> (home, budget)), bookings."""

    flights: dict[str, Flight] = field(default_factory=dict)
    hotels: dict[str, Hotel] = field(default_factory=dict)
    seats: dict[str, int] = field(default_factory=dict)
    rooms: dict[str, int] = field(default_factory=dict)
    travelers: dict[str, tuple[str, int]] = field(default_factory=dict)
    bookings: dict[str, Booking] = field(default_factory=dict)
    #: ``flights`` by route, so that a search need not scan them all (flights never
    #: change, so copies share it); without it, searches scan.
    timetable: Timetable | None = field(default=None, repr=False, compare=False)

    def copy(self) -> TravelWorld:
        """An independent copy (what ``copy.deepcopy`` gives, much faster).

        Flights, hotels and the timetable are immutable and shared; bookings are copied.
        """
        return TravelWorld(
            dict(self.flights),
            dict(self.hotels),
            dict(self.seats),
            dict(self.rooms),
            dict(self.travelers),
            {i: copy.copy(b) for i, b in self.bookings.items()},
            self.timetable,
        )

    def route(self, origin: str, destination: str, day: str) -> list[Flight]:
        """The flights from ``origin`` to ``destination`` on ``day``, in schedule order."""
        if self.timetable is not None:
            return self.timetable.route(origin, destination, day)
        return [
            f
            for f in self.flights.values()
            if f.day == day and f.origin == origin and f.destination == destination
        ]

    def spent(self, traveler: str) -> int:
        """What a traveler's confirmed bookings cost."""
        return sum(
            b.cost
            for b in self.bookings.values()
            if b.traveler == traveler and b.status == "confirmed"
        )

    def book(
        self,
        traveler: str,
        kind: str,
        item_id: str,
        city: str,
        cost: int,
        check_in: str | None = None,
        nights: int = 0,
    ) -> Booking:
        """Record a confirmed booking (no checks: tools check first)."""
        booking = Booking(
            f"BK-{301 + len(self.bookings)}", traveler, kind, item_id, city, cost, check_in, nights
        )
        self.bookings[booking.id] = booking
        return booking


#: The 24 orders of the four carriers; a route's flights take the first few of one.
CARRIER_ORDERS = tuple(itertools.permutations(range(len(AIRLINES))))
#: Departure times: 06:05 to 20:55, four a clock hour.
DEPARTURES = tuple(f"{h:02d}:{m}" for h in range(6, 21) for m in ("05", "20", "40", "55"))
#: Flight numbers by carrier and serial: ``FLIGHT_NUMBERS[1][4] == "AU104"``.
FLIGHT_NUMBERS = tuple(tuple(f"{code}{100 + n}" for n in range(800)) for code, _ in AIRLINES)
NAMES = tuple(name for _, name in AIRLINES)
HOTEL_IDS = tuple(f"H-{101 + n}" for n in range(100))
#: Per-route draws: flight count, carrier order, base fare, three fare steps, three times.
_LOW = (2, 0, 0, 1, 1, 1, 0, 0, 0)
_HIGH = (4, len(CARRIER_ORDERS), 300, 60, 60, 60, *[len(DEPARTURES)] * 3)
#: The most flights a route has: a route's flights fill the first cells of a row this wide.
_WIDTH = _HIGH[0] - 1
# numpy forms of the tables, to pick a whole schedule's fields with one indexing each
# (object arrays give back the tables' own strings)
_ORDERS = np.array(CARRIER_ORDERS)[:, :_WIDTH]
_NUMBERS = np.array(FLIGHT_NUMBERS, dtype=object)
_AIRLINES = np.array(NAMES, dtype=object)
_DEPARTURES = np.array(DEPARTURES, dtype=object)
_CELLS = np.arange(_WIDTH)


@cache
def _routes(cities: int) -> np.ndarray:
    """Each route's origin and destination (positions in the city list) and day, in rows.

    Routes go origin by origin, then destination, then day; the day's position is
    counted from ``cities``, to index a list of the cities followed by the days.
    """
    days = range(cities, cities + len(DAYS))
    rows = np.array(
        [(o, d, k) for o in range(cities) for d in range(cities) if o != d for k in days]
    )
    rows.flags.writeable = False  # shared by every world of this size
    return rows


def _schedule(
    rng: np.random.Generator, cities: list[str]
) -> tuple[list[str], list[Flight], list[int]]:
    """Every route's flights, route after route, each route's cheapest first.

    Returns the flight ids, the flights and where each route's run of them starts (one
    more entry: the end). Built column by column with numpy, as a Python loop per flight
    took most of the generator's time.
    """
    routes = _routes(len(cities))
    draws = integer_array(rng, _LOW, _HIGH, len(routes))
    route, cell = np.nonzero(draws[:, :1] > _CELLS)  # flight ``cell`` of route ``route``
    carrier = _ORDERS[draws[route, 1], cell]
    fares = np.cumsum(draws[:, 2:6], axis=1)[route, cell + 1] + 60
    places = np.array([*cities, *DAYS], dtype=object)[routes[route]].T.tolist()
    ids = _NUMBERS[carrier, np.arange(len(route))].tolist()
    columns = (
        ids,
        _AIRLINES[carrier].tolist(),
        *places,
        _DEPARTURES[draws[route, 6 + cell]].tolist(),
        fares.tolist(),
    )
    flights = [Flight(*row) for row in zip(*columns, strict=True)]
    return ids, flights, [0, *np.cumsum(draws[:, 0]).tolist()]


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[TravelWorld, dict]:
    """4 + difficulty cities with flights and hotels, travelers, some existing trips."""
    world = TravelWorld()
    cities = [c for c, _ in sample(rng, CITIES, 4 + difficulty)]
    ids, schedule, first = _schedule(rng, cities)
    world.flights = dict(zip(ids, schedule, strict=True))
    world.seats = dict.fromkeys(ids, 9)
    world.timetable = Timetable(tuple(cities), tuple(schedule), tuple(first))
    sizes = [3 + integer(rng, 0, 3) for _ in cities]
    nightly = iter(sample(rng, range(55, 390), sum(sizes)))
    for city, size in zip(cities, sizes, strict=True):
        for name in sample(rng, HOTELS, size):
            hotel_id = HOTEL_IDS[len(world.hotels)]
            world.hotels[hotel_id] = Hotel(
                hotel_id, f"{name} {city}", city, integer(rng, 2, 6), next(nightly)
            )
    world.rooms = dict.fromkeys(world.hotels, 5)
    people = sample(rng, FULL_NAMES, 3 + difficulty)
    for person in people:
        world.travelers[person] = (pick(rng, cities), 0)
    trips: dict[str, str] = {}
    for person in people[: 2 + difficulty // 2]:
        home = world.travelers[person][0]
        city, day = pick(rng, [c for c in cities if c != home]), pick(rng, DAYS)
        flight = world.route(home, city, day)[0]
        hotel = max(_hotels(world, city), key=lambda h: h.nightly)
        nights = integer(rng, 2, 5)
        world.book(person, "flight", flight.id, city, flight.price)
        world.book(person, "hotel", hotel.id, city, hotel.nightly * nights, day, nights)
        trips[person] = city
    for person in people:  # enough for one more trip, whatever it costs
        home = world.travelers[person][0]
        world.travelers[person] = (home, world.spent(person) + integer(rng, 25, 45) * 100)
    return world, {"cities": cities, "travelers": people, "trips": trips}


def _hotels(world: TravelWorld, city: str, min_stars: int = 0) -> list[Hotel]:
    return [h for h in world.hotels.values() if h.city == city and h.stars >= min_stars]


def _traveler(rng: np.random.Generator, facts: dict, pool: list[str]) -> str:
    person = pick(rng, [p for p in pool if p not in facts["touched"]] or pool)
    facts["touched"].add(person)
    return person


def goal_trip(rng: np.random.Generator, world: TravelWorld, facts: dict) -> Goal:
    """Book the cheapest flight and the cheapest hotel of a minimum rating."""
    person = _traveler(rng, facts, facts["travelers"])
    home = world.travelers[person][0]
    away = [c for c in facts["cities"] if c not in (home, facts["trips"].get(person))]
    city = pick(rng, [c for c in away if _hotels(world, c, 3)] or away)
    day, nights, stars = pick(rng, DAYS), integer(rng, 2, 6), pick(rng, (3, 3, 4))
    stars = min(stars, max(h.stars for h in _hotels(world, city)))
    flight = min(world.route(home, city, day), key=lambda f: f.price)
    hotel = min(_hotels(world, city, stars), key=lambda h: h.nightly)
    facts["request"] = {
        "traveler": person,
        "origin": home,
        "destination": city,
        "day": day,
        "nights": nights,
        "stars": stars,
        "hotel": hotel.name,
    }

    def check(w: TravelWorld, answer: str | None) -> bool:
        mine = {
            (b.kind, b.item_id, b.check_in, b.nights)
            for b in w.bookings.values()
            if b.traveler == person and b.city == city and b.status == "confirmed"
        }
        return mine == {("flight", flight.id, None, 0), ("hotel", hotel.id, day, nights)}

    return Goal(
        text=f"Book {person} a trip from {home} to {city}: the cheapest flight on {day} and the "
        f"cheapest hotel in {city} with at least {stars} stars, checking in that day for "
        f"{nights} nights.",
        check=check,
        plans=(
            (
                call("search_flights", origin=home, destination=city, day=day),
                call("search_hotels", city=city, min_stars=stars),
                call("book_flight", flight_id=flight.id, traveler=person),
                call("book_hotel", hotel_id=hotel.id, traveler=person, check_in=day, nights=nights),
            ),
            (
                call(
                    "find_packages",
                    origin=home,
                    destination=city,
                    day=day,
                    nights=nights,
                    min_stars=stars,
                ),
                call(
                    "book_package",
                    flight_id=flight.id,
                    hotel_id=hotel.id,
                    traveler=person,
                    nights=nights,
                ),
            ),
        ),
    )


def goal_cancel_trip(rng: np.random.Generator, world: TravelWorld, facts: dict) -> Goal:
    """Cancel every booking of an existing trip."""
    person = _traveler(rng, facts, sorted(facts["trips"]))
    city = facts["trips"][person]
    ids = sorted(
        b.id
        for b in world.bookings.values()
        if b.traveler == person and b.city == city and b.status == "confirmed"
    )

    def check(w: TravelWorld, answer: str | None) -> bool:
        return all(w.bookings[i].status == "cancelled" for i in ids)

    return Goal(
        text=f"{person}'s trip to {city} is off: cancel all of their bookings for it.",
        check=check,
        plans=(
            (
                call("list_bookings", traveler=person),
                *(call("cancel_booking", booking_id=i) for i in ids),
            ),
            (call("list_trips", traveler=person), call("cancel_trip", traveler=person, city=city)),
        ),
    )


def goal_cheaper_hotel(rng: np.random.Generator, world: TravelWorld, facts: dict) -> Goal:
    """Swap a trip's hotel for the cheapest one in the city, same dates."""
    person = _traveler(rng, facts, sorted(facts["trips"]))
    city = facts["trips"][person]
    old = next(
        b
        for b in world.bookings.values()
        if b.traveler == person and b.kind == "hotel" and b.status == "confirmed"
    )
    cheapest = min(_hotels(world, city), key=lambda h: h.nightly)

    def check(w: TravelWorld, answer: str | None) -> bool:
        stays = [
            (b.item_id, b.check_in, b.nights)
            for b in w.bookings.values()
            if b.traveler == person and b.kind == "hotel" and b.status == "confirmed"
        ]
        return stays == [(cheapest.id, old.check_in, old.nights)]

    return Goal(
        text=f"{person}'s hotel in {city} costs too much: replace it with the cheapest hotel in "
        f"{city} (any rating) for the same dates.",
        check=check,
        plans=(
            (
                call("list_bookings", traveler=person),
                call("search_hotels", city=city),
                call("cancel_booking", booking_id=old.id),
                call(
                    "book_hotel",
                    hotel_id=cheapest.id,
                    traveler=person,
                    check_in=old.check_in,
                    nights=old.nights,
                ),
            ),
            (
                call("list_trips", traveler=person),
                call("change_hotel", booking_id=old.id, hotel_id=cheapest.id),
            ),
        ),
    )


def question_budget(rng: np.random.Generator, world: TravelWorld, facts: dict) -> Goal:
    """How much of a traveler's budget is left."""
    person = _traveler(rng, facts, facts["travelers"])
    left = world.travelers[person][1] - world.spent(person)
    return Goal(
        text=f"How many dollars of {person}'s travel budget are still unspent?",
        check=lambda w, answer: answer_has(answer, left),
        plans=(
            (call("get_traveler", name=person), call("list_bookings", traveler=person)),
            (call("budget_status", traveler=person),),
        ),
        answer=str(left),
    )


def question_fare(rng: np.random.Generator, world: TravelWorld, facts: dict) -> Goal:
    """The lowest fare on a route and day."""
    origin, destination = sample(rng, facts["cities"], 2)
    day = pick(rng, DAYS)
    fare = min(f.price for f in world.route(origin, destination, day))
    return Goal(
        text=f"What is the lowest fare, in dollars, for a flight from {origin} to {destination} "
        f"on {day}?",
        check=lambda w, answer: answer_has(answer, fare),
        plans=(
            (call("search_flights", origin=origin, destination=destination, day=day),),
            (call("find_packages", origin=origin, destination=destination, day=day, nights=1),),
        ),
        answer=str(fare),
    )
