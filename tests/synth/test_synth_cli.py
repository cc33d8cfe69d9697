"""``nexgym synth``: a description to YAML and a tree, the catalog builder, the report."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nexgym.cli.main import main
from nexgym.synth.catalog import GENERATED_HEADER


def test_synth_prints_yaml_and_tree(capsys: pytest.CaptureFixture[str]) -> None:
    text = "a travel desk where a planner hands flights to one specialist and hotels to another"
    assert main(["synth", text]) == 0
    out = capsys.readouterr().out
    spec_part, tree_part = out.split("\n\n# ", 1)
    data = yaml.safe_load(spec_part)
    assert data["domain"] == "travel" and data["root"] == "planner"
    assert data["metadata"]["source"] == text
    assert "centralized, 3 agents, depth 2" in tree_part
    assert "|-- flight_specialist [tools: search_flights" in tree_part


def test_synth_errors_exit_2_with_the_unmatched_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "qwzx plorf glarb"]) == 2
    err = capsys.readouterr().err
    assert "no part of the description" in err and "files" in err
    assert main(["synth"]) == 2
    assert "expected a description" in capsys.readouterr().err


def test_synth_catalog_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "catalog"
    args = ["synth", "--catalog", "--count", "3", "--out", str(out_dir), "--domains", "files"]
    assert main(args) == 0
    assert "wrote 3 entries over 1 domains" in capsys.readouterr().out
    files = sorted(out_dir.glob("files/*.yaml"))
    assert len(files) == 3
    assert all(p.read_text().startswith(GENERATED_HEADER) for p in files)
    pytest.importorskip("matplotlib")
    plot, markdown = tmp_path / "r" / "report.png", tmp_path / "r" / "report.md"
    args = ["synth", "--report", "--out", str(out_dir), "--plot", str(plot)]
    assert main([*args, "--markdown", str(markdown)]) == 0
    text = capsys.readouterr().out
    assert "3 hierarchies over 1 domains" in text
    assert "![catalog diversity](report.png)" in text
    assert markdown.read_text() == text and plot.stat().st_size > 10_000
