"""The smart-home world of the home domain, its generator and its goal makers.

Plans use either per-device tools (``list_devices``, ``set_device``, ``create_scene``,
``list_scenes``, ``list_schedules``, ``delete_schedule``, ``create_schedule``) or
room-level and bulk tools (``room_summary``, ``set_room``, ``add_to_scene``,
``activate_scene``, ``update_schedule``). Goals claim the rooms whose devices they
change, so two goals of a task never fight over one device.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from nexgym.envs.domains.kit.base import Goal, answer_has
from nexgym.envs.domains.kit.draws import integer, pick, real, sample
from nexgym.envs.domains.kit.taskgen import call

#: room -> (device name, kind)
ROOMS = {
    "living room": (("ceiling light", "light"), ("floor lamp", "light"), ("blinds", "blind"),
                    ("thermostat", "thermostat"), ("speaker", "speaker"), ("tv plug", "plug")),
    "kitchen": (("ceiling light", "light"), ("cabinet lights", "light"), ("blinds", "blind"),
                ("coffee machine plug", "plug"), ("speaker", "speaker")),
    "bedroom": (("ceiling light", "light"), ("bedside lamp", "light"), ("blinds", "blind"),
                ("thermostat", "thermostat"), ("speaker", "speaker")),
    "office": (("ceiling light", "light"), ("desk lamp", "light"), ("blinds", "blind"),
               ("thermostat", "thermostat"), ("heater plug", "plug")),
    "hallway": (("ceiling light", "light"), ("wall light", "light")),
    "bathroom": (("ceiling light", "light"), ("mirror light", "light"),
                 ("thermostat", "thermostat")),
    "guest room": (("ceiling light", "light"), ("reading lamp", "light"), ("blinds", "blind"),
                   ("thermostat", "thermostat")),
    "dining room": (("pendant light", "light"), ("wall lights", "light"), ("blinds", "blind"),
                    ("speaker", "speaker")),
}  # fmt: skip
CLIMATE_ROOMS = ("living room", "bedroom", "office", "guest room")
SCENE_NAMES = ("Good morning", "Evening", "Relax", "Dinner", "Wake up", "Cozy", "Party")
NEW_SCENES = ("Movie night", "Reading time", "Wind down", "Focus", "Late snack")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: kind -> (lowest level, highest level); kinds missing here have no level.
LEVELS = {"light": (0, 100), "blind": (0, 100), "thermostat": (16, 28), "speaker": (0, 100)}


@dataclass
class Device:
    """One device; ``level`` is brightness, blind opening, target degrees C or volume."""

    id: str
    name: str
    room: str
    kind: str
    on: bool
    level: int | None


@dataclass
class Schedule:
    """Activates a scene at a time of day on some weekdays."""

    id: int
    scene: str
    time: str
    days: list[str]


@dataclass
class HomeWorld:
    """Devices by id, scenes (name -> device id -> (on, level)) and schedules by id."""

    devices: dict[str, Device] = field(default_factory=dict)
    scenes: dict[str, dict[str, tuple[bool | None, int | None]]] = field(default_factory=dict)
    schedules: dict[int, Schedule] = field(default_factory=dict)

    def copy(self) -> HomeWorld:
        """An independent copy (what ``copy.deepcopy`` gives, much faster)."""
        schedules = {}
        for key, schedule in self.schedules.items():
            schedules[key] = copied = copy.copy(schedule)
            copied.days = list(schedule.days)
        return HomeWorld(
            devices={k: copy.copy(d) for k, d in self.devices.items()},
            scenes={k: dict(actions) for k, actions in self.scenes.items()},
            schedules=schedules,
        )

    def in_room(self, room: str, kind: str | None = None) -> list[Device]:
        """Devices of a room (of one kind), in id order."""
        return sorted(
            (d for d in self.devices.values() if d.room == room and kind in (None, d.kind)),
            key=lambda d: d.id,
        )


def device_id(room: str, name: str) -> str:
    """A device's id, e.g. ``living_room.floor_lamp``."""
    return f"{room.replace(' ', '_')}.{name.replace(' ', '_')}"


def new_world(rng: np.random.Generator, difficulty: int) -> tuple[HomeWorld, dict]:
    """3 + difficulty rooms (two with climate control), three scenes, their schedules."""
    world = HomeWorld()
    climate = sample(rng, CLIMATE_ROOMS, 2)
    others = [r for r in ROOMS if r not in climate]
    rooms = sorted(climate + sample(rng, others, 1 + difficulty))
    for room in rooms:
        for i, (name, kind) in enumerate(ROOMS[room]):
            low, high = LEVELS.get(kind, (0, 0))
            level = integer(rng, low, high + 1) if kind in LEVELS else None
            on = kind != "blind" and (i == 0 or real(rng) < 0.5)
            world.devices[device_id(room, name)] = Device(
                device_id(room, name), name, room, kind, on, level
            )
    for number, (scene, room) in enumerate(
        zip(sample(rng, SCENE_NAMES, 3), sample(rng, rooms, 3), strict=True)
    ):
        levels = {
            d.id: integer(rng, 2, 10) * 10
            for d in world.in_room(room)
            if d.kind in ("light", "speaker")
        }
        first = min(levels)
        world.devices[first].level = 10 if levels[first] == 50 else 100 - levels[first]
        world.scenes[scene] = {i: (True, level) for i, level in levels.items()}  # not active yet
        days = list(DAYS[:5]) if real(rng) < 0.6 else list(DAYS[5:])
        hour, minute = integer(rng, 6, 22), pick(rng, (0, 15, 30, 45))
        world.schedules[number + 1] = Schedule(number + 1, scene, f"{hour:02d}:{minute:02d}", days)
    scene_rooms = {s: world.devices[min(a)].room for s, a in world.scenes.items()}
    return world, {"rooms": rooms, "scene_rooms": scene_rooms}


def _free_room(rng: np.random.Generator, facts: dict, rooms: list[str]) -> str:
    room = pick(rng, [r for r in rooms if r not in facts["touched"]] or rooms)
    facts["touched"].add(room)
    return room


def goal_lights_off(rng: np.random.Generator, world: HomeWorld, facts: dict) -> Goal:
    """Switch off every light of a room."""
    lit = [r for r in facts["rooms"] if any(d.on for d in world.in_room(r, "light"))]
    room = _free_room(rng, facts, lit or facts["rooms"])
    lights = [d.id for d in world.in_room(room, "light")]
    rest = {d.id: (d.on, d.level) for d in world.in_room(room) if d.kind != "light"}

    def check(w: HomeWorld, answer: str | None) -> bool:
        off = all(not w.devices[i].on for i in lights)
        return off and all((w.devices[i].on, w.devices[i].level) == s for i, s in rest.items())

    lit = [i for i in lights if world.devices[i].on]
    return Goal(
        text=f"Switch off every light in the {room} and leave its other devices as they are.",
        check=check,
        plans=(
            (
                call("list_devices", room=room),
                *(call("set_device", device_id=i, on=False) for i in lit),
            ),
            (call("room_summary", room=room), call("set_room", room=room, kind="light", on=False)),
        ),
    )


def goal_climate(rng: np.random.Generator, world: HomeWorld, facts: dict) -> Goal:
    """Set a room's thermostat and blinds."""
    room = _free_room(rng, facts, [r for r in facts["rooms"] if r in CLIMATE_ROOMS])
    thermostat = world.in_room(room, "thermostat")[0]
    blinds = [d.id for d in world.in_room(room, "blind")]
    target = pick(rng, [t for t in range(18, 24) if t != thermostat.level])
    opening = pick(rng, (0, 25, 50, 75, 100))

    def check(w: HomeWorld, answer: str | None) -> bool:
        t = w.devices[thermostat.id]
        return t.on and t.level == target and all(w.devices[b].level == opening for b in blinds)

    return Goal(
        text=f"In the {room}, turn the heating on with the thermostat set to {target} degrees C, "
        f"and set the blinds to {opening}% open.",
        check=check,
        plans=(
            (
                call("set_device", device_id=thermostat.id, on=True, level=target),
                *(call("set_device", device_id=b, level=opening) for b in blinds),
            ),
            (
                call("set_room", room=room, kind="thermostat", on=True, level=target),
                call("set_room", room=room, kind="blind", level=opening),
            ),
        ),
    )


def goal_new_scene(rng: np.random.Generator, world: HomeWorld, facts: dict) -> Goal:
    """Create a scene that dims one room's lights."""
    room, name = pick(rng, facts["rooms"]), pick(rng, NEW_SCENES)
    lights = [d.id for d in world.in_room(room, "light")]
    level = integer(rng, 1, 9) * 10
    expected = {i: (True, level) for i in lights}

    def check(w: HomeWorld, answer: str | None) -> bool:
        found = {k.lower(): v for k, v in w.scenes.items()}.get(name.lower())
        return found == expected

    return Goal(
        text=f"Create a scene called '{name}' that turns on every light in the {room} at "
        f"{level}% brightness and controls no other device. Do not activate it.",
        check=check,
        plans=(
            (
                call("list_devices", room=room, kind="light"),
                call("create_scene", name=name, device_ids=lights, on=True, level=level),
            ),
            (
                call("room_summary", room=room),
                *(
                    call("add_to_scene", scene=name, device_id=i, on=True, level=level)
                    for i in lights
                ),
            ),
        ),
    )


def goal_activate(rng: np.random.Generator, world: HomeWorld, facts: dict) -> Goal:
    """Activate an existing scene."""
    free = [s for s, r in facts["scene_rooms"].items() if r not in facts["touched"]]
    scene = pick(rng, sorted(free or facts["scene_rooms"]))
    facts["touched"].add(facts["scene_rooms"][scene])
    actions = dict(world.scenes[scene])

    def check(w: HomeWorld, answer: str | None) -> bool:
        return all(
            (on is None or w.devices[i].on == on) and (lv is None or w.devices[i].level == lv)
            for i, (on, lv) in actions.items()
        )

    steps = [call("set_device", device_id=i, on=on, level=lv) for i, (on, lv) in actions.items()]
    return Goal(
        text=f"Activate the '{scene}' scene now.",
        check=check,
        plans=((call("list_scenes"), *steps), (call("activate_scene", name=scene),)),
    )


def goal_reschedule(rng: np.random.Generator, world: HomeWorld, facts: dict) -> Goal:
    """Move a schedule to another time, keeping its days."""
    schedule = pick(rng, sorted(world.schedules.values(), key=lambda s: s.id))
    hour = (int(schedule.time[:2]) + integer(rng, 1, 3)) % 24
    new_time = f"{hour:02d}:{pick(rng, ('00', '30'))}"
    scene, days = schedule.scene, list(schedule.days)

    def check(w: HomeWorld, answer: str | None) -> bool:
        mine = [s for s in w.schedules.values() if s.scene == scene]
        return len(mine) == 1 and mine[0].time == new_time and mine[0].days == days

    return Goal(
        text=f"The '{scene}' scene is scheduled at {schedule.time}; move that schedule to "
        f"{new_time}, keeping the same days.",
        check=check,
        plans=(
            (
                call("list_schedules"),
                call("delete_schedule", schedule_id=schedule.id),
                call("create_schedule", scene=scene, time=new_time, days=days),
            ),
            (call("update_schedule", schedule_id=schedule.id, time=new_time),),
        ),
    )


def question_room(rng: np.random.Generator, world: HomeWorld, facts: dict) -> Goal:
    """How many lights are on in a room, or its thermostat's target."""
    room = _free_room(rng, facts, facts["rooms"])
    thermostats = world.in_room(room, "thermostat")
    if thermostats and real(rng) < 0.5:
        value = thermostats[0].level
        text = f"What temperature is the thermostat in the {room} set to, in degrees C?"
    else:
        value = sum(1 for d in world.in_room(room, "light") if d.on)
        text = f"How many lights are switched on in the {room} right now?"
    return Goal(
        text=text,
        check=lambda w, answer: answer_has(answer, value),
        plans=((call("list_devices", room=room),), (call("room_summary", room=room),)),
        answer=str(value),
    )
