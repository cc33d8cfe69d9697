"""World synthesis: a declarative world DSL and its compiler into domains.

A world spec (YAML, :class:`~nexgym.envs.worlds.spec.WorldSpec`) declares entities
with typed fields, constraints, and tools as operations over them;
:func:`~nexgym.envs.worlds.compiler.compile_world` turns it into a
:class:`~nexgym.envs.domains.kit.base.Domain` with an SQLite world, typed tools, a task
generator, a verifier and oracle plans. Packaged specs are registered as domains by
name when :mod:`nexgym.envs.domains` is imported (file names only, nothing parsed).

This package's ``__init__`` imports nothing heavy: the registry lists world names
through :mod:`nexgym.envs.worlds.library` at ``import nexgym``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WorldSpec", "WorldSpecError", "build_world_domain", "compile_world", "load_world_spec"]

_EXPORTS = {
    "WorldSpec": "nexgym.envs.worlds.spec",
    "WorldSpecError": "nexgym.envs.worlds.spec",
    "load_world_spec": "nexgym.envs.worlds.spec",
    "compile_world": "nexgym.envs.worlds.compiler",
    "build_world_domain": "nexgym.envs.worlds.library",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
