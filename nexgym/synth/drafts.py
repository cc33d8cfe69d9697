"""What a description says about its roles, before domains and tools are chosen.

The reader (:mod:`nexgym.synth.reader`) fills these; :mod:`nexgym.synth.offline`
turns them into a hierarchy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Duty", "Outline", "RoleDraft"]


@dataclass
class Duty:
    """A phrase saying what a role does.

    Attributes:
        words: the content words as written (lower case).
        keep: said with "itself": the role does it rather than delegating it.
    """

    words: tuple[str, ...]
    keep: bool = False


@dataclass
class RoleDraft:
    """One role as the description mentions it.

    Attributes:
        head: the role noun ("specialist").
        modifiers: words before the head ("flight" in "flight specialist").
        position: token index of the mention.
        count: 1 for one agent; n > 1 for a group ("two leads"); None for an
            unspecified plural ("specialists").
        parent: index of the role it works for (None: top level).
        duties: what it does.
        exclusive: "only ...": it gets nothing beyond its duties.
        takes_rest: "handles the rest": it gets every tool nobody else holds.
        group: index of the group this role elaborates ("two leads: a code lead ...").
    """

    head: str
    modifiers: tuple[str, ...]
    position: int
    count: int | None = 1
    parent: int | None = None
    duties: list[Duty] = field(default_factory=list)
    exclusive: bool = False
    takes_rest: bool = False
    group: int | None = None
    filled: int = 0
    #: phrases of work this role must not do ("the reader never changes files")
    forbidden: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        """Whether the mention stands for several agents."""
        return self.count is None or self.count > 1

    def label(self) -> str:
        """The words of the mention, e.g. "flight specialist"."""
        return " ".join((*self.modifiers, self.head))


@dataclass
class Outline:
    """What the description says, before domains and tools are chosen.

    Attributes:
        text: the description (translated word by word if it looked foreign).
        roles: the role mentions, in order.
        exclusions: phrases of work nobody may do ("never deletes files").
        topology_votes: cue strength per topology.
        depth: levels asked for ("a three-level team"), if any.
        team: the words naming the whole hierarchy ("travel desk"), if any.
        persona: who the hierarchy works for ("a hospital pharmacy"), if any.
        name: an explicit CamelCase name ("called TravelDesk"), if any.
        content: the content words of the description, persona left out (for picking
            the domain).
        translated: how many foreign words were translated.
        notes: things the reader noticed and could not honour.
        difficulty: the task difficulty it is meant for ("hard tasks" -> 3), if said.
    """

    text: str
    roles: list[RoleDraft] = field(default_factory=list)
    exclusions: list[tuple[str, ...]] = field(default_factory=list)
    topology_votes: dict[str, float] = field(default_factory=dict)
    depth: int | None = None
    team: tuple[str, ...] = ()
    persona: tuple[str, ...] = ()
    name: str | None = None
    content: list[str] = field(default_factory=list)
    translated: int = 0
    notes: list[str] = field(default_factory=list)
    difficulty: int | None = None
