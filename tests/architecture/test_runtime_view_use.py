"""Policies, teammates and wrappers read an episode through the runtime view only.

No attribute access ``.runtime`` in their code (they use
:func:`nexgym.runtime.view.runtime_view` or, for the noise sources,
:func:`~nexgym.runtime.view.runtime_control`), and no parsing of the prompts' text
layout (the task header of :func:`nexgym.runtime.prompts.task_text`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [ROOT / "wrappers", ROOT / "nexgym" / "policies", ROOT / "nexgym" / "teammates"]
FILES = sorted(p for folder in FOLDERS for p in folder.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_no_reach_into_the_runtime(path: Path) -> None:
    tree = ast.parse(path.read_text())
    reach_ins = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "runtime"
    ]
    assert reach_ins == []


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_no_prompt_layout_parsing(path: Path) -> None:
    strings = [
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert [s for s in strings if "# Task" in s] == []
