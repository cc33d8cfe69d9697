"""Synthesis with a local causal language model (transformers), validated and repaired.

:class:`LLMSynthesizer` prompts a model for the DSL, reads the YAML it writes, and
validates it. Three safeguards make the result a valid spec:

* constrained decoding (default): a logits processor lets the model write only texts
  of the DSL's grammar (:class:`~nexgym.synth.grammar.DSLGrammar`), so every output
  parses and validates, whatever the model;
* deterministic repair (default): near-miss YAML is fixed (:func:`~nexgym.synth.repair.repair`);
* a bounded retry loop: when a spec still fails, the validation errors go back into
  the prompt, up to ``max_retries`` times, after which a
  :class:`~nexgym.synth.errors.SynthesisError` says what was wrong.

Any local checkpoint works (``from_pretrained`` on a folder); nothing is downloaded::

    synth = LLMSynthesizer("path/to/model")
    spec = synth.synthesize("a file team where a lead hands edits to an editor")

torch and transformers are imported only when a synthesizer is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError, SpecError, require
from nexgym.spec import HierarchySpec
from nexgym.synth.errors import SynthesisError
from nexgym.synth.grammar import CharGrammar, DSLGrammar
from nexgym.synth.llm_worlds import WorldAttempt, write_world
from nexgym.synth.matching import catalog_index, domain_index
from nexgym.synth.repair import extract_yaml, repair

__all__ = ["Attempt", "GrammarLogitsProcessor", "LLMSynthesizer", "build_prompt"]

_DSL_GUIDE = """You write agent hierarchies as YAML in this format:
name: CamelCaseName
domain: <one domain from the list below>
topology: <single, centralized, tree, decentralized, independent or hybrid>
root: <name of the top agent>
agents:
  - name: <snake_case name; the root first>
    role: You <what the agent does, one line>
    tools: [<tools of the domain this agent holds>]
    sub_agents: [<agents it delegates to; each is written after it>]
Rules: use only the tools of the chosen domain; every agent except the root is a
sub-agent of exactly one agent; "single" means one agent holding the tools."""


def build_prompt(
    text: str,
    domains: Mapping[str, Sequence[str]],
    *,
    previous: str | None = None,
    problems: Sequence[str] = (),
) -> str:
    """The prompt: the DSL, the domains' tools, the description, and earlier errors."""
    listing = "\n".join(f"- {d}: {', '.join(tools)}" for d, tools in domains.items())
    parts = [_DSL_GUIDE, f"Domains and their tools:\n{listing}", f"Description: {text.strip()}"]
    if previous is not None:
        errors = "\n".join(f"- {p}" for p in problems) or "- (no details)"
        parts.append(
            f"Your previous answer was:\n{previous.strip()[:2000]}\n"
            f"It is not a valid spec:\n{errors}\nWrite a corrected spec."
        )
    parts.append("YAML:\n")
    return "\n\n".join(parts)


@dataclass
class Attempt:
    """One round of generation and validation.

    Attributes:
        prompt: the prompt sent.
        output: the text the model wrote.
        problems: why it did not validate (empty when it did).
        repairs: fixes the repair step made.
    """

    prompt: str
    output: str = ""
    problems: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)


def _token_texts(tokenizer: Any) -> list[str | None]:
    """The text of every token id (None for special tokens and broken byte pieces)."""
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    texts: list[str | None] = []
    for i in range(len(tokenizer)):
        if i in special:
            texts.append(None)
            continue
        text = tokenizer.decode([i], clean_up_tokenization_spaces=False)
        raw = tokenizer.convert_ids_to_tokens(i) or ""
        if raw.startswith("\u2581") and not text.startswith(" "):  # SentencePiece's space
            text = " " + text
        texts.append(None if not text or "\ufffd" in text else text)
    return texts


class GrammarLogitsProcessor:
    """A transformers logits processor that keeps generation inside a grammar.

    The grammar is a :class:`~nexgym.synth.grammar.CharGrammar`: the hierarchy DSL's
    (:class:`DSLGrammar`) or the world DSL's
    (:class:`~nexgym.synth.world_grammar.WorldGrammar`).

    At each step it feeds the last token to the grammar, then keeps (in the model's
    order of preference) the first ``top_k`` tokens whose text the grammar accepts,
    and the end-of-sequence token when the text may end. Batch size 1.

    Args:
        grammar: the grammar.
        token_texts: the text of every token id (see ``_token_texts``).
        eos_token_id: the end-of-sequence token.
        prompt_length: tokens of the prompt (the generated text starts after them).
        top_k: tokens kept per step.
    """

    def __init__(
        self,
        grammar: CharGrammar,
        token_texts: Sequence[str | None],
        eos_token_id: int,
        prompt_length: int,
        *,
        top_k: int = 8,
    ) -> None:
        self.grammar = grammar
        self.texts = token_texts
        self.eos = eos_token_id
        self.consumed = prompt_length
        self.top_k = top_k
        self.state: Any = grammar.start()
        self.buckets: dict[str, list[int]] = {}
        for i, text in enumerate(token_texts):
            if text:
                self.buckets.setdefault(text[0], []).append(i)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """Mask every token the grammar does not allow next."""
        import torch

        ids = input_ids[0].tolist()
        for token in ids[self.consumed :]:
            text = self.texts[token] if token != self.eos else None
            fed = self.grammar.feed(self.state, text) if text else None
            if fed is None:
                raise SynthesisError(f"(decoding): token {token} left the grammar")
            self.state = fed
        self.consumed = len(ids)
        allowed = self.allowed(scores[0])
        masked = torch.full_like(scores, float("-inf"))
        masked[0, allowed] = scores[0, allowed]
        return masked

    def allowed(self, row: Any) -> list[int]:
        """Token ids allowed next, best-scored first (at most ``top_k`` plus EOS)."""
        import torch

        firsts = self.grammar.next_chars(self.state)
        candidates = [i for c in firsts for i in self.buckets.get(c, [])]
        keep: list[int] = []
        if candidates:
            index = torch.tensor(candidates, dtype=torch.long)
            order = index[torch.argsort(row[index], descending=True)].tolist()
            for token in order:
                text = self.texts[token]
                if text and self.grammar.feed(self.state, text) is not None:
                    keep.append(token)
                    if len(keep) >= self.top_k:
                        break
        if self.grammar.is_complete(self.state):
            keep.append(self.eos)
        if not keep:
            raise SynthesisError(
                "(decoding): the tokenizer has no token for any character the grammar allows "
                f"next ({sorted(self.grammar.next_chars(self.state))!r})"
            )
        return keep


class _Gumbel:
    """Sampling with its own seeded generator: add Gumbel noise, then decode greedily."""

    def __init__(self, temperature: float, seed: int) -> None:
        import torch

        self.temperature = temperature
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        uniform = torch.rand(scores.shape, generator=self.generator).clamp_(1e-9, 1 - 1e-9)
        return scores / self.temperature - torch.log(-torch.log(uniform)).to(scores.dtype)


class LLMSynthesizer:
    """Synthesize hierarchy specs with a local causal language model.

    Args:
        model: a folder with a checkpoint (loaded with ``AutoModelForCausalLM``) or a
            loaded model.
        tokenizer: the tokenizer (default: loaded from the model's folder).
        max_retries: extra attempts after the first, each with the last errors.
        constrained: restrict decoding to the DSL's grammar.
        repair: fix near-miss YAML before validating.
        cover: with ``repair``, give tools nobody holds to the root.
        max_agents: most agents a constrained spec may have.
        max_role_chars: longest role prompt under constrained decoding.
        max_new_tokens: token budget (default: enough for any grammatical text, or 1024).
        temperature: 0 decodes greedily; above 0 samples (seeded by ``synthesize``'s seed).
        candidate_domains: domains offered to the model per description.
        world_options: limits of the world grammar when the model writes a world
            (:class:`~nexgym.synth.world_grammar.WorldGrammar`'s ``max_entities``, ...).
    """

    def __init__(
        self,
        model: str | Path | Any,
        tokenizer: Any | None = None,
        *,
        max_retries: int = 2,
        constrained: bool = True,
        repair: bool = True,
        cover: bool = True,
        max_agents: int = 6,
        max_role_chars: int = 160,
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        candidate_domains: int = 3,
        world_options: dict[str, int] | None = None,
    ) -> None:
        transformers = require("transformers", "llm", "LLMSynthesizer")
        if max_retries < 0:
            raise ConfigError(f"expected max_retries >= 0, got {max_retries}")
        if temperature < 0:
            raise ConfigError(f"expected temperature >= 0, got {temperature}")
        if isinstance(model, str | Path):
            path = Path(model)
            if not path.is_dir():
                raise ConfigError(
                    f"expected a local model folder (nothing is downloaded), got {str(model)!r}"
                )
            model = transformers.AutoModelForCausalLM.from_pretrained(path)
            tokenizer = tokenizer or transformers.AutoTokenizer.from_pretrained(path)
        if tokenizer is None:
            raise ConfigError("expected a tokenizer with a loaded model, got None")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_retries = max_retries
        self.constrained = constrained
        self.repair = repair
        self.cover = cover
        self.max_agents = max_agents
        self.max_role_chars = max_role_chars
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.candidate_domains = candidate_domains
        self.world_options = dict(world_options or {})
        self.attempts: list[Attempt] = []
        self.world_attempts: list[WorldAttempt] = []
        self._texts: list[str | None] | None = None

    def domains_for(self, text: str) -> dict[str, list[str]]:
        """The domains offered to the model: those whose words the description uses most."""
        from nexgym.synth.matching import content_stems

        index = catalog_index()
        scores = index.coverage(content_stems(text))
        ranked = sorted(index.domains, key=lambda d: (-scores[d], index.sizes[d], d))
        chosen = ranked[: max(1, self.candidate_domains)]
        return {d: [t.name for t in domain_index(d).tools] for d in chosen}

    def wants_world(self, text: str) -> bool:
        """Whether no registered domain fits ``text`` (the offline synthesizer's judgement)."""
        from nexgym.envs.domains import DOMAINS
        from nexgym.envs.worlds.library import hand_written
        from nexgym.synth.offline import synthesize as synthesize_offline

        try:
            domain = synthesize_offline(text).domain
        except SynthesisError:
            return False
        return not hand_written(domain, DOMAINS[domain])

    def synthesize(self, text: str, *, seed: int = 0, world: bool | None = None) -> HierarchySpec:
        """A validated spec for ``text``; :attr:`attempts` records every round.

        Args:
            text: the description.
            seed: the first attempt's sampling seed.
            world: write a new world first (:func:`~nexgym.synth.llm_worlds.write_world`,
                recorded in :attr:`world_attempts`) and build the hierarchy over it;
                None: when :meth:`wants_world` says no registered domain fits.

        Raises:
            SynthesisError: no attempt validated within ``max_retries`` retries.
        """
        if not isinstance(text, str) or not text.strip():
            raise SynthesisError(
                "(text): expected a description of agents and their work, got an empty text",
                text=str(text),
            )
        self.world_attempts = []
        if world or (world is None and self.wants_world(text)):
            written, self.world_attempts = write_world(
                self, text, seed=seed, grammar_options=self.world_options
            )
            domains = {written.name: [t.name for t in written.tools]}
        else:
            domains = self.domains_for(text)
        self.attempts = []
        previous: str | None = None
        problems: list[str] = []
        for round_ in range(self.max_retries + 1):
            prompt = build_prompt(text, domains, previous=previous, problems=problems)
            attempt = Attempt(prompt)
            self.attempts.append(attempt)
            attempt.output = self.generate(prompt, domains, seed=seed + round_)
            try:
                data = extract_yaml(attempt.output)
                if self.repair:
                    data, attempt.repairs = repair(
                        data, domains=domains, text=text, cover=self.cover
                    )
                data["metadata"] = {
                    "source": " ".join(text.split()),
                    "seed": seed,
                    "synthesizer": "llm",
                    "attempts": round_ + 1,
                }
                return HierarchySpec.from_dict(data)
            except SpecError as e:
                attempt.problems = list(e.problems)
                previous, problems = attempt.output, attempt.problems
        raise SynthesisError(
            [
                f"(model): no valid spec after {len(self.attempts)} attempt(s) "
                f"(max_retries={self.max_retries}, constrained={self.constrained}, "
                f"repair={self.repair}); the last one failed with:",
                *problems[:8],
            ],
            text=text,
        )

    def generate(self, prompt: str, domains: dict[str, list[str]], *, seed: int = 0) -> str:
        """The model's continuation of ``prompt`` (grammar-constrained if configured)."""
        grammar = DSLGrammar(
            domains, max_agents=self.max_agents, max_role_chars=self.max_role_chars
        )
        return self.decode(prompt, grammar if self.constrained else None, seed=seed)

    def decode(self, prompt: str, grammar: CharGrammar | None, *, seed: int = 0) -> str:
        """The model's continuation of ``prompt``, kept inside ``grammar`` if one is given."""
        import torch
        from transformers import LogitsProcessorList

        tokenizer = self.tokenizer
        if getattr(tokenizer, "chat_template", None):
            prompt = tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        budget = self.max_new_tokens or (grammar.max_chars() if grammar is not None else 1024)
        limit = _context_length(self.model)
        if limit is not None and ids.shape[1] + budget > limit:
            keep = max(1, limit - budget)
            ids = ids[:, -keep:]  # the end of the prompt (the description, "YAML:") matters most
        eos = tokenizer.eos_token_id
        if eos is None:
            raise ConfigError("expected a tokenizer with an end-of-sequence token, got none")
        processors: list[Any] = []
        if grammar is not None:
            if self._texts is None:
                self._texts = _token_texts(tokenizer)
            processors.append(GrammarLogitsProcessor(grammar, self._texts, eos, ids.shape[1]))
        if self.temperature > 0:
            processors.append(_Gumbel(self.temperature, seed))
        with torch.no_grad():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=budget,
                do_sample=False,
                logits_processor=LogitsProcessorList(processors),
                eos_token_id=eos,
                pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos,
            )
        return tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


def _context_length(model: Any) -> int | None:
    config = getattr(model, "config", None)
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None
