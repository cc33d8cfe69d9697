"""SchemaDrift: tools show up under other names and reworded descriptions, as APIs drift."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from nexgym.wrappers.noise.middleware import NoiseSource, ToolCallWrapper, source_attribute

from nexgym.error import ConfigError

__all__ = ["SchemaDrift", "SchemaDriftSource", "drift_name", "paraphrase"]

#: Verbs a tool name may start with, and what another API might call them.
VERB_SYNONYMS: dict[str, tuple[str, ...]] = {
    "read": ("get", "fetch", "load", "open"),
    "write": ("save", "put", "store"),
    "list": ("enumerate", "ls", "show"),
    "delete": ("remove", "erase", "drop"),
    "remove": ("delete", "drop", "erase"),
    "move": ("relocate", "rename", "transfer"),
    "search": ("grep", "scan", "query"),
    "find": ("locate", "lookup", "glob"),
    "replace": ("substitute", "patch", "rewrite"),
    "make": ("create", "new", "mk"),
    "create": ("make", "add", "new"),
    "get": ("fetch", "retrieve", "read", "lookup"),
    "set": ("update", "assign", "put"),
    "update": ("modify", "change", "set"),
    "add": ("insert", "append", "create"),
    "query": ("run", "execute", "ask"),
    "check": ("verify", "inspect", "test"),
    "send": ("post", "dispatch", "emit"),
    "cancel": ("abort", "revoke", "void"),
    "book": ("reserve", "schedule", "hold"),
}
PREFIXES = ("api_", "svc_", "v2_", "ext_")
SUFFIXES = ("_v2", "_tool", "_op", "_fn")

#: Word-level rewordings for descriptions (case follows the original word).
WORD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "return": ("give back", "yield", "report"),
    "list": ("enumerate", "show"),
    "read": ("load", "fetch"),
    "write": ("store", "save"),
    "delete": ("remove", "erase"),
    "create": ("make", "add"),
    "change": ("modify", "alter"),
    "find": ("locate", "look up"),
    "search": ("scan", "look through"),
    "whole": ("entire", "full"),
    "file": ("document",),
    "directory": ("folder",),
    "new": ("fresh",),
    "every": ("each",),
    "give": ("provide", "supply"),
    "show": ("display",),
}
TEMPLATES = (
    "{text}",
    "Use this to {lower}",
    "This tool lets you {lower}",
    "Call it to {lower}",
    "{text} (endpoint)",
)
_WORD = re.compile(r"[A-Za-z]+")
#: Mixed with a reset's seed so the drift's stream differs from the env's own.
DRIFT_STREAM = 0x5C4E3A


def drift_name(name: str, rng: np.random.Generator) -> str:
    """Another plausible API name for a tool: a synonym verb, a new case or affixes."""
    parts = name.split("_")
    head = parts[0].lower()
    if head in VERB_SYNONYMS and rng.random() < 0.8:
        options = VERB_SYNONYMS[head]
        parts = [options[int(rng.integers(len(options)))], *parts[1:]]
    style = int(rng.integers(4))
    if style == 1:  # camelCase
        new = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    elif style == 2:
        new = PREFIXES[int(rng.integers(len(PREFIXES)))] + "_".join(parts)
    elif style == 3:
        new = "_".join(parts) + SUFFIXES[int(rng.integers(len(SUFFIXES)))]
    else:
        new = "_".join(parts)
    if new == name:
        new = name + SUFFIXES[int(rng.integers(len(SUFFIXES)))]
    return new


def paraphrase(text: str, rng: np.random.Generator) -> str:
    """A reworded description: synonyms for common words, then a new sentence frame."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        options = WORD_SYNONYMS.get(word.lower())
        if not options or rng.random() < 0.4:
            return word
        new = options[int(rng.integers(len(options)))]
        return new[:1].upper() + new[1:] if word[:1].isupper() else new

    reworded = _WORD.sub(swap, text).strip()
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    lower = reworded[:1].lower() + reworded[1:] if reworded else reworded
    out = template.format(text=reworded, lower=lower)
    if out == text:
        out = f"{reworded} (reworded)" if reworded else "A tool."
    return out


class SchemaDriftSource(NoiseSource):
    """At each reset, some tools get new names and some get reworded descriptions.

    The drift is drawn per episode (from the reset's seed, or the env's ``np_random``
    when none is given: same seed, same drift) and applied with
    :meth:`~nexgym.runtime.view.RuntimeControl.present_tools`: agents see and must call
    the new names (the old ones are no longer tools), as with Meta ARE's tool
    augmentation. Arguments keep their names. ``info["renamed_tools"]`` maps each real
    name to the one shown.

    Args:
        rename_rate: probability that each domain tool is renamed.
        paraphrase_rate: probability that each domain tool's description is reworded.
    """

    def __init__(self, *, rename_rate: float = 0.5, paraphrase_rate: float = 0.5) -> None:
        super().__init__()
        for name, value in (("rename_rate", rename_rate), ("paraphrase_rate", paraphrase_rate)):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"expected {name} in [0, 1], got {value!r}")
        self.rename_rate = rename_rate
        self.paraphrase_rate = paraphrase_rate
        #: the current episode's drift: real tool name -> shown name
        self.renames: dict[str, str] = {}

    def _draw(self) -> tuple[dict[str, str], dict[str, str]]:
        runtime = self.control
        spec = runtime.spec
        tools = sorted(spec.all_tools())
        taken = set(tools) | set(spec.agent_names) | {"finish"}
        renames: dict[str, str] = {}
        descriptions: dict[str, str] = {}
        for name in tools:
            rename, reword = self.rng.random(2)
            if rename < self.rename_rate:
                for _ in range(8):
                    new = drift_name(name, self.rng)
                    if new not in taken:
                        renames[name] = new
                        taken.add(new)
                        break
            if reword < self.paraphrase_rate:
                descriptions[name] = paraphrase(runtime.domain.tool(name).description, self.rng)
        return renames, descriptions

    def before_reset(self, seed: int | None, np_random: Callable[[], np.random.Generator]) -> None:
        """Draw the episode's drift and show it (the first prompt shows the drift).

        The drift must be in place before the root's first prompt is built, so it is
        drawn before the env's reset: from ``seed`` when one is given, else from the
        env's ``np_random`` as it stands (both fixed by the last seeded reset).
        """
        if seed is not None:
            self.rng = np.random.default_rng([seed, DRIFT_STREAM])
        else:
            self.rng = np.random.default_rng(int(np_random().integers(2**63)))
        self.renames, descriptions = self._draw()
        self.control.present_tools(self.renames, descriptions)

    def after_reset(self, np_random: np.random.Generator) -> None:
        """Nothing: the drift was drawn before the reset (the env's generator is left as is)."""

    def reset_info(self, info: dict[str, Any]) -> None:
        """The episode's drift: ``info["renamed_tools"]``."""
        info["renamed_tools"] = dict(self.renames)


class SchemaDrift(ToolCallWrapper[SchemaDriftSource], gym.utils.RecordConstructorArgs):
    """At each reset, some tools get new names and some get reworded descriptions.

    The Gymnasium adapter of :class:`SchemaDriftSource` (see it for how the drift is
    drawn and shown); :mod:`nexgym.wrappers.noise.pz` applies the same source to the
    PettingZoo views.

    Args:
        env: a nexgym env.
        rename_rate: probability that each domain tool is renamed.
        paraphrase_rate: probability that each domain tool's description is reworded.
    """

    def __init__(
        self,
        env: gym.Env[str, str],
        *,
        rename_rate: float = 0.5,
        paraphrase_rate: float = 0.5,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self, rename_rate=rename_rate, paraphrase_rate=paraphrase_rate
        )
        source = SchemaDriftSource(rename_rate=rename_rate, paraphrase_rate=paraphrase_rate)
        ToolCallWrapper.__init__(self, env, source)

    rename_rate = source_attribute("rename_rate")
    paraphrase_rate = source_attribute("paraphrase_rate")
