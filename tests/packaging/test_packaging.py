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
    for package in _declared():
        parts = package.split(".")
        if parts[:2] == ["nexgym", "envs"]:
            folder = ROOT / "envs" / Path(*parts[2:])
        elif parts[:2] == ["nexgym", "wrappers"]:
            folder = ROOT / "wrappers" / Path(*parts[2:])
        else:
            folder = ROOT / Path(*parts)
        assert (folder / "__init__.py").is_file(), (
            f"{package} is declared but {folder} has no __init__.py"
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
