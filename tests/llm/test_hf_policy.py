"""HFPolicy on a tiny from-scratch model: episodes, batching, chats, templates, bad input."""

from __future__ import annotations

import json
import warnings

import gymnasium as gym
import pytest
import torch

import nexgym
from nexgym.error import ConfigError
from nexgym.policies import HFPolicy, OraclePolicy
from nexgym.policies.hf import EMPTY_PROMPT_ACTION, RunningChat
from nexgym.runtime.parsing import parse_action
from nexgym.tools import ToolCall
from nexgym.training.generation import decode, fit_messages, plain_chat_text, render_chat


def _without_ids(messages):
    out = []
    for m in messages:
        m = {k: v for k, v in m.items() if k != "tool_call_id"}
        if m.get("tool_calls"):
            m["tool_calls"] = [{**c, "id": ""} for c in m["tool_calls"]]
        out.append(m)
    return out


def test_untrained_model_plays_an_episode_and_garbage_becomes_invalid_actions(tiny_dir):
    env = gym.make("nex/FileOps-v0", control="all")
    policy = HFPolicy(env, str(tiny_dir), max_new_tokens=8)
    obs, info = env.reset(seed=0)
    kinds = []
    for _ in range(60):
        action = policy(obs, info)
        assert isinstance(action, str)
        obs, _reward, terminated, truncated, info = env.step(action)
        kinds.append(info["action_kind"])
        if info["action_kind"] == "invalid":
            assert obs.startswith("Invalid action:") or "episode is over" in obs
            assert info["invalid_reason"]
        if terminated or truncated:
            break
    assert terminated or truncated
    assert "invalid" in kinds  # random weights write no valid call
    assert info["stop_reason"] in {"error_budget", "turn_limit", "finished"}
    env.close()


def test_running_chat_rebuilds_the_env_history_from_observations():
    env = gym.make("nex/FileOps-v0", control="all", return_history=True)
    oracle = OraclePolicy(env)
    chat = RunningChat()
    obs, info = env.reset(seed=3)
    step = 0
    while True:
        key = (0, info["role"])
        assert _without_ids(chat.update(key, obs)) == _without_ids(info["history"])
        # One malformed action on the second turn exercises the feedback path.
        action = "not a tool call" if step == 1 else oracle(obs, info)
        chat.record(key, action)
        obs, _, terminated, truncated, info = env.step(action)
        step += 1
        if terminated or truncated:
            break
    assert info["success"]
    env.close()


def test_history_and_running_chat_give_the_same_prompts(tiny):
    model, tokenizer = tiny
    prompts = {}
    for with_history in (True, False):
        env = gym.make("nex/FileOps-v0", control="all", return_history=with_history)
        policy = HFPolicy(env, model, tokenizer, max_new_tokens=8)
        obs, info = env.reset(seed=1)
        seen = []
        for _ in range(3):
            policy(obs, info)
            seen.append(policy.last_prompts[0])
            obs, _, terminated, truncated, info = env.step(policy.chat.pending[(0, info["role"])])
            if terminated or truncated:
                break
        prompts[with_history] = seen
        env.close()
    assert prompts[True] == prompts[False]
    assert len(prompts[True]) == 3


def test_batched_generation_across_a_vector_env_matches_single_calls(tiny):
    model, tokenizer = tiny
    vec = gym.vector.SyncVectorEnv([lambda: gym.make("nex/FileOps-v0") for _ in range(3)])
    policy = HFPolicy(vec, model, tokenizer, max_new_tokens=6)
    observations, infos = vec.reset(seed=[0, 1, 2])
    batched = policy.act_batch(observations, infos)
    assert len(batched) == 3 and all(isinstance(a, str) for a in batched)
    for i in range(3):
        env = gym.make("nex/FileOps-v0")
        obs, info = env.reset(seed=i)
        assert obs == observations[i]
        single = HFPolicy(env, model, tokenizer, max_new_tokens=6)
        assert single(obs, info) == batched[i]
        assert single.last_prompts[0] == policy.last_prompts[i]
        env.close()
    observations, _rewards, _terminated, _truncated, infos = vec.step(batched)
    assert len(policy.act_batch(observations, infos)) == 3
    vec.close()


class _SilentTokenizer:
    """A tokenizer that returns no tokens at all (everything else delegated)."""

    def __init__(self, inner):
        self._inner = inner

    def __call__(self, *args, **kwargs):
        return {"input_ids": []}

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __len__(self):
        return len(self._inner)


def test_a_tokenizer_that_returns_nothing_becomes_an_invalid_action(tiny):
    model, tokenizer = tiny
    env = gym.make("nex/FileOps-v0")
    policy = HFPolicy(env, model, _SilentTokenizer(tokenizer), max_new_tokens=8)
    obs, info = env.reset(seed=0)
    with pytest.warns(RuntimeWarning, match="no tokens"):
        action = policy(obs, info)
    assert action == EMPTY_PROMPT_ACTION
    obs, reward, _terminated, _truncated, info = env.step(action)
    assert info["action_kind"] == "invalid"
    assert obs.startswith("Invalid action: no tool call found")
    assert reward < 0
    env.close()


def test_garbage_ids_decode_without_raising(tiny):
    _, tokenizer = tiny
    assert isinstance(decode(tokenizer, [10**7, -5, 3, len(tokenizer)]), str)
    assert decode(tokenizer, []) == ""


def test_chat_template_includes_the_tool_schemas(tiny):
    _, tokenizer = tiny
    env = gym.make("nex/FileOps-v0", return_history=True)
    _, info = env.reset(seed=0)
    tools = info["tools"]
    # A system prompt without tools: the template adds the <tools> block with every schema.
    bare = [{"role": "system", "content": "You are a helper."}, {"role": "user", "content": "hi"}]
    text = render_chat(tokenizer, bare, tools)
    assert text.count("<tools>") == 1
    for schema in tools:
        assert json.dumps(schema) in text
    # The env's own system prompt already lists them: they appear exactly once.
    text = render_chat(tokenizer, info["history"], tools)
    assert text.count("<tools>") == 1
    for schema in tools:
        assert text.count(json.dumps(schema)) == 1
    # An assistant tool call renders as the canonical action text the env parses.
    call = ToolCall("reader", {"task": "count the lines"})
    turn = {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "c0",
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
        ],
    }
    text = render_chat(tokenizer, [*bare, turn], tools, add_generation_prompt=False)
    assert call.to_text() + "<|im_end|>" in text
    assert parse_action(text.split("<|im_start|>assistant\n")[-1]) == call
    env.close()


def test_tokenizer_without_chat_template_uses_the_plain_layout(tiny_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    tokenizer.chat_template = None
    env = gym.make("nex/FileOps-v0")
    policy = HFPolicy(env, str(tiny_dir), tokenizer, max_new_tokens=8)
    obs, info = env.reset(seed=0)
    assert isinstance(policy(obs, info), str)
    assert tokenizer.decode(policy.last_prompts[0]).endswith("assistant:")
    text = plain_chat_text([{"role": "user", "content": "x"}], info["tools"])
    assert text.startswith("tools:\n<tools>")
    env.close()


def test_sampling_is_seeded_from_the_env_and_leaves_the_global_rng_alone(tiny):
    model, tokenizer = tiny
    actions = []
    for _ in range(2):
        env = gym.make("nex/FileOps-v0")
        policy = HFPolicy(env, model, tokenizer, max_new_tokens=16, temperature=1.0)
        obs, info = env.reset(seed=11)
        state = torch.get_rng_state()
        actions.append([policy(obs, info), policy(obs, info)])
        assert torch.equal(state, torch.get_rng_state())
        env.close()
    assert actions[0] == actions[1]
    assert actions[0][0] != actions[0][1]  # successive draws differ


def test_long_prompts_are_trimmed_to_fit(tiny):
    model, tokenizer = tiny
    env = gym.make("nex/FileOps-v0", return_history=True)
    _, info = env.reset(seed=0)
    messages = info["history"] + [
        {"role": "assistant", "content": "x " * 300},
        {"role": "user", "content": "Invalid action: no tool call found in the action."},
    ]
    full = fit_messages(tokenizer, messages, info["tools"], 10**6)
    trimmed = fit_messages(tokenizer, messages, info["tools"], len(full) - 50)
    assert len(trimmed) <= len(full) - 50
    assert trimmed[:20] == full[:20]  # the system prompt stays; the long turn went
    assert len(fit_messages(tokenizer, messages, info["tools"], 64)) == 64
    policy = HFPolicy(env, model, tokenizer, max_new_tokens=4, max_prompt_tokens=64)
    obs, info = env.reset(seed=0)
    policy(obs, info)
    assert len(policy.last_prompts[0]) == 64
    env.close()


def test_bad_arguments_raise_config_errors(tiny):
    model, tokenizer = tiny
    env = gym.make("nex/FileOps-v0")
    with pytest.raises(ConfigError, match="checkpoint folder"):
        HFPolicy(env, "/nonexistent/model")
    with pytest.raises(ConfigError, match="max_new_tokens"):
        HFPolicy(env, model, tokenizer, max_new_tokens=0)
    with pytest.raises(ConfigError, match="temperature"):
        HFPolicy(env, model, tokenizer, temperature=-1.0)
    env.close()


def test_hf_policy_is_exposed_lazily():
    assert nexgym.policies.HFPolicy is HFPolicy
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert callable(HFPolicy)


def test_make_policy_loads_a_local_checkpoint_once_for_every_env(tiny_dir):
    from nexgym.error import UnknownNameError
    from nexgym.policies import make_policy

    envs = [gym.make(env_id, control="root") for env_id in ("nex/FileOps-v0", "nex/FileSolo-v0")]
    policies = [make_policy(f"hf:{tiny_dir}", env, max_new_tokens=8) for env in envs]
    assert all(isinstance(p, HFPolicy) for p in policies)
    assert policies[0].model is policies[1].model  # one load per process
    obs, info = envs[0].reset(seed=3)
    obs, _reward, _terminated, _truncated, info = envs[0].step(policies[0](obs, info))
    assert info["action_kind"] in {"invalid", "tool", "subagent", "finish"}
    with pytest.raises(ConfigError, match=r"config\.json"):
        make_policy(f"hf:{tiny_dir}/missing", envs[0])
    with pytest.raises(UnknownNameError, match="hf:DIR"):
        make_policy("gpt", envs[0])
    for env in envs:
        env.close()


def test_rollout_cli_plays_a_local_checkpoint(tiny_dir, tmp_path, capsys):
    from nexgym.cli.main import main
    from nexgym.grounding.trajectories import TRAJECTORIES_FILE, read_records

    out = tmp_path / "runs"
    code = main(
        [
            *("rollout", "nex/FileSolo-v0", "--policy", f"hf:{tiny_dir},oracle"),
            *("--episodes", "2", "--max-turns", "4", "--out", str(out), "--quiet"),
        ]
    )
    assert code == 0
    records = list(read_records(out / TRAJECTORIES_FILE))
    assert sorted(r.policy for r in records) == ["hf:" + str(tiny_dir)] * 2 + ["oracle"] * 2
    assert f"hf:{tiny_dir}" in capsys.readouterr().out


def test_an_hf_teammate_plays_a_sub_agent_under_the_oracle_root(tiny_dir):
    """``teammates={role: HFPolicy}``: the model plays the editor, the default teammate the
    reader; the episode runs to its end without raising."""
    env = gym.make("nex/FileOps-v0")
    editor = HFPolicy(env, str(tiny_dir), max_new_tokens=8)
    env.unwrapped.teammates["editor"] = editor
    root = OraclePolicy(env)
    obs, info = env.reset(seed=0)
    for _ in range(60):
        obs, _reward, terminated, truncated, info = env.step(root(obs, info))
        if terminated or truncated:
            break
    assert terminated or truncated
    acted = {span.role for span in env.unwrapped.runtime.trace.spans}
    assert "editor" in acted and "reader" in acted
    env.close()


def test_generation_engine_choice(tiny_dir):
    """vLLM is used only where installed with a GPU; asking for it elsewhere is a clear error."""
    import importlib.util

    from nexgym.error import ConfigError, MissingDependencyError
    from nexgym.training.vllm_engine import vllm_available

    env = gym.make("nex/FileSolo-v0")
    try:
        policy = HFPolicy(env, str(tiny_dir), max_new_tokens=4)
        assert (policy.vllm is not None) == vllm_available()
        with pytest.raises(ConfigError, match="expected engine"):
            HFPolicy(env, str(tiny_dir), engine="fast")
        if importlib.util.find_spec("vllm") is None:
            with pytest.raises(MissingDependencyError, match="vllm"):
                HFPolicy(env, str(tiny_dir), engine="vllm")
    finally:
        env.close()
