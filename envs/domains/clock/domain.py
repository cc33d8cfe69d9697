"""Time-zone tasks on the real clock, with tools served by ``mcp-server-time``.

The tools are those of the third-party ``mcp-server-time`` (same names, arguments
and answers). With ``backend="mcp"`` the env runs that server as it is and sends
every call to it; with ``backend="inproc"`` the same answers are computed in
process with :mod:`zoneinfo`. Tasks ask for the current time, weekday or daylight
saving status somewhere, for a time converted between zones, and for the offset
between two zones. The verifier recomputes the truth with :mod:`zoneinfo` when the
episode ends (with a few minutes of slack), so the domain is nondeterministic:
answers depend on the real clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import pick, sample
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call
from nexgym.envs.domains.kit.tool_server import ToolServer, python_module_command

from nexgym.error import ToolError
from nexgym.tools import tool

__all__ = ["ClockDomain", "ClockWorld"]

#: Minutes of slack when checking a time against the clock at verification.
SLACK_MINUTES = 3

CITIES: tuple[tuple[str, str], ...] = (
    ("Tokyo", "Asia/Tokyo"),
    ("Kolkata", "Asia/Kolkata"),
    ("Kathmandu", "Asia/Kathmandu"),
    ("Singapore", "Asia/Singapore"),
    ("Dubai", "Asia/Dubai"),
    ("Sydney", "Australia/Sydney"),
    ("Adelaide", "Australia/Adelaide"),
    ("Auckland", "Pacific/Auckland"),
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("Helsinki", "Europe/Helsinki"),
    ("Lisbon", "Europe/Lisbon"),
    ("Nairobi", "Africa/Nairobi"),
    ("Lagos", "Africa/Lagos"),
    ("Sao Paulo", "America/Sao_Paulo"),
    ("New York", "America/New_York"),
    ("Chicago", "America/Chicago"),
    ("Denver", "America/Denver"),
    ("Los Angeles", "America/Los_Angeles"),
    ("Honolulu", "Pacific/Honolulu"),
)


@dataclass
class ClockWorld:
    """The world is the real clock; it only records the cities a task is about."""

    cities: tuple[str, ...] = ()


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(tool_name: str, name: str) -> ZoneInfo:
    """The zone, or the error ``mcp-server-time`` gives for an unknown one."""
    try:
        zone = ZoneInfo(name)
        if name not in _known_zones():
            raise ZoneInfoNotFoundError(f"No time zone found with key {name}")
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise ToolError(f"Error executing tool {tool_name}: Invalid timezone: {e}") from None
    return zone


def _time_result(name: str, moment: datetime) -> dict[str, Any]:
    return {
        "timezone": name,
        "datetime": moment.isoformat(timespec="seconds"),
        "day_of_week": moment.strftime("%A"),
        "is_dst": bool(moment.dst()),
    }


def _offset_text(hours: float) -> str:
    if hours.is_integer():
        return f"{hours:+.1f}h"
    return f"{hours:+.2f}".rstrip("0").rstrip(".") + "h"


@tool
def get_current_time(world: ClockWorld, timezone: str) -> str:
    """Get current time in a specific timezone.

    Args:
        timezone: IANA timezone name (e.g., 'America/New_York', 'Europe/London').
    """
    if not timezone:
        raise ToolError(
            "Error executing tool get_current_time: Missing required argument: timezone"
        )
    zone = _zone("get_current_time", timezone)
    return json.dumps(_time_result(timezone, datetime.now(zone)), indent=2)


@tool
def convert_time(world: ClockWorld, source_timezone: str, time: str, target_timezone: str) -> str:
    """Convert time between timezones.

    Args:
        source_timezone: Source IANA timezone name (e.g., 'America/New_York').
        time: Time to convert in 24-hour format (HH:MM).
        target_timezone: Target IANA timezone name (e.g., 'Asia/Tokyo').
    """
    name = "convert_time"
    for argument, value in (
        ("source_timezone", source_timezone),
        ("target_timezone", target_timezone),
    ):
        if not value:
            raise ToolError(f"Error executing tool {name}: Missing required argument: {argument}")
    source, target = _zone(name, source_timezone), _zone(name, target_timezone)
    try:
        parsed = datetime.strptime(time, "%H:%M").time()
    except ValueError:
        raise ToolError(
            f"Error executing tool {name}: Invalid time format. Expected HH:MM [24-hour format]"
        ) from None
    now = datetime.now(source)
    start = datetime(now.year, now.month, now.day, parsed.hour, parsed.minute, tzinfo=source)
    back = datetime.fromtimestamp(start.timestamp(), source)
    if back.replace(tzinfo=None) != start.replace(tzinfo=None):
        raise ToolError(
            f"Error executing tool {name}: Invalid time: {time} does not exist in "
            f"{source_timezone} on {start.date().isoformat()} (skipped by a clock change)"
        )
    moved = start.astimezone(target)
    hours = (
        (moved.utcoffset() or timedelta()) - (start.utcoffset() or timedelta())
    ).total_seconds()
    return json.dumps(
        {
            "source": _time_result(source_timezone, start),
            "target": _time_result(target_timezone, moved),
            "time_difference": _offset_text(hours / 3600),
        },
        indent=2,
    )


# -- checks against the real clock ------------------------------------------------------

_CLOCK_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")


def _minutes_in(answer: str | None) -> list[int]:
    return [int(h) * 60 + int(m) for h, m in _CLOCK_TIME.findall(answer or "")]


def _near(minutes: int, target: int) -> bool:
    gap = abs(minutes - target) % (24 * 60)
    return min(gap, 24 * 60 - gap) <= SLACK_MINUTES


def _now(zone: str, shift_minutes: int = 0) -> datetime:
    return datetime.now(ZoneInfo(zone)) + timedelta(minutes=shift_minutes)


def _converted(source: str, hhmm: str, target: str) -> str:
    text = convert_time(ClockWorld(), source_timezone=source, time=hhmm, target_timezone=target)
    return str(json.loads(text)["target"]["datetime"])[11:16]


def _offset_hours(a: str, b: str) -> float:
    now = datetime.now(ZoneInfo("UTC"))
    delta = (now.astimezone(ZoneInfo(b)).utcoffset() or timedelta()) - (
        now.astimezone(ZoneInfo(a)).utcoffset() or timedelta()
    )
    return delta.total_seconds() / 3600


# -- goals ------------------------------------------------------------------------------


def _current_time(rng: np.random.Generator, world: ClockWorld, facts: dict[str, Any]) -> Goal:
    city, zone = _fresh_city(rng, facts)

    def check(_: Any, answer: str | None) -> bool:
        target = _now(zone).hour * 60 + _now(zone).minute
        return any(_near(m, target) for m in _minutes_in(answer))

    return Goal(
        f"What time is it now in {city} ({zone})? Give it as HH:MM on a 24-hour clock.",
        check,
        ((call("get_current_time", timezone=zone),),),
        answer=_now(zone).strftime("%H:%M"),
    )


def _weekday(rng: np.random.Generator, world: ClockWorld, facts: dict[str, Any]) -> Goal:
    city, zone = _fresh_city(rng, facts)

    def check(_: Any, answer: str | None) -> bool:
        days = {_now(zone, shift).strftime("%A") for shift in (-SLACK_MINUTES, SLACK_MINUTES)}
        return any(answer_has(answer, day) for day in days)

    return Goal(
        f"Which day of the week is it right now in {city} ({zone})?",
        check,
        ((call("get_current_time", timezone=zone),),),
        answer=_now(zone).strftime("%A"),
    )


def _daylight_saving(rng: np.random.Generator, world: ClockWorld, facts: dict[str, Any]) -> Goal:
    city, zone = _fresh_city(rng, facts)

    def expected() -> str:
        return "yes" if _now(zone).dst() else "no"

    def check(_: Any, answer: str | None) -> bool:
        return answer_has(answer, f"DST in {city}: {expected()}")

    return Goal(
        f"Is daylight saving time in effect in {city} ({zone}) right now? Answer with "
        f"'DST in {city}: yes' or 'DST in {city}: no'.",
        check,
        ((call("get_current_time", timezone=zone),),),
        answer=f"DST in {city}: {expected()}",
    )


def _conversion(rng: np.random.Generator, world: ClockWorld, facts: dict[str, Any]) -> Goal:
    (city_a, zone_a), (city_b, zone_b) = _fresh_city(rng, facts), _fresh_city(rng, facts)
    hhmm = f"{int(rng.integers(7, 20)):02d}:{pick(rng, (0, 15, 30, 45)):02d}"

    def check(_: Any, answer: str | None) -> bool:
        target = _converted(zone_a, hhmm, zone_b)
        minutes = int(target[:2]) * 60 + int(target[3:])
        return any(m == minutes for m in _minutes_in(answer))

    return Goal(
        f"A call is booked for {hhmm} today in {city_a} ({zone_a}). What time is that in "
        f"{city_b} ({zone_b})? Give it as HH:MM.",
        check,
        (
            (call("convert_time", source_timezone=zone_a, time=hhmm, target_timezone=zone_b),),
            (call("get_current_time", timezone=zone_a), call("get_current_time", timezone=zone_b)),
        ),
        answer=f"{city_b}: {_converted(zone_a, hhmm, zone_b)}",
    )


def _difference(rng: np.random.Generator, world: ClockWorld, facts: dict[str, Any]) -> Goal:
    (city_a, zone_a), (city_b, zone_b) = _fresh_city(rng, facts), _fresh_city(rng, facts)

    def check(_: Any, answer: str | None) -> bool:
        return answer_has(answer, _offset_text(_offset_hours(zone_a, zone_b)))

    return Goal(
        f"How many hours is {city_b} ({zone_b}) ahead of {city_a} ({zone_a}) right now "
        f"(comparing the two clocks at 12:00 today will do)? Answer like '+5.5h' or '-3.0h'.",
        check,
        (
            (call("convert_time", source_timezone=zone_a, time="12:00", target_timezone=zone_b),),
            (call("get_current_time", timezone=zone_a), call("get_current_time", timezone=zone_b)),
        ),
        answer=_offset_text(_offset_hours(zone_a, zone_b)),
    )


def _fresh_city(rng: np.random.Generator, facts: dict[str, Any]) -> tuple[str, str]:
    used: set[str] = facts.setdefault("touched", set())
    city, zone = pick(rng, [c for c in CITIES if c[1] not in used])
    used.add(zone)
    return city, zone


class ClockDomain(GeneratedDomain):
    """Time-zone questions answered with the tools of ``mcp-server-time``."""

    name = "clock"
    description = (
        "Time-zone tools backed by the real clock: the current time, weekday and "
        "daylight saving status in any IANA zone, and conversions between zones."
    )
    tools = (get_current_time, convert_time)
    nondeterministic: ClassVar[bool] = True
    makers = (_current_time, _weekday, _daylight_saving, _conversion, _difference)

    def new_world(self, rng: np.random.Generator, difficulty: int) -> tuple[Any, dict[str, Any]]:
        """A world naming a few cities; facts track the zones goals already use."""
        cities = tuple(city for city, _ in sample(rng, CITIES, 4))
        return ClockWorld(cities), {"touched": set()}

    def preamble(self, facts: dict[str, Any]) -> str:
        """Why the agent needs the clock."""
        return "You coordinate a distributed team and need exact times across zones."

    def tool_server(self) -> ToolServer:
        """``mcp-server-time`` from PyPI, run as it is."""
        command, args = python_module_command("mcp_server_time", "--local-timezone", "UTC")
        return ToolServer("mcp-server-time", command, args)
