"""Unicode text spaces: tool text reaches observations verbatim, any JSON text is an
action, and the spaces pass Gymnasium's and PettingZoo's checkers and the wrappers."""

from __future__ import annotations

import copy
import json
import pickle
import warnings

import gymnasium as gym
import numpy as np
from gymnasium.spaces.utils import flatten, flatten_space, unflatten
from gymnasium.utils.env_checker import check_env
from nexgym.wrappers import HashedObservation, TokenObservation
from nexgym.wrappers.spaces.observations import hash_features
from pettingzoo.test import api_test, parallel_api_test

import nexgym
from nexgym.spaces import (
    MAX_OBSERVATION_CHARS,
    SCALAR_COUNT,
    UnicodeText,
    in_charset,
    text_space,
    to_charset,
)

UNICODE = "für Zoë ✓ 東京 😀 Ω≈ç"


def call(name: str, **arguments: str) -> str:
    payload = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"<tool_call>{payload}</tool_call>"


def test_the_space_holds_every_scalar_value_and_no_surrogate() -> None:
    space = text_space(32)
    assert space.contains(UNICODE)
    assert space.contains("\x00\r\x1b[0m") and space.contains("\U0010ffff")
    assert not space.contains("a\ud800b") and not space.contains("\udfff")
    assert not space.contains("x" * 33) and not space.contains(b"bytes")
    assert len(space.character_set) == SCALAR_COUNT == 0x110000 - 0x800
    assert "ë" in space.character_set and "\ud800" not in space.character_set
    for char in ("\x00", "\ud7ff", "\ue000", "\U0010ffff"):
        assert space.character_list[space.character_index(char)] == char


def test_samples_are_members_and_seeded() -> None:
    space = UnicodeText(4096, seed=3)
    samples = [space.sample() for _ in range(20)]
    assert all(space.contains(s) for s in samples)
    assert any(not s.isascii() for s in samples)
    space.seed(3)
    assert [space.sample() for _ in range(20)] == samples
    mask = np.zeros(SCALAR_COUNT, dtype=np.int8)
    mask[[space.character_index(c) for c in "ë✓"]] = 1
    assert set(space.sample(mask=(50, mask))) <= {"ë", "✓"}


def test_space_pickles_copies_and_flattens() -> None:
    space = text_space(64)
    assert pickle.loads(pickle.dumps(space)) == space == copy.deepcopy(space)
    assert space != text_space(65)
    assert repr(space) == "UnicodeText(0, 64)"
    assert unflatten(space, flatten(space, UNICODE)) == UNICODE
    assert flatten_space(space).shape == (64,)


def test_to_charset_keeps_text_and_replaces_only_surrogates() -> None:
    assert to_charset(UNICODE) == UNICODE and in_charset(UNICODE)
    assert to_charset("a\r\nb") == "a\r\nb"
    assert to_charset("a\ud83db") == "a\ufffdb" and not in_charset("a\ud83db")
    cut = to_charset("é" * (MAX_OBSERVATION_CHARS + 10))
    assert len(cut) == MAX_OBSERVATION_CHARS and cut.endswith("10 characters cut]")


def test_tool_text_reaches_the_observation_verbatim() -> None:
    env = gym.make("nex/FileSolo-v0")
    env.reset(seed=0)
    write = call("write_file", path="/tmp/zoë.txt", content=UNICODE)
    assert env.action_space.contains(write)
    obs, *_ = env.step(write)
    assert "/tmp/zoë.txt" in obs
    obs, *_ = env.step(call("read_file", path="/tmp/zoë.txt"))
    assert UNICODE in obs and env.observation_space.contains(obs)
    env.close()


def test_a_surrogate_in_an_action_is_an_observation_not_a_crash() -> None:
    env = gym.make("nex/FileSolo-v0")
    env.reset(seed=0)
    action = '<tool_call>{"name": "read_file", "arguments": {"path": "/a\ud800"}}</tool_call>'
    assert not env.action_space.contains(action)
    obs, *_ = env.step(action)
    assert env.observation_space.contains(obs)
    # refused before any backend runs it, with the reason (the same on both backends)
    assert "holds a lone surrogate" in obs and "nothing was run" in obs
    env.close()


def test_pettingzoo_views_keep_unicode() -> None:
    env = nexgym.pz.parallel_env("nex/FileSolo-v0")
    observations, _ = env.reset(seed=0)
    agent = env.agents[0]
    env.step({agent: {"text": call("write_file", path="/tmp/ü.txt", content=UNICODE)}})
    observations, *_ = env.step({agent: {"text": call("read_file", path="/tmp/ü.txt")}})
    assert UNICODE in observations[agent]["text"]
    assert env.observation_space(agent).contains(observations[agent])
    env.close()


def test_checkers_accept_the_spaces() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # check_env's notes on text spaces, not failures
        # (and PettingZoo's advice to prefer Box/Discrete spaces)
        check_env(gym.make("nex/FileSolo-v0").unwrapped, skip_render_check=True)
        api_test(nexgym.pz.env("nex/FileOps-v0"), num_cycles=3)
        parallel_api_test(nexgym.pz.parallel_env("nex/FileOps-v0"), num_cycles=3)


class Utf8Tokenizer:
    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))


def test_tokenizer_and_hashing_wrappers_read_unicode() -> None:
    env = TokenObservation(gym.make("nex/FileSolo-v0"), Utf8Tokenizer(), max_tokens=256)
    env.reset(seed=0)
    env.step(call("write_file", path="/tmp/z.txt", content=UNICODE))
    obs, *_, info = env.step(call("read_file", path="/tmp/z.txt"))
    assert "tokenizer_error" not in info
    assert UNICODE in bytes(obs[: info["token_count"]].astype(np.uint8)).decode()
    features = hash_features("für Zoë 東京", 64)
    assert features.any() and not np.array_equal(features, hash_features("fur Zoe", 64))
    hashed = HashedObservation(gym.make("nex/FileSolo-v0"), dim=32)
    obs, _ = hashed.reset(seed=0)
    obs, *_ = hashed.step(call("write_file", path="/tmp/ü.txt", content=UNICODE))
    assert hashed.observation_space.contains(obs)
    env.close()
    hashed.close()
