"""The worlds nexgym knows: packaged specs, the spec cache, compilation and registration.

Packaged worlds are YAML files under ``specs/`` (hand-written) and ``generated/``
(written by ``nexgym synth --catalog``); :func:`packaged_world_names` lists them from
file names alone, so registering them costs no parsing at ``import nexgym``. Any other
spec (one synthesized from a description, a third party's) is compiled by
:func:`build_world_domain`, saved to the spec cache so other processes can compile
it too, checked by :func:`verify_world` and registered as a domain.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nexgym.envs.worlds.packaged import (
    SPEC_FOLDERS,
    _packaged,
    packaged_world_names,
    packaged_world_path,
)

if TYPE_CHECKING:
    from nexgym.envs.worlds.compiler import WorldDomain
    from nexgym.envs.worlds.spec import WorldSpec

__all__ = [
    "SPEC_FOLDERS",
    "build_world_domain",
    "cache_dir",
    "hand_written",
    "is_world",
    "packaged_world_names",
    "packaged_world_path",
    "resolve_class",
    "verify_world",
]


def is_world(target: object) -> bool:
    """Whether a :data:`~nexgym.envs.domains.DOMAINS` entry is a compiled world."""
    if isinstance(target, str):
        return target.startswith("nexgym.envs.worlds.")
    return getattr(target, "world_spec", None) is not None


def hand_written(name: str, target: object) -> bool:
    """Whether a registered domain is hand-written: built in, third party, or ``specs/``."""
    if not is_world(target):
        return True
    path = _packaged().get(name)
    return path is not None and path.parent.name == "specs"


def cache_dir() -> Path:
    """Where specs compiled in one process are kept for others (``NEXGYM_WORLD_CACHE``)."""
    folder = os.environ.get("NEXGYM_WORLD_CACHE") or os.path.join(
        tempfile.gettempdir(), "nexgym-worlds"
    )
    return Path(folder)


def resolve_class(name: str) -> type[WorldDomain]:
    """Compile the world a :mod:`nexgym.envs.worlds.served` name refers to."""
    from nexgym.envs.worlds.compiler import compile_world
    from nexgym.envs.worlds.spec import load_world_spec

    if name in _packaged():
        return compile_world(load_world_spec(_packaged()[name]), qualname=name)
    path = cache_dir() / f"{name}.yaml"
    if "__" in name and path.is_file():
        return compile_world(load_world_spec(path), qualname=name)
    raise AttributeError(
        f"no world {name!r}: expected a packaged world ({', '.join(list(_packaged())[:8])}, ...) "
        f"or a spec saved in {cache_dir()}"
    )


def _remember_spec(spec: WorldSpec, qualname: str) -> None:
    folder = cache_dir()
    path = folder / f"{qualname}.yaml"
    if path.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    # write then rename: a reader in another process never sees half a file
    tmp = folder / f".{qualname}.{os.getpid()}.tmp"
    tmp.write_text(spec.to_yaml(), encoding="utf-8")
    os.replace(tmp, path)


def verify_world(cls: type[WorldDomain], seeds: int = 4) -> None:
    """Check that a compiled world makes solvable tasks and every acting tool is used.

    Raises:
        WorldSpecError: naming the tool that no task could use, or the seed and
            difficulty whose oracle plan does not solve its task.
    """
    from nexgym.envs.worlds.spec import WorldSpecError

    domain = cls()
    spec = cls.world_spec
    for difficulty in domain.difficulties:
        for seed in range(seeds):
            try:
                task = domain.generate_task(seed, difficulty)
            except Exception as e:
                raise WorldSpecError(
                    f"(world): task generation fails at seed {seed}, difficulty {difficulty}: {e}",
                    source=spec.name,
                ) from e
            for k, plan in enumerate(task.plans):
                world = domain.copy_world(task.world)
                for call in plan:
                    tool = domain.tool(call.name)
                    try:
                        tool(world, **tool.validate(call.arguments))
                    except Exception as e:
                        raise WorldSpecError(
                            f"tools: {call.describe()} fails in oracle plan {k} "
                            f"of seed {seed}: {e}",
                            source=spec.name,
                        ) from e
                verdict = task.verify(world, task.answer)
                if not verdict.solved:
                    failed = [text for text, ok in verdict.checks if not ok]
                    raise WorldSpecError(
                        f"(world): oracle plan {k} of seed {seed} leaves unsolved: {failed}",
                        source=spec.name,
                    )
    never = []
    for i, maker in enumerate(cls.acting):
        if not _maker_works(domain, maker, seeds * 2):
            tool = [t for t in spec.tools if t.op in ACTING][i]
            never.append(
                f"tools[{spec.tools.index(tool)}] ({tool.name}): can never succeed: no world "
                f"of {seeds * 2} seeds has a {tool.entity} it applies to; widen the "
                "entity's records or values, or remove the tool"
            )
    if never:
        raise WorldSpecError(never, source=spec.name)


#: The operations that change the world (each has a goal maker).
ACTING = ("create", "update", "transition", "transfer", "note")


def _maker_works(domain: Any, maker: Any, seeds: int) -> bool:
    """Whether ``maker`` makes, in some seeded world, a goal its own plans achieve."""
    for seed in range(seeds):
        rng = domain.rng(10_000 + seed)
        world = domain.new_world(rng, 1 + seed % 3)
        try:
            goal = maker(rng, world, set())
        except Exception:
            continue
        for plan in goal.plans:
            copy = domain.copy_world(world)
            for call in plan:
                tool = domain.tool(call.name)
                tool(copy, **tool.validate(call.arguments))
            if not goal.check(copy, goal.answer):
                return False
        return True
    return False


def build_world_domain(
    spec: WorldSpec | dict[str, Any] | str | Path, *, verify: bool = True, replace: bool = True
) -> type[WorldDomain]:
    """Compile, check and register a world spec as a domain; returns its class.

    Args:
        spec: a :class:`WorldSpec`, its dict or YAML text, or a YAML path.
        verify: run :func:`verify_world` first (a bad spec never reaches ``reset``).
        replace: replace a domain already registered under the spec's name.
    """
    from nexgym.envs.domains import register_domain
    from nexgym.envs.worlds import served
    from nexgym.envs.worlds.compiler import compile_world, spec_digest
    from nexgym.envs.worlds.spec import load_world_spec

    spec = load_world_spec(spec)
    packaged = spec.name in _packaged() and load_world_spec(_packaged()[spec.name]) == spec
    qualname = spec.name if packaged else f"{spec.name}__{spec_digest(spec)}"
    cls: type[WorldDomain] = (
        getattr(served, qualname) if packaged else compile_world(spec, qualname=qualname)
    )
    if verify:
        verify_world(cls)
    if not packaged:
        _remember_spec(spec, qualname)
        served.remember(qualname, cls)
    register_domain(
        spec.name, cls if not packaged else f"nexgym.envs.worlds.served:{qualname}", replace=replace
    )
    return cls
