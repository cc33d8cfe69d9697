"""DiscreteActions, HashedObservation and TokenObservation: SB3's check_env on every
catalog env, the oracle's calls stay admissible, and bad input never raises."""

from __future__ import annotations

import math
import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from nexgym.wrappers import DiscreteActions, HashedObservation, TokenObservation
from nexgym.wrappers.spaces.discrete import answer_candidates
from rl_helpers import oracle_index, oracle_is_admissible

import nexgym
from nexgym.error import ConfigError

pytest.importorskip("stable_baselines3")
from stable_baselines3.common.env_checker import check_env

# every hand-written entry and a fixed, seeded sample of the 1,000+ world-catalog
# entries (built alike; `nexgym synth --catalog --worlds` checks them all)
ENV_IDS = nexgym.registry.representative_envs()
SMALL_DIM = 32


def spaces_env(env_id: str, **kwargs: Any) -> gym.Env:
    return HashedObservation(DiscreteActions(gym.make(env_id, **kwargs)), dim=SMALL_DIM)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_check_env_passes(env_id: str) -> None:
    env = spaces_env(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SB3's warnings flag real problems (bounds, dtypes)
        check_env(env, warn=True)
    obs, info = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    assert len(info["action_texts"]) == int(env.get_wrapper_attr("action_masks")().sum())
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_oracle_calls_are_admissible_and_order_is_by_text(env_id: str) -> None:
    env = DiscreteActions(gym.make(env_id))
    for seed in (0,):
        env.reset(seed=seed)
        for _ in range(30):
            texts = env.get_wrapper_attr("action_texts")
            assert texts == sorted(texts), "the order must not reveal the plan"
            assert oracle_is_admissible(env), f"oracle's next call missing (seed {seed})"
            index = oracle_index(env)
            if index is None:  # the answer is not one the observation shows
                break
            _, _, terminated, truncated, _ = env.step(index)
            if terminated or truncated:
                break
    env.close()


def test_oracle_indices_solve_most_tasks_across_the_catalog() -> None:
    """Following the oracle through indices solves the tasks whose answers it can read."""
    solved = attempted = 0
    for env_id in ENV_IDS:
        env = DiscreteActions(gym.make(env_id))
        for seed in (1,):  # seed 0 is played step by step by the test above
            attempted += 1
            env.reset(seed=seed)
            plans = len(env.unwrapped.runtime.task.plans)
            for plan in range(plans):
                env.reset(seed=seed)
                info: dict[str, Any] = {}
                while (index := oracle_index(env, plan)) is not None:
                    *_, terminated, truncated, info = env.step(index)
                    if terminated or truncated:
                        break
                if info.get("success"):
                    solved += 1
                    break
        env.close()
    assert solved / attempted >= 0.6, f"{solved}/{attempted} solved through indices"


def test_same_seed_same_action_texts() -> None:
    a, b = (DiscreteActions(gym.make("nex/FileSolo-v0")) for _ in range(2))
    _, info_a = a.reset(seed=5)
    _, info_b = b.reset(seed=5)
    assert info_a["action_texts"] == info_b["action_texts"]
    _, _, _, _, info_a = a.step(0)
    _, _, _, _, info_b = b.step(0)
    assert info_a["action_texts"] == info_b["action_texts"]


BAD_ACTIONS = [
    63,
    95,
    96,
    10**9,
    -1,
    math.nan,
    np.float32("nan"),
    math.inf,
    2.5,
    np.array([1, 2]),
    None,
    "<tool_call>garbage",
    b"\xff\xfe",
    True,
    {"index": 0},
]


@pytest.mark.parametrize("action", BAD_ACTIONS, ids=repr)
def test_bad_indices_become_invalid_actions(action: Any) -> None:
    env = spaces_env("nex/FileSolo-v0")
    env.reset(seed=0)
    n = int(env.get_wrapper_attr("action_masks")().sum())
    if isinstance(action, int) and not isinstance(action, bool) and 0 <= action < n:
        pytest.skip("index inside the mask")
    obs, reward, terminated, truncated, info = env.step(action)
    assert info["action_kind"] == "invalid"
    assert "action_error" in info
    assert float(reward) < 0
    assert env.observation_space.contains(obs)
    assert not terminated and not truncated
    assert "not one of your tools" in env.unwrapped.runtime.observe("engineer")


def test_numpy_and_integral_float_indices_work() -> None:
    env = DiscreteActions(gym.make("nex/FileSolo-v0"))
    env.reset(seed=0)
    for action in (np.int64(0), np.array(0), np.array([0]), 0.0):
        env.reset(seed=0)
        *_, info = env.step(action)
        assert info["action_kind"] != "invalid"


def test_answers_come_from_tool_results_not_prompts_or_the_task() -> None:
    env = DiscreteActions(gym.make("nex/FileSolo-v0"))
    _, info = env.reset(seed=0)
    finishes = [t for t in info["action_texts"] if '"finish"' in t]
    assert finishes == [
        '<tool_call>{"name": "finish", "arguments": {"answer": "Done."}}</tool_call>'
    ]
    text = '<tool_response>\n{"path": "/a.py", "lines": 6, "tags": ["x", "y"]}\n</tool_response>'
    assert answer_candidates(text) == ["/a.py", "6", "2", "x", "y"]
    assert answer_candidates("The answer is 42 but no tool said so") == []


def test_answer_candidates_read_names_with_non_ascii_capitals() -> None:
    text = (
        "<tool_response>\nPayee: Überweisung Nord; clinic Ärzte Ohne Grenzen; "
        "Big Apple Inc; café Élan Vital\n</tool_response>"
    )
    names = answer_candidates(text)
    for name in ("Überweisung Nord", "Ärzte Ohne Grenzen", "Big Apple Inc", "Élan Vital"):
        assert name in names


def test_hashed_observation_is_finite_bounded_and_keeps_the_task() -> None:
    env = HashedObservation(DiscreteActions(gym.make("nex/FileSolo-v0")), dim=64, action_dim=8)
    obs, _ = env.reset(seed=3)
    assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape
    opening = obs[64:128].copy()
    obs, *_ = env.step(0)
    assert np.isfinite(obs).all() and obs.min() >= 0 and obs.max() <= 1
    assert np.array_equal(obs[64:128], opening), "the task block stays after the first turn"
    n_slots = int(env.action_space.n)
    slots = obs[-n_slots * 8 :].reshape(n_slots, 8)
    n = int(env.get_wrapper_attr("action_masks")().sum())
    assert slots[:n].any(axis=1).all() and not slots[n:].any()


def test_hashed_observation_of_empty_text_is_flagged() -> None:
    env = HashedObservation(gym.make("nex/FileSolo-v0"), dim=16)
    features = env._encode("", {"depth": 1, "turn": 0, "role": "engineer"})
    assert features[:32].sum() == 0 and features[32 + 3] == 1.0


class CharTokenizer:
    """A real (if tiny) tokenizer: one id per byte."""

    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode())


class BadTokenizer:
    vocab_size = 100

    def __init__(self, result: Any) -> None:
        self.result = result

    def encode(self, text: str) -> Any:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_token_observation_keeps_the_newest_tokens() -> None:
    env = TokenObservation(gym.make("nex/FileSolo-v0"), CharTokenizer(), max_tokens=64)
    obs, info = env.reset(seed=0)
    raw = env.unwrapped._observation.encode()
    assert info["token_count"] == 64
    assert bytes(obs.astype(np.uint8)) == raw[-64:]
    assert env.observation_space.contains(obs)


@pytest.mark.parametrize(
    ("result", "kept"),
    [
        ([], []),
        (None, []),
        (RuntimeError("boom"), []),
        ([math.nan, 3], [3]),
        ([1.5, -2, 10**6, 7], [7]),
        ("abc", []),
        ([[1, 2]], []),
    ],
    ids=["empty", "none", "raises", "nan", "out-of-range", "string", "nested"],
)
def test_bad_tokenizers_give_zeros_and_a_flag(result: Any, kept: list[int]) -> None:
    env = TokenObservation(gym.make("nex/FileSolo-v0"), BadTokenizer(result), max_tokens=16)
    env.reset(seed=0)
    obs, *_, info = env.step("not a tool call")
    assert env.observation_space.contains(obs)
    assert info["tokenizer_error"]
    assert info["token_count"] == len(kept)
    assert obs.tolist() == kept + [0] * (16 - len(kept))


def test_config_errors_name_the_field() -> None:
    env = gym.make("nex/FileSolo-v0")
    with pytest.raises(ConfigError, match="max_actions"):
        DiscreteActions(env, max_actions=1)
    with pytest.raises(ConfigError, match="dim"):
        HashedObservation(env, dim=0)
    with pytest.raises(ConfigError, match="action_dim"):
        HashedObservation(env, action_dim=4)  # needs DiscreteActions first
    with pytest.raises(ConfigError, match="encode"):
        TokenObservation(env, object())  # type: ignore[arg-type]


def test_wrapper_stack_is_recorded_in_the_spec() -> None:
    env = HashedObservation(DiscreteActions(gym.make("nex/FileSolo-v0"), max_actions=32), dim=64)
    names = [w.name for w in env.spec.additional_wrappers]
    assert names[-2:] == ["DiscreteActions", "HashedObservation"]
    assert env.spec.additional_wrappers[-2].kwargs == {"max_actions": 32, "max_answers": 16}


def test_maskable_ppo_runs_on_a_vector_of_wrapped_envs() -> None:
    """A smoke run (no learning claim): rollouts, masks and an update go through."""
    sb3_contrib = pytest.importorskip("sb3_contrib")
    import torch
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    venv = make_vec_env(lambda: spaces_env("nex/FileSolo-v0", max_turns=4), n_envs=2, seed=0)
    model = sb3_contrib.MaskablePPO(
        "MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu"
    )
    model.learn(128)
    masks = np.stack(venv.env_method("action_masks"))
    actions, _ = model.predict(venv.reset(), action_masks=masks, deterministic=True)
    assert all(masks[i, a] for i, a in enumerate(actions)), "masked actions are never chosen"
    venv.close()


def test_mcp_backend_offers_the_same_actions_as_in_process() -> None:
    """Tools behind a real MCP server: candidates come from the task's initial world."""
    pytest.importorskip("mcp")
    over_mcp = DiscreteActions(gym.make("nex/FileSolo-v0", backend="mcp"))
    in_process = DiscreteActions(gym.make("nex/FileSolo-v0"))
    try:
        _, a = over_mcp.reset(seed=3)
        _, b = in_process.reset(seed=3)
        assert a["action_texts"] == b["action_texts"]
        for _ in range(2):
            *_, a = over_mcp.step(0)
            *_, b = in_process.step(0)
            assert a["action_kind"] == b["action_kind"] == "tool"
    finally:
        over_mcp.close()
        in_process.close()


def test_rllib_example_env_carries_the_mask_in_its_observation() -> None:
    """The single-agent env of examples/rllib_ppo.py, without starting Ray."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "rllib_ppo.py"
    spec = importlib.util.spec_from_file_location("rllib_ppo_example", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    env = example.make_single_agent({"env_id": "nex/FileSolo-v0"})
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert obs["action_mask"].sum() == len(env.get_wrapper_attr("action_texts"))
    obs, *_ = env.step(int(np.flatnonzero(obs["action_mask"])[0]))
    assert env.observation_space.contains(obs)
