"""The first git tool call of a process is a step like any other: the server's code is
imported with the first world, not in the call (the faults benchmark saw 1.02 s there)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("mcp_server_git")

PROGRAM = """
import sys, time
import gymnasium as gym
import nexgym
from nexgym.tools import ToolCall

env = gym.make("nex/GitSolo-v0")
assert "mcp_server_git.server" not in sys.modules  # nothing imported it before
env.reset(seed=0)
loaded = "mcp_server_git.server" in sys.modules and "git" in sys.modules
start = time.perf_counter()
observation, *_ = env.step(ToolCall("git_branch", {"branch_type": "local"}).to_text())
print(loaded, time.perf_counter() - start, "main" in observation)
env.close()
"""


def test_the_git_server_code_is_loaded_by_reset_not_by_the_first_call() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120, check=True
    )
    loaded, seconds, answered = done.stdout.split()
    assert loaded == "True" and answered == "True"
    assert float(seconds) < 0.5  # a git subprocess: milliseconds; the import took 0.4-1.4 s
