"""Time-zone tasks on the real clock, with tools served by ``mcp-server-time``.

This folder holds the tools and the Domain class in :mod:`.domain`; their public names are
importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.clock.domain import (
    CITIES,
    SLACK_MINUTES,
    ClockDomain,
    ClockWorld,
    convert_time,
    get_current_time,
)

__all__ = [
    "CITIES",
    "SLACK_MINUTES",
    "ClockDomain",
    "ClockWorld",
    "convert_time",
    "get_current_time",
]
