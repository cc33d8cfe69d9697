"""JSON forms of Gymnasium spaces and of the values in them, for envs served over the network.

A space travels as a small JSON description (``{"type": "Text", "max_length": ...}``)
from which the client rebuilds an equal space; a value travels as plain JSON and is
rebuilt with its space's dtype on the other side, so observations in a ``Box`` arrive
as arrays of the same dtype and shape. ``info`` dicts travel as JSON too: numpy
scalars and arrays in them arrive as Python numbers and lists.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from gymnasium import spaces

from nexgym.error import ConfigError
from nexgym.spaces import UnicodeText

__all__ = ["decode_value", "encode_value", "jsonable", "space_from_json", "space_to_json"]


def space_to_json(space: spaces.Space[Any]) -> dict[str, Any]:
    """A JSON description of ``space``.

    Text, Discrete, Box, MultiDiscrete, MultiBinary, Dict and Tuple spaces travel.

    Raises:
        ConfigError: a space of another kind (it cannot be served).
    """
    if isinstance(space, UnicodeText):  # every scalar value: no charset to send
        return {
            "type": "UnicodeText",
            "min_length": space.min_length,
            "max_length": space.max_length,
        }
    if isinstance(space, spaces.Text):
        return {
            "type": "Text",
            "min_length": space.min_length,
            "max_length": space.max_length,
            "charset": "".join(sorted(space.character_set)),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "low": _floats(space.low),
            "high": _floats(space.high),
            "shape": list(space.shape),
            "dtype": str(space.dtype),
        }
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "dtype": str(space.dtype)}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": np.asarray(space.n).tolist()}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {k: space_to_json(s) for k, s in space.spaces.items()}}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_json(s) for s in space.spaces]}
    raise ConfigError(
        f"expected a Text, Discrete, Box, MultiDiscrete, MultiBinary, Dict or Tuple space, "
        f"got {type(space).__name__}; serve the env without the wrapper that makes it"
    )


def space_from_json(data: dict[str, Any]) -> spaces.Space[Any]:
    """The space :func:`space_to_json` described."""
    kind = data.get("type")
    if kind == "UnicodeText":
        return UnicodeText(data["max_length"], min_length=data["min_length"])
    if kind == "Text":
        return spaces.Text(
            max_length=data["max_length"], min_length=data["min_length"], charset=data["charset"]
        )
    if kind == "Discrete":
        return spaces.Discrete(data["n"], start=data["start"])
    if kind == "Box":
        dtype = np.dtype(data["dtype"])
        low = np.asarray(data["low"], dtype=np.float64)
        high = np.asarray(data["high"], dtype=np.float64)
        return spaces.Box(low.astype(dtype), high.astype(dtype), tuple(data["shape"]), dtype)
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(data["nvec"], dtype=np.dtype(data["dtype"]))
    if kind == "MultiBinary":
        return spaces.MultiBinary(data["n"])
    if kind == "Dict":
        return spaces.Dict({k: space_from_json(v) for k, v in data["spaces"].items()})
    if kind == "Tuple":
        return spaces.Tuple([space_from_json(v) for v in data["spaces"]])
    raise ConfigError(f"expected a known space description, got type {kind!r}")


def encode_value(space: spaces.Space[Any], value: Any) -> Any:
    """``value`` (an element of ``space``) as plain JSON data."""
    if isinstance(space, spaces.Dict):
        return {k: encode_value(s, value[k]) for k, s in space.spaces.items()}
    if isinstance(space, spaces.Tuple):
        return [encode_value(s, v) for s, v in zip(space.spaces, value, strict=True)]
    return jsonable(value)


def decode_value(space: spaces.Space[Any], data: Any) -> Any:
    """The element of ``space`` that :func:`encode_value` encoded (dtypes restored)."""
    if isinstance(space, spaces.Dict):
        return {k: decode_value(s, data[k]) for k, s in space.spaces.items()}
    if isinstance(space, spaces.Tuple):
        return tuple(decode_value(s, v) for s, v in zip(space.spaces, data, strict=True))
    if isinstance(space, spaces.Discrete):
        return np.int64(data) if isinstance(data, int) else data
    if isinstance(space, spaces.Box | spaces.MultiDiscrete | spaces.MultiBinary):
        return np.asarray(data, dtype=space.dtype)
    return data


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return repr(value)


def _floats(array: np.ndarray) -> Any:
    """Bounds as JSON (infinities as "inf" strings, which strict JSON can carry)."""
    out = array.astype(np.float64).astype(object)
    out[np.isposinf(array)] = "inf"
    out[np.isneginf(array)] = "-inf"
    return out.tolist()
