"""Home automation: devices in rooms, scenes and schedules.

This folder holds the tools and the Domain class in :mod:`.domain`, the smart-home world and its
task generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.home.domain import (
    Day,
    HomeDomain,
    Kind,
    activate_scene,
    add_to_scene,
    create_scene,
    create_schedule,
    delete_schedule,
    get_device,
    list_devices,
    list_scenes,
    list_schedules,
    room_summary,
    set_device,
    set_room,
    update_schedule,
)
from nexgym.envs.domains.home.tasks import (
    DAYS,
    LEVELS,
    Device,
    HomeWorld,
    Schedule,
)

__all__ = [
    "DAYS",
    "LEVELS",
    "Day",
    "Device",
    "HomeDomain",
    "HomeWorld",
    "Kind",
    "Schedule",
    "activate_scene",
    "add_to_scene",
    "create_scene",
    "create_schedule",
    "delete_schedule",
    "get_device",
    "list_devices",
    "list_scenes",
    "list_schedules",
    "room_summary",
    "set_device",
    "set_room",
    "update_schedule",
]
