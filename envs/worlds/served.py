"""Where compiled world domains live, so that any process can find them by name.

A compiled class is ``nexgym.envs.worlds.served:<name>`` for a packaged world (a YAML
file under ``specs/`` or ``generated/``) and ``nexgym.envs.worlds.served:<name>__<digest>``
for any other (its spec is saved in the spec cache when it is compiled, see
:func:`nexgym.envs.worlds.library.remember_spec`). This module resolves such names on
attribute access (PEP 562), compiling each world once per process: that is how the
MCP server process (``python -m nexgym.mcp.server <reference>``) and a pickle's reader
reach a world built in another process.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []

_COMPILED: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name not in _COMPILED:
        from nexgym.envs.worlds.library import resolve_class

        _COMPILED[name] = resolve_class(name)
    return _COMPILED[name]


def remember(name: str, cls: Any) -> None:
    """Keep a class compiled in this process under its reference name."""
    _COMPILED.setdefault(name, cls)
