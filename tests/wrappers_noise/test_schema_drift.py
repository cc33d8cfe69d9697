from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from nexgym.wrappers import SchemaDrift
from nexgym.wrappers.noise.schema_drift import drift_name, paraphrase

from nexgym.error import ConfigError
from nexgym.policies import OraclePolicy

ENV_ID = "nex/FileSolo-v0"


def test_renamed_tools_show_in_the_first_prompt_and_old_names_stop_working():
    env = SchemaDrift(gym.make(ENV_ID), rename_rate=1.0, paraphrase_rate=0.0)
    obs, info = env.reset(seed=0)
    renames = info["renamed_tools"]
    runtime = env.unwrapped.runtime
    assert set(renames) == runtime.spec.all_tools()
    shown = {t["function"]["name"] for t in info["tools"]}
    for real, new in renames.items():
        assert new != real
        assert new in shown and real not in shown
        assert f'"name": "{new}"' in obs
    real = sorted(renames)[0]
    obs, _, _, _, step_info = env.step(
        f'<tool_call>{{"name": "{real}", "arguments": {{}}}}</tool_call>'
    )
    assert step_info["action_kind"] == "invalid"
    assert "not one of your tools" in obs


def test_paraphrased_descriptions_differ_and_keep_parameters():
    env = SchemaDrift(gym.make(ENV_ID), rename_rate=0.0, paraphrase_rate=1.0)
    _, info = env.reset(seed=1)
    domain = env.unwrapped.domain
    for schema in info["tools"]:
        fn = schema["function"]
        if fn["name"] == "finish":
            continue
        original = domain.tool(fn["name"])
        assert fn["description"] != original.description
        assert fn["parameters"] == original.parameters


def test_drift_is_seeded(play_episode):
    def drift(seed: int):
        env = SchemaDrift(gym.make(ENV_ID))
        _, info = env.reset(seed=seed)
        return info["renamed_tools"], [t["function"] for t in info["tools"]]

    assert drift(4) == drift(4)
    assert drift(4) != drift(5)


def test_oracles_follow_renamed_tools(play_episode):
    env = SchemaDrift(gym.make("nex/FileDeepTree-v0"), rename_rate=1.0)
    policy = OraclePolicy(env)
    for seed in range(3):
        out = play_episode(env, policy, seed)
        assert out["info"]["success"]
        runtime = env.unwrapped.runtime
        renamed = set(runtime.renames.values())
        called = {
            call["function"]["name"]
            for _, messages in runtime.transcripts
            for m in messages
            for call in m.get("tool_calls", [])
        }
        assert called & renamed  # the workers called tools by their new names...
        assert called <= renamed | set(runtime.spec.agent_names) | {"finish"}  # ...only


def test_helpers_make_valid_distinct_names_and_texts():
    rng = np.random.default_rng(0)
    for name in ("read_file", "list_dir", "search_files", "get_order", "book_flight"):
        new = drift_name(name, rng)
        assert new != name and new.isidentifier()
    text = "Return the whole text of a file."
    assert paraphrase(text, np.random.default_rng(1)) != text


def test_bad_rate_raises():
    with pytest.raises(ConfigError, match="rename_rate"):
        SchemaDrift(gym.make(ENV_ID), rename_rate=2.0)
