"""The packaged world specs, found by file name alone (no parsing, no compilation).

Hand-written worlds are YAML files under ``specs/``, generated ones under
``generated/`` (``nexgym synth --catalog``). The domain table registers them from
their names at import (:mod:`nexgym.envs.domains`); :mod:`nexgym.envs.worlds.library`
compiles one at first use.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["SPEC_FOLDERS", "packaged_world_names", "packaged_world_path"]

_ROOT = Path(__file__).resolve().parent
SPEC_FOLDERS = ("specs", "generated")


@cache
def _packaged() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for folder in SPEC_FOLDERS:
        for path in sorted((_ROOT / folder).glob("*.yaml")):
            out.setdefault(path.stem, path)
    return out


def packaged_world_names() -> list[str]:
    """Names of every packaged world spec (from file names only)."""
    return list(_packaged())


def packaged_world_path(name: str) -> Path:
    """The YAML file of a packaged world (KeyError if there is none)."""
    return _packaged()[name]
