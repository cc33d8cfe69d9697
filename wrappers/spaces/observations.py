"""Text observations as ``Box`` arrays: hashed bag-of-words features or token ids.

SB3 and RLlib accept no ``Text`` spaces. :class:`HashedObservation` turns the text
into fixed-size features with the hashing trick (fast, no model);
:class:`TokenObservation` turns it into token ids with any tokenizer that has an
``encode`` method (a :class:`Tokenizer` protocol, so nexgym never imports
transformers). Both never raise on odd text or a broken tokenizer: the observation
becomes zeros and a flag in ``info`` says why.
"""

from __future__ import annotations

import itertools
import re
import zlib
from typing import Any, Protocol, SupportsFloat, TypeVar, runtime_checkable

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import RecordConstructorArgs

from nexgym.error import ConfigError
from nexgym.runtime.view import runtime_view

__all__ = ["HashedObservation", "TokenObservation", "Tokenizer", "hash_features"]

ActType = TypeVar("ActType")

#: Runs of Unicode letters, digits and ``_`` (``\w``: "für", "東京" are words too).
_WORD = re.compile(r"\w+(?:[./-]\w+)*")
#: Hashed text is cut to its last characters (the newest text matters most).
MAX_HASHED_CHARS = 16_384
#: Scalar features after the two hashed blocks, before the role one-hot.
SCALARS = ("turn", "depth", "invalid", "empty")
#: Turn count at which the ``turn`` feature saturates at 1.
TURN_SCALE = 50.0


@runtime_checkable
class Tokenizer(Protocol):
    """Anything with ``encode(text) -> list[int]`` and a vocabulary size.

    A ``transformers`` tokenizer fits as is (``len(tokenizer)`` counts added tokens).
    """

    vocab_size: int

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``."""
        ...


def hash_features(text: str, dim: int) -> np.ndarray:
    """Hashed bag of word unigrams and bigrams, log-scaled and L2-normalised.

    Words are lowercase runs of (Unicode) letters, digits and ``_``, joined by ``.``, ``/`` or
    ``-`` (so paths and identifiers stay whole). The hash is CRC-32, stable across
    processes and Python versions.

    Args:
        text: the text to encode.
        dim: number of hash buckets.

    Returns:
        A float32 vector of length ``dim`` with values in [0, 1].
    """
    words = _WORD.findall(text[-MAX_HASHED_CHARS:].lower())
    if not words:
        return np.zeros(dim, dtype=np.float32)
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    buckets = np.fromiter(
        (zlib.crc32(g.encode("utf-8", "surrogatepass")) % dim for g in grams),
        dtype=np.int64,
        count=len(grams),
    )
    counts = np.log1p(np.bincount(buckets, minlength=dim).astype(np.float32))
    norm = float(np.linalg.norm(counts))
    return counts / norm if norm > 0 else counts


class HashedObservation(gym.Wrapper[np.ndarray, ActType, Any, ActType], RecordConstructorArgs):
    """Text observations as hashed bag-of-words features in a ``Box``.

    ## Observation Space
    ``Box(0, 1, (2 * dim + 4 + n_roles,), float32)``:

    * ``[0, dim)``: hashed uni- and bigrams of the current observation;
    * ``[dim, 2 * dim)``: the same for the opening observation of the acting role's
      invocation (its prompt and task), so the task stays in view after the first turn;
    * four scalars: turn (saturating at 50), depth of the call stack over the
      hierarchy's depth limit, whether the last action was invalid, whether the
      observation held no words;
    * a one-hot of the acting role, in the hierarchy's declaration order;
    * with ``action_dim > 0`` (over :class:`~nexgym.wrappers.DiscreteActions`): for each
      of its ``max_actions`` slots, ``action_dim`` hashed features of the action text
      that slot stands for now (zeros for slots outside the mask), so a policy can see
      what each index means.

    Non-finite values never come out: they are replaced by 0 and
    ``info["observation_error"]`` says so.

    Args:
        env: a nexgym env with text observations (possibly wrapped, e.g. by
            :class:`~nexgym.wrappers.DiscreteActions`).
        dim: number of hash buckets per text block.
        action_dim: hash buckets per admissible-action slot (0: no action features);
            needs ``info["action_texts"]`` from :class:`~nexgym.wrappers.DiscreteActions`.
    """

    def __init__(self, env: gym.Env[Any, ActType], dim: int = 1024, action_dim: int = 0):
        if not isinstance(dim, int) or dim < 8:
            raise ConfigError(f"expected dim to be an integer >= 8, got {dim!r}")
        if not isinstance(action_dim, int) or action_dim < 0:
            raise ConfigError(f"expected action_dim to be an integer >= 0, got {action_dim!r}")
        slots = 0
        if action_dim:
            if not isinstance(env.action_space, spaces.Discrete):
                raise ConfigError(
                    "expected a Discrete action space for action_dim > 0 (wrap the env in "
                    f"DiscreteActions first), got {env.action_space}"
                )
            slots = int(env.action_space.n)
        RecordConstructorArgs.__init__(self, dim=dim, action_dim=action_dim)
        gym.Wrapper.__init__(self, env)
        hierarchy = runtime_view(env).spec  # a ConfigError for an env that is not nexgym's
        self.dim = dim
        self.action_dim = action_dim
        self.slots = slots
        self._action_cache: dict[str, np.ndarray] = {}
        self.roles: tuple[str, ...] = tuple(hierarchy.agent_names)
        self._max_depth = max(1, int(hierarchy.limits.max_depth))
        size = 2 * dim + len(SCALARS) + len(self.roles) + slots * action_dim
        self.observation_space = spaces.Box(0.0, 1.0, (size,), np.float32)
        self._openings: list[np.ndarray] = []

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset and encode the first observation."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._openings = []
        return self._encode(obs, info), info

    def step(self, action: ActType) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step and encode the observation."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._encode(obs, info), reward, terminated, truncated, info

    def _encode(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        text = obs if isinstance(obs, str) else ""
        current = hash_features(text, self.dim)
        depth = int(info.get("depth") or 1)
        # One opening per open invocation: a deeper depth means a sub-agent just started
        # and this observation is its prompt and task.
        del self._openings[max(depth, 1) :]
        while len(self._openings) < depth:
            self._openings.append(current)
        opening = self._openings[-1] if self._openings else current
        scalars = np.array(
            [
                min(float(info.get("turn") or 0) / TURN_SCALE, 1.0),
                min(depth / self._max_depth, 1.0),
                float(info.get("action_kind") == "invalid"),
                float(not current.any()),
            ],
            dtype=np.float32,
        )
        role = np.zeros(len(self.roles), dtype=np.float32)
        if info.get("role") in self.roles:
            role[self.roles.index(info["role"])] = 1.0
        blocks = [current, opening, scalars, role]
        if self.slots:
            blocks.append(self._action_features(info.get("action_texts") or []))
        features = np.concatenate(blocks)
        if not np.isfinite(features).all():
            info["observation_error"] = "non-finite features were replaced by 0"
            features = np.nan_to_num(features, nan=0.0, posinf=1.0, neginf=0.0)
        return np.clip(features, 0.0, 1.0, out=features)

    def _action_features(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((self.slots, self.action_dim), dtype=np.float32)
        for i, text in enumerate(texts[: self.slots]):
            cached = self._action_cache.get(text)
            if cached is None:
                if len(self._action_cache) > 50_000:  # bound memory over long runs
                    self._action_cache.clear()
                cached = self._action_cache[text] = hash_features(text, self.action_dim)
            out[i] = cached
        return out.ravel()


class TokenObservation(gym.Wrapper[np.ndarray, ActType, Any, ActType], RecordConstructorArgs):
    """Text observations as token ids in a ``Box``, from any :class:`Tokenizer`.

    ## Observation Space
    ``Box(0, vocab_size - 1, (max_tokens,), int64)``: the last ``max_tokens`` token ids
    of the observation (the newest text matters most), right-padded with ``pad_id``.
    ``info["token_count"]`` says how many are real tokens.

    ## Bad tokenizers
    A tokenizer that raises, returns nothing, or returns ids that are not integers in
    ``[0, vocab_size)`` never breaks ``step``: bad ids are dropped, and if none are
    left the observation is all ``pad_id`` with ``info["token_count"] == 0`` and
    ``info["tokenizer_error"]`` saying what happened.

    Args:
        env: a nexgym env with text observations.
        tokenizer: an object with ``encode(text) -> list[int]`` (e.g. a transformers
            tokenizer).
        max_tokens: length of the observation vector.
        vocab_size: number of token ids; default ``len(tokenizer)`` or
            ``tokenizer.vocab_size``.
        pad_id: id used for padding (default 0).
    """

    def __init__(
        self,
        env: gym.Env[Any, ActType],
        tokenizer: Tokenizer,
        max_tokens: int = 512,
        vocab_size: int | None = None,
        pad_id: int = 0,
    ):
        if not callable(getattr(tokenizer, "encode", None)):
            raise ConfigError(
                f"expected a tokenizer with an encode(text) method, got {type(tokenizer).__name__}"
            )
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ConfigError(f"expected max_tokens to be an integer >= 1, got {max_tokens!r}")
        size = vocab_size if vocab_size is not None else _vocab_size(tokenizer)
        if size is None or size < 1:
            raise ConfigError(
                f"expected a vocabulary size >= 1 (from len(tokenizer), tokenizer.vocab_size "
                f"or vocab_size=...), got {size!r}"
            )
        if not 0 <= pad_id < size:
            raise ConfigError(f"expected pad_id in [0, {size}), got {pad_id!r}")
        RecordConstructorArgs.__init__(
            self, tokenizer=tokenizer, max_tokens=max_tokens, vocab_size=size, pad_id=pad_id
        )
        gym.Wrapper.__init__(self, env)
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.vocab_size = int(size)
        self.pad_id = pad_id
        self.observation_space = spaces.Box(0, self.vocab_size - 1, (max_tokens,), np.int64)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset and tokenize the first observation."""
        obs, info = self.env.reset(seed=seed, options=options)
        return self._encode(obs, info), info

    def step(self, action: ActType) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step and tokenize the observation."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._encode(obs, info), reward, terminated, truncated, info

    def _encode(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        text = obs if isinstance(obs, str) else ""
        ids, error = self._token_ids(text)
        out = np.full(self.max_tokens, self.pad_id, dtype=np.int64)
        kept = ids[-self.max_tokens :]
        out[: len(kept)] = kept
        info["token_count"] = len(kept)
        if error is not None:
            info["tokenizer_error"] = error
        return out

    def _token_ids(self, text: str) -> tuple[np.ndarray, str | None]:
        try:
            raw = self.tokenizer.encode(text)
        except Exception as e:  # a broken tokenizer must not escape step()
            return np.zeros(0, dtype=np.int64), f"the tokenizer raised {type(e).__name__}: {e}"
        if raw is None:
            return np.zeros(0, dtype=np.int64), "the tokenizer returned None"
        try:
            values = np.asarray(list(raw), dtype=np.float64)
        except (TypeError, ValueError) as e:
            return np.zeros(0, dtype=np.int64), f"the tokenizer returned non-numeric ids ({e})"
        if values.ndim != 1:
            return np.zeros(0, dtype=np.int64), (
                f"expected a flat list of token ids, got an array of shape {values.shape}"
            )
        if values.size == 0:
            return np.zeros(0, dtype=np.int64), (
                "the tokenizer returned no tokens" if text else "the observation is empty"
            )
        good = np.isfinite(values) & (values == np.floor(values))
        good &= (values >= 0) & (values < self.vocab_size)
        ids = values[good].astype(np.int64)
        error = None
        if not good.all():
            error = (
                f"dropped {int((~good).sum())} of {values.size} token ids that are not "
                f"integers in [0, {self.vocab_size})"
            )
        return ids, error


def _vocab_size(tokenizer: Any) -> int | None:
    try:
        return len(tokenizer)
    except TypeError:
        size = getattr(tokenizer, "vocab_size", None)
        return int(size) if isinstance(size, int | np.integer) else None
