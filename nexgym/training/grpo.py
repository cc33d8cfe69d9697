"""Online GRPO against nexgym envs, through TRL's ``GRPOTrainer`` rollout hook.

TRL offers two hooks for multi-turn training: ``environment_factory`` (the trainer runs
its own tool loop, calling methods of an environment object and parsing the model's
tool calls with the tokenizer's response parser) and ``rollout_func`` (the trainer hands
the prompts to a function that generates, and gets back prompt ids, completion ids and
extra fields for the reward functions). nexgym uses ``rollout_func``: the env must see
the model's raw text, so that malformed calls become invalid-action observations and
penalties instead of silently ending the turn, and sub-agents, teammates and wrappers
stay inside the env where they belong.

Each prompt of the dataset names a task (``"nex/FileOps-v0 task_seed=17"``). TRL repeats
it ``num_generations`` times; :class:`EpisodeRollouts` plays each copy as one whole
episode of the root role, generating every turn in one batched call across the live
episodes. The episode's tokens form one completion: the model's turns (trained) and the
env's observations in between (masked out through ``env_mask``). The reward of a
completion is the env's return for that episode (task score minus invalid-action
penalties).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nexgym.error import ConfigError, require

__all__ = ["EpisodeRollouts", "GRPOSettings", "match_env_ids", "task_prompts", "train_grpo"]

_PROMPT = re.compile(r"^(?P<env>\S+) task_seed=(?P<seed>\d+)$")


def match_env_ids(patterns: str | Sequence[str]) -> list[str]:
    """Registered env ids matching glob patterns (``"nex/File*"``, comma-separated or a list)."""
    from nexgym.registry import list_envs

    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",") if p.strip()]
    known = list_envs()
    out: list[str] = []
    for pattern in patterns:
        full = pattern if pattern.startswith("nex/") else f"nex/{pattern}"
        hits = [
            e for e in known if fnmatch.fnmatchcase(e, full) or fnmatch.fnmatchcase(e, full + "-v0")
        ]
        if not hits:
            from nexgym.error import UnknownNameError

            raise UnknownNameError(
                "env pattern", pattern, known, hint="Patterns are globs, e.g. 'nex/File*'."
            )
        out += [h for h in hits if h not in out]
    return out


def task_prompts(env_ids: Sequence[str], tasks_per_env: int, seed: int = 0) -> list[str]:
    """Dataset prompts naming tasks: ``tasks_per_env`` task seeds per env, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return [
        f"{env_id} task_seed={int(s)}"
        for env_id in env_ids
        for s in rng.integers(0, 2**31 - 1, size=tasks_per_env)
    ]


@dataclass(slots=True)
class GRPOSettings:
    """Settings of :func:`train_grpo`.

    Attributes:
        steps: optimizer steps.
        num_generations: episodes per task (the GRPO group).
        batch_size: episodes per optimizer step (a multiple of ``num_generations``).
        learning_rate: Adam learning rate.
        temperature: sampling temperature of the rollouts.
        max_new_tokens: longest single action, in tokens.
        max_completion_tokens: longest episode (actions plus observations), in tokens.
        max_turns: actions per episode before it is cut.
        tasks_per_env: distinct tasks per env in the prompt dataset.
        beta: KL coefficient (0: no reference model, the cheap setting).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        seed: data order, task seeds and sampling seed.
        logging_steps: how often metrics are logged.
        env_kwargs: extra keyword arguments for ``gym.make`` (control is always "root").
    """

    steps: int = 20
    num_generations: int = 4
    batch_size: int = 4
    learning_rate: float = 1e-5
    temperature: float = 1.0
    max_new_tokens: int = 128
    max_completion_tokens: int = 1024
    max_turns: int = 8
    tasks_per_env: int = 16
    beta: float = 0.0
    device: str = "auto"
    seed: int = 0
    logging_steps: int = 1
    env_kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Episode:
    env: Any
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    episode_return: float = 0.0
    success: bool = False
    turns: int = 0
    done: bool = False


class EpisodeRollouts:
    """TRL ``rollout_func``: plays each prompt's task as one episode of the root role.

    Args:
        settings: rollout lengths, temperature and env options.
        tokenizer: the policy's tokenizer (its chat template renders the episode).
    """

    def __init__(self, settings: GRPOSettings, tokenizer: Any) -> None:
        self.settings = settings
        self.tokenizer = tokenizer
        self._pool: dict[str, list[Any]] = {}
        self._calls = 0
        self._dummy = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "x"}]
        from nexgym.training.generation import render_chat

        self._dummy_text = render_chat(tokenizer, self._dummy, None, add_generation_prompt=False)

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        """Play one episode per prompt; returns ids, ``env_mask`` and the episode returns."""
        from nexgym.training.generation import decode, generate_batch

        model = trainer.accelerator.unwrap_model(trainer.model)
        was_training = model.training
        model.eval()
        episodes = [self._start(str(p), i) for i, p in enumerate(prompts)]
        budget = self.settings.max_completion_tokens
        try:
            for _ in range(self.settings.max_turns):
                live = [e for e in episodes if not e.done]
                if not live:
                    break
                room = [budget - len(e.completion_ids) for e in live]
                seed = int(live[0].env.unwrapped.np_random.integers(2**31 - 1))
                generated = generate_batch(
                    model,
                    self.tokenizer,
                    [e.prompt_ids + e.completion_ids for e in live],
                    max_new_tokens=max(1, min(self.settings.max_new_tokens, min(room))),
                    temperature=self.settings.temperature,
                    seed=seed,
                )
                for episode, ids in zip(live, generated, strict=True):
                    self._play(episode, ids, decode(self.tokenizer, ids), budget)
        finally:
            model.train(was_training)
        for episode in episodes:
            self._pool.setdefault(episode.env.spec.id, []).append(episode.env)
        self._calls += 1
        return {
            "prompt_ids": [e.prompt_ids for e in episodes],
            "completion_ids": [e.completion_ids for e in episodes],
            "logprobs": None,
            "env_mask": [e.env_mask for e in episodes],
            "episode_return": [e.episode_return for e in episodes],
            "success": [float(e.success) for e in episodes],
        }

    def _start(self, prompt: str, index: int) -> _Episode:
        from nexgym.training.generation import encode_chat

        match = _PROMPT.match(prompt.strip())
        if not match:
            raise ConfigError(f"expected a prompt 'ENV_ID task_seed=N', got {prompt[:80]!r}")
        env_id, task_seed = match["env"], int(match["seed"])
        env = self._take(env_id)
        reset_seed = (self.settings.seed * 1_000_003 + self._calls * 10_007 + index) % (2**31 - 1)
        _, info = env.reset(seed=reset_seed, options={"task_seed": task_seed})
        messages = list(info["history"])
        prompt_ids = encode_chat(self.tokenizer, messages, info.get("tools"))
        episode = _Episode(env, prompt_ids)
        if not prompt_ids:  # nothing to condition on: the episode scores what doing nothing scores
            episode.done = True
        return episode

    def _take(self, env_id: str) -> Any:
        """An idle env of ``env_id`` from the pool, or a new one (envs are reused across calls)."""
        import gymnasium as gym

        pool = self._pool.setdefault(env_id, [])
        if pool:
            return pool.pop()
        kwargs = {**self.settings.env_kwargs, "control": "root", "return_history": True}
        return gym.make(env_id, **kwargs)

    def _play(self, episode: _Episode, ids: list[int], text: str, budget: int) -> None:
        episode.completion_ids += ids
        episode.env_mask += [1] * len(ids)
        episode.turns += 1
        env = episode.env
        before = len(env.unwrapped.runtime.history(env.unwrapped.hierarchy.root))
        _, reward, terminated, truncated, info = env.step(text)
        episode.episode_return += float(reward)
        if terminated or truncated:
            episode.done = True
            episode.success = bool(info.get("success", False))
            return
        eos = self.tokenizer.eos_token_id
        if eos is not None and (not ids or ids[-1] != eos):
            episode.completion_ids.append(eos)  # the turn was cut: close it as the template would
            episode.env_mask.append(0)
        history = info.get("history") or []
        suffix = self._observation_ids(history[before + 1 :])
        episode.completion_ids += suffix
        episode.env_mask += [0] * len(suffix)
        if len(episode.completion_ids) >= budget or episode.turns >= self.settings.max_turns:
            episode.completion_ids = episode.completion_ids[:budget]
            episode.env_mask = episode.env_mask[:budget]
            episode.done = True

    def _observation_ids(self, messages: list[dict[str, Any]]) -> list[int]:
        """Tokens of the env's reply after an assistant turn, up to the next generation prompt."""
        from nexgym.training.generation import render_chat

        full = render_chat(
            self.tokenizer, [*self._dummy, *messages], None, add_generation_prompt=True
        )
        end = self.tokenizer.eos_token or ""
        prefix = self._dummy_text
        if end and end in prefix:
            prefix = prefix[: prefix.rindex(end) + len(end)]
        if not full.startswith(prefix):
            raise ConfigError(
                "expected a chat template whose rendering of a chat is a prefix of the "
                "rendering of its continuation (ChatML is); this one is not"
            )
        encoded = self.tokenizer(full[len(prefix) :], add_special_tokens=False)
        return [int(i) for i in encoded["input_ids"]]

    def close(self) -> None:
        """Close every pooled env."""
        for envs in self._pool.values():
            for env in envs:
                env.close()
        self._pool.clear()


def episode_return_reward(
    completions: list[Any], episode_return: list[float], **_: Any
) -> list[float]:
    """GRPO reward: the env's return of the episode each completion played."""
    return [float(r) for r in episode_return]


def train_grpo(
    env_ids: str | Sequence[str],
    model_path: str | Path,
    out_dir: str | Path,
    settings: GRPOSettings | None = None,
    *,
    tasks: Sequence[tuple[str, int]] | None = None,
) -> Path:
    """Train a local causal LM online against envs with TRL's ``GRPOTrainer``.

    Args:
        env_ids: env ids or glob patterns (``"nex/File*"``).
        model_path: a local checkpoint folder (model and tokenizer).
        out_dir: where the trained model, its tokenizer and ``nexgym_grpo.json`` go.
        settings: rollout and optimisation settings.
        tasks: the exact ``(env_id, task_seed)`` pairs to train on (a curriculum, say),
            instead of ``settings.tasks_per_env`` random task seeds per env; their envs
            must be among ``env_ids``.

    Returns:
        ``out_dir``, a checkpoint folder loadable with ``from_pretrained``.
    """
    transformers = require("transformers", "llm", "train_grpo")
    trl = require("trl", "llm", "train_grpo")
    datasets = require("datasets", "llm", "train_grpo")
    from nexgym.training.generation import resolve_device

    settings = settings or GRPOSettings()
    if settings.num_generations < 2 or settings.batch_size % settings.num_generations:
        raise ConfigError(
            f"expected num_generations >= 2 dividing batch_size, got num_generations="
            f"{settings.num_generations} and batch_size={settings.batch_size}"
        )
    if not (Path(model_path) / "config.json").is_file():
        raise ConfigError(
            f"expected a local checkpoint folder with config.json, got {str(model_path)!r}"
        )
    envs = match_env_ids(env_ids)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_path)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tasks is not None:
        unknown = sorted({env_id for env_id, _ in tasks} - set(envs))
        if unknown or not tasks:
            raise ConfigError(
                f"expected tasks of the envs {envs[:3]}..., got {len(tasks)} tasks"
                + (f" with other envs: {unknown[:3]}" if unknown else "")
            )
        prompts = [f"{env_id} task_seed={int(seed)}" for env_id, seed in tasks]
    else:
        prompts = task_prompts(envs, settings.tasks_per_env, settings.seed)
    dataset = datasets.Dataset.from_dict({"prompt": prompts})
    device = resolve_device(settings.device)
    config = trl.GRPOConfig(
        output_dir=str(out / "trainer"),
        max_steps=settings.steps,
        per_device_train_batch_size=settings.batch_size,
        num_generations=settings.num_generations,
        learning_rate=settings.learning_rate,
        temperature=settings.temperature,
        max_completion_length=settings.max_completion_tokens,
        beta=settings.beta,
        use_cpu=device == "cpu",
        bf16=False,
        seed=settings.seed,
        logging_steps=settings.logging_steps,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
    )
    rollouts = EpisodeRollouts(settings, tokenizer)
    try:
        trainer = trl.GRPOTrainer(
            model=str(model_path),
            reward_funcs=episode_return_reward,
            args=config,
            train_dataset=dataset,
            processing_class=tokenizer,
            rollout_func=rollouts,
        )
        trainer.train()
    finally:
        rollouts.close()
    trainer.save_model(str(out))
    tokenizer.save_pretrained(out)
    (out / "nexgym_grpo.json").write_text(
        json.dumps(
            {"envs": envs, "steps": trainer.state.global_step, "log": trainer.state.log_history},
            indent=2,
            default=str,
        )
    )
    return out
