"""The distribution's layout: envs/ and wrappers/ install as nexgym.envs and nexgym.wrappers."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = {"nexgym": "nexgym", "envs": "nexgym.envs", "wrappers": "nexgym.wrappers"}


def _declared() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_declared():
    found = set()
    for folder, dotted in TOP.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((dotted, *relative)))
    missing = found - _declared()
    assert not missing, (
        f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    )


def test_declared_packages_exist():
    """A declared package is a folder of code, or of data only with its package-data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package in _declared():
        parts = package.split(".")
        if parts[:2] == ["nexgym", "envs"]:
            folder = ROOT / "envs" / Path(*parts[2:])
        elif parts[:2] == ["nexgym", "wrappers"]:
            folder = ROOT / "wrappers" / Path(*parts[2:])
        else:
            folder = ROOT / Path(*parts)
        if (folder / "__init__.py").is_file():
            continue
        assert folder.is_dir(), f"{package} is declared but {folder} does not exist"
        assert not list(folder.glob("*.py")), f"{package} holds code but no __init__.py"
        patterns = config["package-data"].get(package, [])
        assert patterns and any(list(folder.glob(p)) for p in patterns), (
            f"{package} is a data folder: list its files under [tool.setuptools.package-data]"
        )


def test_no_top_level_envs_or_wrappers_import(tmp_path):
    # run from an empty folder so the checkout itself is not on sys.path
    code = (
        "import importlib.util as u, nexgym.envs, nexgym.wrappers;"
        "print(u.find_spec('envs') is None, u.find_spec('wrappers') is None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True"]


def test_every_catalog_folder_is_declared():
    """Data folders setuptools would otherwise take for undeclared namespace packages."""
    declared = _declared()
    for folder in (ROOT / "envs" / "catalog").iterdir():
        if folder.is_dir() and list(folder.glob("*.yaml")):
            assert f"nexgym.envs.catalog.{folder.name}" in declared, (
                f"add nexgym.envs.catalog.{folder.name} to [tool.setuptools] packages and "
                "its *.yaml to package-data in pyproject.toml"
            )
