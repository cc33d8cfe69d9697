"""Small word lists that generated worlds draw realistic names from.

Domain-specific vocabularies (product words, flight routes) live in their own
modules; these lists are the ones several domains share.
"""

from __future__ import annotations

__all__ = [
    "CITIES",
    "COMPANIES",
    "FIRST_NAMES",
    "LAST_NAMES",
    "NAME_PAIRS",
    "TEAMS",
    "email_address",
]

FIRST_NAMES = (
    "Alice", "Bruno", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hugo", "Imani", "Jonas",
    "Keiko", "Liam", "Maya", "Nikhil", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tessa",
    "Umar", "Vera", "Wesley", "Yara", "Zoe", "Marco", "Priya", "Felix", "Amara", "Omar",
)  # fmt: skip

LAST_NAMES = (
    "Moreno", "Nakamura", "Okafor", "Lindqvist", "Haddad", "Fischer", "Kowalski", "Silva",
    "Novak", "Patel", "Dubois", "Jensen", "Rossi", "Chen", "Walsh", "Kaur", "Mendes", "Berg",
    "Hughes", "Sato", "Ibrahim", "Costa", "Larsen", "Murphy", "Zhang", "Alvarez",
)  # fmt: skip

#: Every (first, last) pair, first names outermost: the pool generators draw people from.
NAME_PAIRS = tuple((first, last) for first in FIRST_NAMES for last in LAST_NAMES)

COMPANIES = (
    "Acme Logistics", "Bluebird Bakery", "Cedar Dental", "Delta Robotics", "Evergreen Farms",
    "Foxglove Studio", "Granite Builders", "Harbor Analytics", "Ironwood Legal",
    "Juniper Health", "Kestrel Media", "Lumen Optics", "Maple & Co", "Northwind Traders",
    "Orchid Hotels", "Pioneer Solar", "Quarry Coffee", "Redwood Capital",
)  # fmt: skip

#: (city, IATA airport code)
CITIES = (
    ("Lisbon", "LIS"), ("Berlin", "BER"), ("Madrid", "MAD"), ("Paris", "CDG"),
    ("Rome", "FCO"), ("Vienna", "VIE"), ("Dublin", "DUB"), ("Oslo", "OSL"),
    ("Prague", "PRG"), ("Athens", "ATH"), ("Zurich", "ZRH"), ("Amsterdam", "AMS"),
)  # fmt: skip

TEAMS = ("billing", "logistics", "technical", "management")


def email_address(first: str, last: str, domain: str = "example.com") -> str:
    """A plausible address for a person, e.g. ``alice.moreno@example.com``."""
    return f"{first.lower()}.{last.lower()}@{domain}"
