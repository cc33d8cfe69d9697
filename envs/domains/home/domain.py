"""Home automation: devices in rooms, scenes and schedules.

Devices are lights, blinds, thermostats, speakers and plugs. Each has an on/off
state (blinds have none) and a level: brightness, blind opening, target degrees C or
volume. Tasks: switch off a room's lights, set a room's climate, create or activate a
scene, move a schedule, and questions about a room's state. Every goal has two
tool-disjoint plans (device by device, or room-level and bulk tools).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from nexgym.envs.domains.home import tasks
from nexgym.envs.domains.home.tasks import DAYS, LEVELS, Device, HomeWorld, Schedule
from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.taskgen import GeneratedDomain, call

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

Kind = Literal["light", "blind", "thermostat", "speaker", "plug"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _device(world: HomeWorld, device_id: str) -> Device:
    if device_id not in world.devices:
        raise ToolError(
            f"no device {device_id!r}; ids look like 'kitchen.ceiling_light', "
            "list_devices shows them"
        )
    return world.devices[device_id]


def _room(world: HomeWorld, room: str) -> str:
    rooms = sorted({d.room for d in world.devices.values()})
    if room.strip().lower() not in rooms:
        raise ToolError(f"no room {room!r}; expected one of: {', '.join(rooms)}")
    return room.strip().lower()


def _scene(world: HomeWorld, name: str) -> str:
    for known in world.scenes:
        if known.lower() == name.strip().lower():
            return known
    raise ToolError(f"no scene {name!r}; expected one of: {', '.join(sorted(world.scenes))}")


def _schedule(world: HomeWorld, schedule_id: int) -> Schedule:
    if schedule_id not in world.schedules:
        raise ToolError(f"no schedule {schedule_id}; list_schedules shows them")
    return world.schedules[schedule_id]


def _check_setting(device: Device, on: bool | None, level: int | None) -> None:
    """Raise if a setting does not suit the device's kind."""
    if on is None and level is None:
        raise ToolError("expected 'on', 'level' or both; got neither")
    if on is not None and device.kind == "blind":
        raise ToolError(f"{device.id} is a blind with no power switch; set its level (% open)")
    if level is not None:
        if device.kind not in LEVELS:
            raise ToolError(f"{device.id} is a {device.kind} with no level; set only 'on'")
        low, high = LEVELS[device.kind]
        if not low <= level <= high:
            raise ToolError(f"{device.id} takes a level from {low} to {high}, got {level}")


def _apply(device: Device, on: bool | None, level: int | None) -> dict[str, Any]:
    _check_setting(device, on, level)
    if on is not None:
        device.on = on
    if level is not None:
        device.level = level
    return _view(device)


def _view(device: Device) -> dict[str, Any]:
    view: dict[str, Any] = {"device_id": device.id, "room": device.room, "kind": device.kind}
    if device.kind != "blind":
        view["on"] = device.on
    if device.level is not None:
        view["level"] = device.level
    return view


def _time(time: str) -> str:
    if not _TIME.match(time.strip()):
        raise ToolError(f"expected a 24-hour time 'HH:MM', e.g. '06:30', got {time!r}")
    return time.strip()


@tool
def list_devices(
    world: HomeWorld, room: str | None = None, kind: Kind | None = None
) -> list[dict[str, Any]]:
    """List devices with their state; levels are brightness %, % open, degrees C or volume.

    Args:
        room: only devices in this room, e.g. "kitchen".
        kind: only devices of this kind.
    """
    rooms = [_room(world, room)] if room else sorted({d.room for d in world.devices.values()})
    return [_view(d) for r in rooms for d in world.in_room(r, kind)]


@tool
def get_device(world: HomeWorld, device_id: str) -> dict[str, Any]:
    """Return one device's state.

    Args:
        device_id: the device id, e.g. "bedroom.bedside_lamp".
    """
    return _view(_device(world, device_id))


@tool
def room_summary(world: HomeWorld, room: str) -> dict[str, Any]:
    """Summarise a room: its devices' states and how many are switched on.

    Args:
        room: the room, e.g. "living room".
    """
    devices = world.in_room(_room(world, room))
    switched = sum(1 for d in devices if d.on and d.kind != "blind")
    return {
        "room": devices[0].room,
        "switched_on": switched,
        "devices": [_view(d) for d in devices],
    }


@tool(mutates=True)
def set_device(
    world: HomeWorld, device_id: str, on: bool | None = None, level: int | None = None
) -> dict[str, Any]:
    """Switch a device on or off and/or set its level.

    Args:
        device_id: the device id.
        on: true to switch on, false to switch off (not for blinds).
        level: brightness 0-100, blind opening 0-100, thermostat 16-28 degrees C, volume 0-100.
    """
    return _apply(_device(world, device_id), on, level)


@tool(mutates=True)
def set_room(
    world: HomeWorld, room: str, kind: Kind, on: bool | None = None, level: int | None = None
) -> list[dict[str, Any]]:
    """Apply one setting to every device of a kind in a room.

    Args:
        room: the room.
        kind: which devices of the room to set.
        on: true to switch on, false to switch off (not for blinds).
        level: the level to set on each of them.
    """
    devices = world.in_room(_room(world, room), kind)
    if not devices:
        raise ToolError(f"the {room} has no {kind}; room_summary lists its devices")
    for device in devices:
        _check_setting(device, on, level)
    return [_apply(d, on, level) for d in devices]


@tool
def list_scenes(world: HomeWorld) -> dict[str, list[dict[str, Any]]]:
    """List scenes and the setting each applies to each of its devices."""
    return {
        name: [{"device_id": i, "on": on, "level": lv} for i, (on, lv) in actions.items()]
        for name, actions in world.scenes.items()
    }


@tool(mutates=True)
def create_scene(
    world: HomeWorld,
    name: str,
    device_ids: list[str],
    on: bool | None = None,
    level: int | None = None,
) -> str:
    """Create a scene that applies one setting to the listed devices when activated.

    Args:
        name: the new scene's name, e.g. "Movie night".
        device_ids: the devices the scene controls.
        on: the power state to set (null to leave power alone).
        level: the level to set (null to leave levels alone).
    """
    if any(known.lower() == name.strip().lower() for known in world.scenes):
        raise ToolError(f"a scene called {name!r} exists; use add_to_scene to extend it")
    if not device_ids:
        raise ToolError("expected at least one device id")
    for i in device_ids:
        _check_setting(_device(world, i), on, level)
    world.scenes[name.strip()] = {i: (on, level) for i in device_ids}
    return f"created scene {name.strip()!r} with {len(device_ids)} device(s)"


@tool(mutates=True)
def add_to_scene(
    world: HomeWorld, scene: str, device_id: str, on: bool | None = None, level: int | None = None
) -> str:
    """Add a device setting to a scene, creating the scene if it does not exist yet.

    Args:
        scene: the scene's name.
        device_id: the device to add (its earlier setting in the scene is replaced).
        on: the power state the scene sets.
        level: the level the scene sets.
    """
    _check_setting(_device(world, device_id), on, level)
    known = [s for s in world.scenes if s.lower() == scene.strip().lower()]
    name = known[0] if known else scene.strip()
    world.scenes.setdefault(name, {})[device_id] = (on, level)
    return f"scene {name!r} now controls {len(world.scenes[name])} device(s)"


@tool(mutates=True)
def activate_scene(world: HomeWorld, name: str) -> list[dict[str, Any]]:
    """Apply every setting of a scene now.

    Args:
        name: the scene's name.
    """
    actions = world.scenes[_scene(world, name)]
    return [_apply(world.devices[i], on, lv) for i, (on, lv) in actions.items()]


@tool
def list_schedules(world: HomeWorld) -> list[dict[str, Any]]:
    """List schedules: which scene each activates, at what time, on which days."""
    return [vars(s).copy() for s in world.schedules.values()]


@tool(mutates=True)
def create_schedule(world: HomeWorld, scene: str, time: str, days: list[Day]) -> dict[str, Any]:
    """Schedule a scene to activate at a time on some weekdays.

    Args:
        scene: the scene's name.
        time: 24-hour time "HH:MM", e.g. "06:30".
        days: weekdays, e.g. ["mon", "tue"].
    """
    if not days:
        raise ToolError("expected at least one day")
    schedule_id = max(world.schedules, default=0) + 1
    order = [d for d in DAYS if d in days]
    world.schedules[schedule_id] = Schedule(schedule_id, _scene(world, scene), _time(time), order)
    return vars(world.schedules[schedule_id]).copy()


@tool(mutates=True)
def update_schedule(
    world: HomeWorld, schedule_id: int, time: str | None = None, days: list[Day] | None = None
) -> dict[str, Any]:
    """Change the time and/or days of a schedule.

    Args:
        schedule_id: the schedule's id.
        time: the new 24-hour time "HH:MM" (unchanged if null).
        days: the new weekdays (unchanged if null).
    """
    schedule = _schedule(world, schedule_id)
    if time is None and not days:
        raise ToolError("expected a new time, new days or both; got neither")
    if time is not None:
        schedule.time = _time(time)
    if days:
        schedule.days = [d for d in DAYS if d in days]
    return vars(schedule).copy()


@tool(mutates=True)
def delete_schedule(world: HomeWorld, schedule_id: int) -> str:
    """Delete a schedule.

    Args:
        schedule_id: the schedule's id.
    """
    schedule = _schedule(world, schedule_id)
    del world.schedules[schedule_id]
    return f"deleted schedule {schedule_id} ({schedule.scene} at {schedule.time})"


class HomeDomain(GeneratedDomain):
    """A smart home with rooms, devices, scenes and schedules."""

    name = "home"
    rng = staticmethod(numpy_rng)
    description = "a smart home with lights, blinds, thermostats, speakers, scenes and schedules"
    tools = (
        list_devices,
        get_device,
        room_summary,
        set_device,
        set_room,
        list_scenes,
        create_scene,
        add_to_scene,
        activate_scene,
        list_schedules,
        create_schedule,
        update_schedule,
        delete_schedule,
    )
    makers = (
        tasks.goal_lights_off,
        tasks.goal_climate,
        tasks.goal_new_scene,
        tasks.goal_activate,
        tasks.goal_reschedule,
        tasks.question_room,
    )
    new_world = staticmethod(tasks.new_world)

    def copy_world(self, world: HomeWorld) -> HomeWorld:
        """A deep copy of the world (built directly: ``copy.deepcopy`` is slow)."""
        return world.copy()

    def check_invariants(self, world: HomeWorld) -> list[str]:
        """Levels stay in range; scenes and schedules reference what exists."""
        problems = []
        for d in world.devices.values():
            low, high = LEVELS.get(d.kind, (0, 0))
            if (d.level is None) != (d.kind not in LEVELS) or (
                d.level is not None and not low <= d.level <= high
            ):
                problems.append(f"{d.id} has level {d.level}")
        for name, actions in world.scenes.items():
            problems += [
                f"scene {name!r} controls unknown device {i}"
                for i in actions
                if i not in world.devices
            ]
        for s in world.schedules.values():
            if s.scene not in world.scenes or not _TIME.match(s.time) or not s.days:
                problems.append(f"schedule {s.id} is malformed")
        return problems

    def candidate_calls(self, world: HomeWorld) -> list[ToolCall]:
        """Listings per room, device look-ups, scene activations, switching lights."""
        rooms = sorted({d.room for d in world.devices.values()})
        calls = [call("list_devices"), call("list_scenes"), call("list_schedules")]
        calls += [call("room_summary", room=r) for r in rooms]
        calls += [call("list_devices", room=r) for r in rooms]
        calls += [call("activate_scene", name=s) for s in world.scenes]
        for d in sorted(world.devices.values(), key=lambda d: d.id):
            calls.append(call("get_device", device_id=d.id))
            if d.kind == "light":
                calls.append(call("set_device", device_id=d.id, on=not d.on))
        return calls
