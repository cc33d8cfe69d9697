"""The ``nexgym`` command line: ``list``, ``show``, ``play`` and ``--help`` of every command."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
from nexgym.envs.domains import get_domain

import nexgym
from nexgym.cli.main import COMMANDS, main
from nexgym.cli.play import is_incomplete
from nexgym.policies import OraclePolicy
from nexgym.registry import load_catalog_spec

# every hand-written entry and a fixed, seeded sample of the 1,000+ world-catalog
# entries (built alike; `nexgym synth --catalog --worlds` checks them all)
ENV_IDS = nexgym.registry.representative_envs()
PLAY_ID = "nex/FileOps-v0" if "nex/FileOps-v0" in ENV_IDS else ENV_IDS[0]


def nexgym_command() -> list[str]:
    """The installed console script (or the module, when the script is not on disk)."""
    script = Path(sys.executable).with_name("nexgym")
    if script.exists():
        return [str(script)]
    found = shutil.which("nexgym")
    return [found] if found else [sys.executable, "-m", "nexgym.cli.main"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def oracle_actions(env_id: str, seed: int, control: str = "root") -> list[str]:
    env = gym.make(env_id, control=control)
    policy = OraclePolicy(env)
    obs, info = env.reset(seed=seed)
    actions = []
    while True:
        actions.append(policy(obs, info))
        obs, _, terminated, truncated, info = env.step(actions[-1])
        if terminated or truncated:
            break
    assert info["success"]
    env.close()
    return actions


# -- list -------------------------------------------------------------------------------


def test_list_prints_every_env(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "domain", "topology", "agents", "depth"]
    every = nexgym.list_envs()
    assert lines[-1] == f"({len(every)} env{'s' if len(every) != 1 else ''})"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:-1]}
    assert sorted(rows) == every
    for env_id, (domain, topology, agents, depth) in ((i, rows[i]) for i in ENV_IDS):
        spec = load_catalog_spec(env_id)
        assert (domain, topology) == (spec.domain, spec.topology)
        assert (int(agents), int(depth)) == (len(spec.agents), spec.depth())


def test_list_filters_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "list", "--json")
    everything = json.loads(out)
    assert code == 0 and [row["id"] for row in everything] == nexgym.list_envs()
    assert set(everything[0]) >= {"id", "domain", "topology", "agents", "depth"}
    domain, topology = everything[0]["domain"], everything[0]["topology"]

    code, out, _ = run_cli(capsys, "list", "--json", "--domain", domain)
    rows = json.loads(out)
    assert code == 0 and rows and {row["domain"] for row in rows} == {domain}
    assert len(rows) == sum(row["domain"] == domain for row in everything)

    code, out, _ = run_cli(capsys, "list", "--json", "--domain", domain, "--topology", topology)
    rows = json.loads(out)
    assert rows and all(r["domain"] == domain and r["topology"] == topology for r in rows)

    code, out, _ = run_cli(capsys, "list", "--topology", topology)
    assert code == 0 and everything[0]["id"] in out


def test_list_unknown_domain_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "list", "--domain", "filez")
    assert code == 2 and out == ""
    assert err.startswith("nexgym list: error: unknown domain 'filez'. Did you mean 'files'")
    with pytest.raises(SystemExit) as caught:
        main(["list", "--topology", "star"])
    assert caught.value.code == 2
    assert "invalid choice: 'star'" in capsys.readouterr().err


# -- show -------------------------------------------------------------------------------


def test_show_one_env_of_each_domain_and_topology(capsys: pytest.CaptureFixture[str]) -> None:
    shapes = {}
    for env_id in ENV_IDS:
        spec = load_catalog_spec(env_id)
        shapes.setdefault((spec.domain, spec.topology), env_id)
    for env_id in shapes.values():
        spec = load_catalog_spec(env_id)
        code, out, _ = run_cli(capsys, "show", env_id, "--seed", "5")
        assert code == 0, env_id
        assert out.startswith(f"{env_id}: ")
        tree = out.split("Hierarchy")[1].split("\nAgents:")[0]
        root_line = tree.splitlines()[1]
        assert root_line.strip().startswith(f"{spec.root} [tools: ")
        for agent in spec.agents:
            assert f"{agent.name} [tools: {', '.join(agent.tools) or '-'}]" in tree
        for tool in spec.all_tools():
            assert f"\n  {tool}(" in out
        instruction = get_domain(spec.domain).generate_task(5, 1).instruction
        sample = out.split("Sample task (seed 5, difficulty 1):\n")[1]
        assert all(f"  {line}" in sample for line in instruction.splitlines())


def test_show_tree_is_indented_by_depth(capsys: pytest.CaptureFixture[str]) -> None:
    deepest = max(ENV_IDS, key=lambda i: load_catalog_spec(i).depth())
    spec = load_catalog_spec(deepest)
    code, out, _ = run_cli(capsys, "show", deepest.removeprefix("nex/").removesuffix("-v0"))
    assert code == 0
    tree = out.split("sub-agents are called like tools):\n")[1].split("\n\n")[0].splitlines()
    depth_of = {}
    for line in tree:
        body = line[2:]
        name = body.lstrip("|` -").split(" ")[0]
        depth_of.setdefault(name, (len(body) - len(body.lstrip("|` -"))) // 4)
    for depth, agent in spec.walk():
        assert depth_of[agent.name] <= depth  # an agent reached twice is expanded once


def test_show_yaml_loads_back(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "show", PLAY_ID, "--yaml", "--difficulty", "2")
    assert code == 0 and "Sample task (seed 0, difficulty 2):" in out
    text = out.split("Spec (YAML):\n")[1]
    assert nexgym.spec.load_spec(text) == load_catalog_spec(PLAY_ID)


def test_show_unknown_id_suggests_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    typo = PLAY_ID[:5] + PLAY_ID[6:]
    code, out, err = run_cli(capsys, "show", typo)
    assert code == 2 and out == ""
    assert err.startswith(f"nexgym show: error: unknown env {typo!r}. Did you mean {PLAY_ID!r}")
    code, _, err = run_cli(capsys, "show", PLAY_ID, "--difficulty", "9")
    assert code == 2 and "expected difficulty in" in err and "got 9" in err


# -- play -------------------------------------------------------------------------------


def test_is_incomplete() -> None:
    assert is_incomplete('{"name": "finish",')
    assert is_incomplete("<tool_call>")
    assert is_incomplete('read_file(path="/a"')
    assert is_incomplete("<think>let me see")
    assert not is_incomplete('{"name": "finish", "arguments": {"answer": "a } ) ]"}}')
    assert not is_incomplete("read_file(path='/a (copy)')")
    assert not is_incomplete("hello there")
    assert not is_incomplete("it's a (bad line")  # brackets inside a string do not count
    assert not is_incomplete('{"a": "\\"}"}')


def test_play_scripted_session_in_a_subprocess() -> None:
    seed = 4
    solution = oracle_actions(PLAY_ID, seed)
    first = json.loads(solution[0].removeprefix("<tool_call>").removesuffix("</tool_call>"))
    multi_line = json.dumps(first, indent=2)  # the first action spread over several lines
    script = "\n".join(
        [
            "hello there",
            ":help",
            ":tools",
            '{"name": "no_such_tool", "arguments": {}}',
            "",
            multi_line,
            "",
            *solution[1:],
        ]
    )
    done = subprocess.run(
        [*nexgym_command(), "play", PLAY_ID, "--seed", str(seed)],
        input=script + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    assert "reward -0.02 (invalid: no tool call found in the action)" in out
    assert "reward -0.02 (invalid: 'no_such_tool' is not one of your tools)" in out
    assert "Commands: :help" in out and "  finish(answer: string)" in out
    assert out.count("reward ") == 2 + len(solution)
    assert "Episode over: finished. Score 1.00 (solved); return +0.96." in out


def test_play_every_role_and_commands(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    solution = oracle_actions(PLAY_ID, 2, control="all")
    script = ":hint\n:what\n:obs\n" + "\n".join(solution) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))
    code, out, _ = run_cli(capsys, "play", PLAY_ID, "--seed", "2", "--control", "all")
    assert code == 0
    assert f"hint: {solution[0]}" in out
    assert "unknown command ':what'; expected :help, :tools, :obs, :hint or :quit" in out
    assert out.count("=== observation for ") == len(solution) + 1  # the reset, :obs, steps - end
    assert "Episode over: finished. Score 1.00 (solved); return +1.00." in out


def test_play_quit_and_end_of_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("not a call\n:quit\n"))
    code, out, _ = run_cli(capsys, "play", PLAY_ID)
    assert code == 0 and out.rstrip().endswith("Quit.")
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"name":\n  "finish"'))  # no empty line
    code, out, _ = run_cli(capsys, "play", PLAY_ID)
    assert code == 1 and out.rstrip().endswith("Input ended before the episode did.")
    assert "reward" in out  # the unterminated multi-line action was still played


def test_play_unknown_env_and_bad_control(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run_cli(capsys, "play", "nex/NoSuchEnv-v0")
    assert code == 2 and err.startswith("nexgym play: error: unknown env 'nex/NoSuchEnv-v0'")
    code, _, err = run_cli(capsys, "play", PLAY_ID, "--control", "nobody")
    assert code == 2 and "unknown role for control 'nobody'" in err


# -- every command's --help, in a real process ---------------------------------------------

EXISTING = sorted(
    name for name, module in COMMANDS.items() if importlib.util.find_spec(f"nexgym.cli.{module}")
)


def test_top_level_help_lists_the_commands() -> None:
    done = subprocess.run([*nexgym_command(), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: nexgym")
    for name in EXISTING:
        assert name in done.stdout


@pytest.mark.parametrize("command", EXISTING)
def test_command_help(command: str) -> None:
    done = subprocess.run(
        [*nexgym_command(), command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: nexgym {command}")
