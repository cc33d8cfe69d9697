from __future__ import annotations

import gymnasium as gym
import pytest
from nexgym.wrappers import SchemaDrift, ToolBudget

from nexgym.error import ConfigError, UnknownNameError
from nexgym.policies import OraclePolicy
from nexgym.tools import ToolCall

ENV_ID = "nex/FileSolo-v0"  # the root holds every tool: each step is one tool call
LIST_ROOT = ToolCall("list_dir", {"path": "/"}).to_text()


def test_tracker_line_in_every_observation():
    env = ToolBudget(gym.make(ENV_ID), {"list_dir": 2, "read_file": 5})
    obs, info = env.reset(seed=0)
    assert obs.endswith("[tool budget] list_dir 2/2 left, read_file 5/5 left")
    assert info["tool_budget"] == {"list_dir": 2, "read_file": 5}
    obs, _, _, _, info = env.step(LIST_ROOT)
    assert obs.endswith("[tool budget] list_dir 1/2 left, read_file 5/5 left")
    assert info["tool_budget"]["list_dir"] == 1
    obs, *_ = env.step("not a tool call")  # invalid actions spend nothing
    assert obs.endswith("list_dir 1/2 left, read_file 5/5 left")


def test_the_call_after_the_last_one_ends_the_episode():
    env = ToolBudget(gym.make(ENV_ID), {"list_dir": 2})
    env.reset(seed=0)
    for _ in range(2):  # n calls run...
        _, _, terminated, truncated, info = env.step(LIST_ROOT)
        assert not (terminated or truncated)
        assert env.unwrapped.runtime.tool_log[-1].ok
    assert info["tool_budget"] == {"list_dir": 0}
    _, reward, terminated, truncated, info = env.step(LIST_ROOT)  # ...the (n+1)-th ends it
    assert terminated and not truncated
    assert info["stop_reason"] == "tool_budget"
    assert reward == pytest.approx(info["score"])
    assert env.unwrapped.runtime.tool_log[-1].meta == {"fault": "budget"}


def test_default_budget_covers_every_tool_and_the_oracle_fits_a_fair_one(play_episode):
    env = ToolBudget(gym.make("nex/FileOps-v0"), default=12)
    out = play_episode(env, OraclePolicy(env), seed=0)
    assert out["info"]["success"]
    assert set(out["info"]["tool_budget"]) == env.unwrapped.runtime.spec.all_tools()
    tight = ToolBudget(gym.make("nex/FileOps-v0", difficulty=3), default=1)
    ended = [play_episode(tight, OraclePolicy(tight), s)["info"]["stop_reason"] for s in range(6)]
    assert "tool_budget" in ended


def test_tracker_uses_the_names_shown_under_drift():
    env = ToolBudget(SchemaDrift(gym.make(ENV_ID), rename_rate=1.0), {"list_dir": 1})
    obs, info = env.reset(seed=0)
    shown = info["renamed_tools"]["list_dir"]
    assert obs.endswith(f"[tool budget] {shown} 1/1 left")


def test_bad_budgets_raise():
    with pytest.raises(ConfigError, match="or a default budget"):
        ToolBudget(gym.make(ENV_ID))
    with pytest.raises(ConfigError, match="int >= 0"):
        ToolBudget(gym.make(ENV_ID), {"list_dir": -1})
    with pytest.raises(UnknownNameError, match="list_dri"):
        ToolBudget(gym.make(ENV_ID), {"list_dri": 1})
