"""Admissible tool calls as a ``Discrete`` action space, with masks for MaskablePPO.

Each step the wrapper lists what the acting role may sensibly do now: the domain's
admissible calls of the role's tools in the current state (plan steps among
distractors, as TextWorld's admissible commands), one delegation per sub-agent, and
``finish`` with answers read from the tool results the role has seen (never from the
task's expected answer). Index *i* stands for the
*i*-th call of that list; the list is sorted by its text, so the position of a call
says nothing about whether an oracle plan uses it. ``info["action_texts"]`` holds the
text each admissible index stands for and :meth:`DiscreteActions.action_masks` marks
them for sb3-contrib's ``MaskablePPO``.

An index outside the mask (or NaN, or anything that is not an integer) is passed on as
a call of a tool that does not exist and names the index, so the env's own
invalid-action handling answers it: a penalty and an observation that says so, never an
exception out of ``step``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from typing import Any, SupportsFloat, TypeVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import RecordConstructorArgs
from nexgym.envs.domains.kit.base import Domain

from nexgym.error import ConfigError
from nexgym.policies.oracle import report
from nexgym.runtime.menus import delegation
from nexgym.runtime.view import RuntimeView, current_task, runtime_view
from nexgym.tools import ToolCall

__all__ = ["DiscreteActions", "admissible_actions", "answer_candidates", "as_index"]

ObsType = TypeVar("ObsType")

#: The fewest indices that leave room for a tool call, a delegation and ``finish``.
MIN_ACTIONS = 4
#: Longest string value offered as a ``finish`` answer.
MAX_ANSWER_CHARS = 80
#: Earlier tool results (besides the current observation) that ``finish`` answers come from.
EARLIER_RESULTS = 3
#: Longest report (tool results included) a sub-agent's ``finish`` carries back to its caller.
MAX_REPORT_CHARS = 500
_NUMBER = re.compile(
    r"(?<![\w.,:])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w,])|(?<![\w.,:])-?\d+(?:\.\d+)?(?![\w:])"
)
_CLOCK_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?!\d)")
_URL = re.compile(r"https?://[^\s)\]>\"']+")
_PATH = re.compile(r"(?<![\w/.:-])/?[\w.-]+(?:/[\w.-]+)+")
#: Capitalised words joined by single spaces (names); the capital is any upper-case
#: letter, "Überweisung Nord" as "Big Apple" (see :func:`_phrase_pattern`).
_PHRASE = r"\b{upper}[\w&'-]*(?: {upper}[\w&'-]*)+"
_RESPONSE = re.compile(r"<tool_response>\n?(.*?)\n?</tool_response>", re.DOTALL)


class DiscreteActions(gym.Wrapper[ObsType, np.int64, ObsType, str], RecordConstructorArgs):
    """The acting role's admissible tool calls as ``Discrete(max_actions)``.

    ## Action Space
    ``Discrete(max_actions)``. The first ``n`` indices are admissible now (``n`` varies
    by step); ``info["action_texts"][i]`` is the action text index ``i`` sends and
    :meth:`action_masks` is True exactly for them.

    ## Candidates
    * the domain's ``admissible_calls`` of the role's tools on the current world (with
      the MCP backend the world lives in the server, and the task's initial world
      stands in for it);
    * one delegation per sub-agent, forwarding the role's own assignment, and one per
      admissible call of the sub-agent's subtree, asking for that call (teammates do
      what they are asked);
    * ``finish`` with "Done." and, for the role that answers the task, with short
      answers the latest tool results show (:func:`answer_candidates`: JSON values,
      list lengths, numbers, times, URLs, paths, names); a sub-agent instead reports
      its last result back to its caller, as the oracle does.

    The expected answer of the task is never read: answers come from what the agent
    has seen.

    Args:
        env: a nexgym env (``gym.make("nex/...")``) with text actions, possibly wrapped.
        max_actions: size of the action space. The default fits every domain's
            candidates (at most 64) with room for delegations and answers; with a smaller
            one, domain calls beyond it are dropped, the plans' calls last.
        max_answers: most ``finish`` answers offered per step.

    Example:
        >>> import gymnasium as gym, nexgym
        >>> from nexgym.wrappers import DiscreteActions
        >>> env = DiscreteActions(gym.make("nex/FileSolo-v0"))
        >>> obs, info = env.reset(seed=0)
        >>> mask = env.action_masks()
        >>> obs, reward, terminated, truncated, info = env.step(int(mask.argmax()))
    """

    def __init__(self, env: gym.Env[ObsType, str], max_actions: int = 96, max_answers: int = 16):
        if not isinstance(max_actions, int) or max_actions < MIN_ACTIONS:
            raise ConfigError(f"expected max_actions >= {MIN_ACTIONS}, got {max_actions!r}")
        if not isinstance(max_answers, int) or max_answers < 0:
            raise ConfigError(f"expected max_answers >= 0, got {max_answers!r}")
        RecordConstructorArgs.__init__(self, max_actions=max_actions, max_answers=max_answers)
        gym.Wrapper.__init__(self, env)
        runtime_view(env)  # a clear error now for an env that is not a nexgym env
        self.max_actions = max_actions
        self.max_answers = max_answers
        self.action_space = spaces.Discrete(max_actions)
        self._calls: list[ToolCall] = []
        self._texts: list[str] = []

    # -- Gymnasium API --------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[ObsType, dict[str, Any]]:
        """Reset the env and list the admissible actions of the first acting role."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._refresh(obs, info)
        return obs, info

    def step(self, action: Any) -> tuple[ObsType, SupportsFloat, bool, bool, dict[str, Any]]:
        """Send the call that ``action`` indexes (an invalid-action text if none)."""
        index = as_index(action)
        if index is not None and 0 <= index < len(self._texts):
            text = self._texts[index]
            error = None
        else:
            text, error = self._out_of_mask(action, index)
        obs, reward, terminated, truncated, info = self.env.step(text)
        info["action_text"] = text
        if error is not None:
            info["action_error"] = error
        self._refresh(obs, info)
        return obs, reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """Boolean mask of the admissible indices (at least one is True)."""
        mask = np.zeros(self.max_actions, dtype=bool)
        mask[: max(1, len(self._texts))] = True
        return mask

    @property
    def action_texts(self) -> list[str]:
        """The text each admissible index stands for now."""
        return list(self._texts)

    @property
    def action_calls(self) -> list[ToolCall]:
        """The call each admissible index stands for now."""
        return list(self._calls)

    # -- candidates -----------------------------------------------------------------

    def _out_of_mask(self, action: Any, index: int | None) -> tuple[str, str]:
        n = len(self._texts)
        if index is None:
            label = "nan" if _is_nan(action) else "invalid"
            error = f"expected an integer action index in [0, {n}), got {_short(action)}"
        else:
            label = str(index).replace("-", "minus")
            error = f"action index {index} is outside the mask: {n} actions are admissible"
        # A call of a tool that does not exist: the env answers with its own
        # invalid-action feedback, which then names the bad index.
        name = f"action_index_{label}_is_not_admissible_{n}_actions_are"
        return ToolCall(name).to_text(), error

    def _refresh(self, obs: Any, info: dict[str, Any]) -> None:
        calls = self.candidates(obs if isinstance(obs, str) else "")
        self._calls = calls
        self._texts = [c.to_text() for c in calls]
        info["action_texts"] = list(self._texts)

    def candidates(self, observation: str) -> list[ToolCall]:
        """The admissible calls of the acting role now, sorted by their text."""
        runtime = runtime_view(self.env)
        role = runtime.active_role
        if role is None:
            return []
        return admissible_actions(
            runtime,
            role,
            observation,
            max_actions=self.max_actions,
            max_answers=self.max_answers,
        )


def admissible_actions(
    runtime: RuntimeView,
    role: str,
    observation: str,
    *,
    max_actions: int = 96,
    max_answers: int = 16,
) -> list[ToolCall]:
    """What ``role`` may sensibly do now, sorted by action text (see :class:`DiscreteActions`).

    Usable without the wrapper, e.g. to give each agent of a PettingZoo env a discrete
    action space.

    Args:
        runtime: the view of the env's runtime (:func:`~nexgym.runtime.view.runtime_view`).
        role: the role that acts.
        observation: the text the role sees now (``finish`` answers are read from it).
        max_actions: most calls returned (if the domain offers more than fit, the plans'
            calls are the ones kept).
        max_answers: most ``finish`` answers offered.
    """
    if runtime.task is None or runtime.done:
        return []
    agent = runtime.spec.agent(role)
    delegations = [
        delegation(runtime.spec, child, _assignment(runtime, role)) for child in agent.sub_agents
    ]
    # a peer team's root also merges or selects its peers' work (nexgym.topology.peers)
    delegations += runtime.combination_calls(role)
    finishes = _finish_calls(runtime, role, observation, max_answers)
    share = (max_actions - len(delegations) - len(finishes)) // (len(agent.sub_agents) + 1)
    delegations += _requests(runtime, role, agent.sub_agents, share)
    room = max_actions - len(delegations) - len(finishes)
    if room < 1:  # keep at least one domain call; drop answers first
        finishes = finishes[: max(1, len(finishes) + room - 1)]
        room = max_actions - len(delegations) - len(finishes)
    domain_calls = _domain_calls(runtime, role, list(agent.tools), max(room, 0))
    unique: dict[str, ToolCall] = {}
    for call in [*domain_calls, *delegations, *finishes]:
        unique.setdefault(call.to_text(), call)
    # Sorted by text: an index must not reveal which call an oracle plan uses.
    return [unique[text] for text in sorted(unique)][:max_actions]


def _requests(
    runtime: RuntimeView, role: str, children: tuple[str, ...], share: int
) -> list[ToolCall]:
    """Delegations that ask each sub-agent for one admissible call of its subtree's tools.

    Teammates do what they are asked (:class:`~nexgym.policies.InstructedTeammate`), so a
    delegation is offered per call a sub-agent's team could make, phrased as the oracle
    phrases its requests.
    """
    from nexgym.teammates.instructions import phrase_request

    spec = runtime.spec
    out: list[ToolCall] = []
    for child in children:
        tools = list(dict.fromkeys(t for _, member in spec.walk(child) for t in member.tools))
        for call in _domain_calls(runtime, role, tools, share):
            out.append(ToolCall(child, {"task": phrase_request([call])}))
    return out


def _domain_calls(
    runtime: RuntimeView, role: str, tool_names: list[str], room: int
) -> list[ToolCall]:
    if not tool_names or room < 1:
        return []
    domain = runtime.domain
    task = current_task(runtime)
    # Peers of parallel topologies may each act on their own copy of the world. Where
    # the world lives elsewhere (an MCP server), the task's initial world, its local
    # twin, stands in for it: the plan's calls still hide among others.
    world = runtime.live_world(runtime.world_of(role))
    if world is None:
        world = task.world
    try:
        calls = domain.admissible_calls(task, world, tool_names)
    except Exception:  # a domain bug must not escape step(): fall back to the plans
        calls = Domain.admissible_calls(domain, task, None, tool_names)
    if len(calls) > room:
        # Too many to offer: keep the plans' calls so the task stays solvable. With the
        # default max_actions every domain (at most 64 calls) fits and nothing is dropped,
        # so whether a call is offered says nothing about the plan.
        planned = {c.key() for plan in task.plans for c in plan}
        calls = sorted(calls, key=lambda c: c.key() not in planned)[:room]
    renames = runtime.renames
    return [ToolCall(renames.get(c.name, c.name), dict(c.arguments)) for c in calls]


def _finish_calls(
    runtime: RuntimeView, role: str, observation: str, max_answers: int
) -> list[ToolCall]:
    answers = ["Done."]
    if runtime.answers_task(role):
        # The newest result first, then earlier ones the role saw (comparisons need both).
        earlier = [
            f"<tool_response>\n{m.get('content', '')}\n</tool_response>"
            for m in runtime.history(role)[::-1]
            if m.get("role") == "tool"
        ][1 : EARLIER_RESULTS + 1]
        found: dict[str, None] = {}
        for text in [observation, *earlier]:
            for answer in answer_candidates(text, max_answers):
                if len(found) < max_answers:
                    found.setdefault(answer, None)
        answers += list(found)
    else:
        answers.append(report(runtime.history(role), MAX_REPORT_CHARS))
    return [ToolCall("finish", {"answer": a}) for a in dict.fromkeys(answers)]


def as_index(action: Any) -> int | None:
    """The integer an action stands for, or None if it is not a whole finite number."""
    if isinstance(action, np.ndarray):
        if action.size != 1:
            return None
        action = action.reshape(()).item()
    if isinstance(action, bool | np.bool_):
        return None
    if isinstance(action, int | np.integer):
        return int(action)
    if isinstance(action, float | np.floating):
        value = float(action)
        if math.isfinite(value) and value.is_integer():
            return int(value)
    return None


def answer_candidates(observation: str, limit: int = 16) -> list[str]:
    """Short answers the tool results in an observation show.

    Several kinds are read and taken in turn, so that a long listing of one kind does
    not crowd out the others: JSON scalars and list lengths (for "how many"
    questions), numbers, clock times (``13:05``), URLs, paths (and their trailing parts
    for relative paths, e.g. ``src/a.py`` of ``b/src/a.py``) and capitalised phrases
    (names). Text outside ``<tool_response>`` blocks (prompts, schemas) is not read.

    Args:
        observation: the text the agent sees.
        limit: most answers to return.

    Returns:
        Distinct answer strings.
    """
    body = "\n".join(_RESPONSE.findall(observation))
    if not body or limit <= 0:
        return []
    kinds = [
        _json_scalars(body),
        (m.group(0) for m in _NUMBER.finditer(body)),
        (f"{int(m.group(1)):02d}:{m.group(2)}" for m in _CLOCK_TIME.finditer(body)),
        (m.group(0).rstrip(".,;:") for m in _URL.finditer(body)),
        _paths(_URL.sub(" ", body)),
        (m.group(0) for m in _phrase_pattern().finditer(body)),
    ]
    found: dict[str, None] = {}
    while kinds and len(found) < limit:
        for kind in list(kinds):
            value = next((v for v in kind if v not in found), None)
            if value is None:
                kinds.remove(kind)
            elif len(found) < limit and len(value) <= MAX_ANSWER_CHARS:
                found[value] = None
    return list(found)


def _paths(text: str) -> Iterator[str]:
    for match in _PATH.finditer(text):
        path = match.group(0).rstrip(".")
        yield path
        if not path.startswith("/"):
            parts = path.split("/")
            for start in range(1, len(parts) - 1):
                yield "/".join(parts[start:])


def _json_scalars(text: str, max_documents: int = 4) -> Iterator[str]:
    decoder = json.JSONDecoder()
    start, documents = 0, 0
    while documents < max_documents:
        positions = [p for p in (text.find("{", start), text.find("[", start)) if p >= 0]
        if not positions:
            return
        position = min(positions)
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            start = position + 1
            continue
        documents += 1
        start = end
        yield from _leaves(value)


def _leaves(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 6:
        return
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        yield str(value)
    elif isinstance(value, float):
        if math.isfinite(value):
            yield repr(round(value, 6))
    elif isinstance(value, str):
        text = value.strip()
        if text and len(text) <= MAX_ANSWER_CHARS and "\n" not in text:
            yield text
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item, depth + 1)
    elif isinstance(value, list):
        yield str(len(value))
        for item in value:
            yield from _leaves(item, depth + 1)


def _assignment(runtime: RuntimeView, role: str) -> str:
    """What ``role`` was asked to do: the task message that opened its invocation."""
    return runtime.assignment(role) or current_task(runtime).instruction


@functools.cache
def _phrase_pattern() -> re.Pattern[str]:
    """:data:`_PHRASE` with every upper-case letter of the Basic Multilingual Plane.

    Python's ``re`` has no class for upper-case letters: it is listed once, on first use.
    """
    upper = "".join(re.escape(chr(c)) for c in range(0x10000) if chr(c).isupper())
    return re.compile(_PHRASE.format(upper=f"[{upper}]"))


def _is_nan(action: Any) -> bool:
    try:
        return bool(np.isnan(np.asarray(action, dtype=float)).any())
    except (TypeError, ValueError):
        return False


def _short(action: Any) -> str:
    text = repr(action)
    return text if len(text) <= 60 else text[:57] + "..."
