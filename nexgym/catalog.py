"""The catalog's files: every YAML spec under ``envs/catalog/<domain>/`` is an env name.

Only file names are read to list the catalog; a spec is parsed when it is asked for.
:mod:`nexgym.registry` registers the names with Gymnasium; the views read specs here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from nexgym.error import UnknownNameError

if TYPE_CHECKING:
    from nexgym.spec import HierarchySpec

__all__ = ["NAMESPACE", "catalog_paths", "env_id", "load_catalog_spec"]

NAMESPACE = "nex"


def _catalog_dir() -> Path:
    import nexgym.envs as envs_package

    return Path(str(envs_package.__file__)).resolve().parent / "catalog"


@cache
def catalog_paths() -> dict[str, Path]:
    """Env name -> YAML path for every catalog entry."""
    root = _catalog_dir()
    out: dict[str, Path] = {}
    for path in sorted(root.glob("*/*.yaml"), key=str):  # str keys: Path comparisons are slow
        if path.stem in out:
            raise ValueError(
                f"two catalog specs are named {path.stem!r}: {out[path.stem]} and {path}"
            )
        out[path.stem] = path
    return out


def env_id(name: str) -> str:
    """The Gymnasium id of a catalog entry."""
    return f"{NAMESPACE}/{name}-v0"


@cache
def _load(path: Path, mtime: float) -> HierarchySpec:
    # imported here: the spec module (pydantic, YAML) is half of ``import nexgym``'s time
    from nexgym.spec import load_spec

    return load_spec(path)


def load_catalog_spec(name_or_id: str) -> HierarchySpec:
    """The spec of a catalog entry, by name (``FileOps``) or id (``nex/FileOps-v0``)."""
    name = name_or_id.removeprefix(f"{NAMESPACE}/").removesuffix("-v0")
    paths = catalog_paths()
    if name not in paths:
        raise UnknownNameError("env", env_id(name), [env_id(n) for n in paths])
    path = paths[name]
    return _load(path, path.stat().st_mtime)
