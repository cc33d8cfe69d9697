"""A local causal language model writes the world DSL: constrained, validated, repaired.

:func:`write_world` asks an :class:`~nexgym.synth.llm.LLMSynthesizer`'s model for a
world spec (entities, fields, operations) for a description. With constrained decoding
(the synthesizer's default) a :class:`~nexgym.synth.world_grammar.WorldGrammar` keeps
the model inside texts that validate and compile; without it the YAML the model writes
is validated by :class:`~nexgym.envs.worlds.spec.WorldSpec` and checked by
:func:`~nexgym.envs.worlds.library.verify_world` (its oracle plans must solve its
tasks), and the problems go back into the prompt, up to ``max_retries`` times. When no
attempt holds, the world is induced offline from the description
(:func:`~nexgym.synth.induce.induce_world`) and a :class:`SynthesisWarning` says why.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from nexgym.error import SpecError
from nexgym.synth.errors import SynthesisError

if TYPE_CHECKING:
    from nexgym.envs.worlds.spec import WorldSpec
    from nexgym.synth.llm import LLMSynthesizer

__all__ = ["SynthesisWarning", "WorldAttempt", "build_world_prompt", "write_world"]

_WORLD_GUIDE = """You write a world for agents to work in, as YAML in this format:
name: <snake_case name of the world>
description: <one line: what the world is>
entities:
- name: <snake_case singular noun: a kind of record>
  fields:
  - {name: <field>, type: name, pool: <person, pet, company, item, place, title, code or phrase>}
  - {name: <field>, type: <quantity or money>}
  - {name: <field>, type: status, values: [<first status>, <second status>, ...]}
tools:
- {entity: <entity>, name: <snake_case tool name>, op: lookup, description: <what it does>}
- {entity: <entity>, name: <tool>, op: transition, from: [<status>], to: <status>, description: ...}
Every entity's first field names its records, its first tool is a lookup; the other
operations are list, search, note, create (fields: [<name field>]), update
(fields: [<numeric field>]), transfer (field: <numeric field>) and transition.
Example:
name: vet_desk
description: A clinic desk where pets are admitted and sent home.
entities:
- name: pet
  fields:
  - {name: pet_name, type: name, pool: pet}
  - {name: stage, type: status, values: [waiting, admitted, home]}
tools:
- {entity: pet, name: find_pet, op: lookup, description: Look a pet up by id or name.}
- {entity: pet, name: admit_pet, op: transition, from: [waiting], to: admitted,
   description: Admit a waiting pet.}"""


class SynthesisWarning(UserWarning):
    """Synthesis fell back to a weaker path (the offline inducer) and says why."""


@dataclass
class WorldAttempt:
    """One round of world writing and checking.

    Attributes:
        prompt: the prompt sent.
        output: the text the model wrote.
        problems: why it did not hold (empty when it did).
    """

    prompt: str
    output: str = ""
    problems: list[str] = field(default_factory=list)


def build_world_prompt(
    text: str, *, previous: str | None = None, problems: Sequence[str] = ()
) -> str:
    """The prompt: the world DSL, the description, and the last attempt's problems."""
    parts = [_WORLD_GUIDE, f"Description: {text.strip()}"]
    if previous is not None:
        errors = "\n".join(f"- {p}" for p in problems) or "- (no details)"
        parts.append(
            f"Your previous answer was:\n{previous.strip()[:2000]}\n"
            f"It is not a valid world:\n{errors}\nWrite a corrected world."
        )
    parts.append("YAML:\n")
    return "\n\n".join(parts)


def read_world_yaml(output: str) -> dict[str, Any]:
    """The world spec a model wrote, as data: inside a code fence if any, from ``name:`` on.

    Raises:
        SpecError: when no YAML mapping can be read.
    """
    fenced = re.search(r"```(?:ya?ml)?\s*\n(.*?)(?:```|$)", output, re.DOTALL)
    body = fenced.group(1) if fenced else output
    start = body.find("name:")
    body = body[start:] if start > 0 else body
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0] if str(e) else "parse error"
        raise SpecError(f"(yaml): not valid YAML ({first}); write the world as YAML") from e
    if not isinstance(data, dict):
        raise SpecError(
            "(top level): expected a YAML mapping with name, description, entities and tools, "
            f"got {type(data).__name__}"
        )
    return data


def _taken_names() -> set[str]:
    """Domains a written world may not replace: every registered one but compiled worlds."""
    from nexgym.envs.domains import DOMAINS
    from nexgym.envs.worlds.library import is_world

    return {name for name, target in DOMAINS.items() if not is_world(target)}


def _check(data: dict[str, Any], taken: set[str]) -> WorldSpec:
    """Validate, compile, verify and register a written world; its spec.

    Raises:
        SpecError: naming every problem (the validator's, or the oracle check's).
    """
    from nexgym.envs.worlds.library import build_world_domain
    from nexgym.envs.worlds.spec import WorldSpec

    if str(data.get("name")) in taken:
        raise SpecError(
            f"name: {data.get('name')!r} is a registered domain; give the world another name"
        )
    spec = WorldSpec.from_dict(data)
    return build_world_domain(spec).world_spec


def write_world(
    synth: LLMSynthesizer,
    text: str,
    *,
    seed: int = 0,
    grammar_options: dict[str, int] | None = None,
) -> tuple[WorldSpec, list[WorldAttempt]]:
    """A registered world for ``text``, written by ``synth``'s model; and every attempt.

    Args:
        synth: the synthesizer whose model, decoding and retry bound are used.
        text: the description.
        seed: the first attempt's sampling seed (each retry adds one).
        grammar_options: limits of the :class:`~nexgym.synth.world_grammar.WorldGrammar`
            (``max_entities``, ``max_fields``, ``max_tools``, ...).

    Returns:
        The world spec (compiled, verified and registered as a domain) and the attempts;
        when no attempt held, the world induced offline, with a :class:`SynthesisWarning`.

    Raises:
        SynthesisError: no attempt held and the description names no work to induce from.
    """
    from nexgym.synth.world_grammar import WorldGrammar

    taken = _taken_names()
    grammar = WorldGrammar(taken=taken, **(grammar_options or {}))
    attempts: list[WorldAttempt] = []
    previous: str | None = None
    problems: list[str] = []
    for round_ in range(synth.max_retries + 1):
        attempt = WorldAttempt(build_world_prompt(text, previous=previous, problems=problems))
        attempts.append(attempt)
        attempt.output = synth.decode(
            attempt.prompt, grammar if synth.constrained else None, seed=seed + round_
        )
        try:
            data = read_world_yaml(attempt.output)
            source = {"source": " ".join(text.split()), "synthesizer": "llm"}
            data["metadata"] = {**source, "attempts": round_ + 1}
            return _check(data, taken), attempts
        except SpecError as e:
            attempt.problems = list(e.problems)
            previous, problems = attempt.output, attempt.problems
    return _induced(text, problems), attempts


def _induced(text: str, problems: list[str]) -> WorldSpec:
    """The world the offline inducer makes of ``text``, with a warning saying why."""
    from nexgym.envs.worlds.library import build_world_domain
    from nexgym.envs.worlds.spec import WorldSpecError
    from nexgym.synth.induce import induce_world
    from nexgym.synth.outline import read_outline

    outline = read_outline(" ".join(text.split()))
    titles = {r.head for r in outline.roles} | {m for r in outline.roles for m in r.modifiers}
    induced = induce_world(outline.text, sorted(titles), team=outline.team)
    if induced is None:
        raise SynthesisError(
            [
                "(world): the model wrote no valid world and the description names no work "
                "to induce one from; the model's last problems:",
                *problems[:6],
            ],
            text=text,
        )
    try:
        spec = build_world_domain(induced.spec).world_spec
    except WorldSpecError as e:
        raise SynthesisError(
            [
                f"(world): neither the model's world nor the induced one holds: {p}"
                for p in e.problems
            ],
            text=text,
        ) from e
    warnings.warn(
        f"the model wrote no valid world in the allowed attempts (last problems: "
        f"{'; '.join(problems[:3]) or 'none'}); induced {spec.name!r} offline instead",
        SynthesisWarning,
        stacklevel=3,
    )
    return spec
