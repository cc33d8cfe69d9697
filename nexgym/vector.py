"""Many nexgym envs stepped in one process, with less overhead than ``SyncVectorEnv``.

:class:`NexVectorEnv` is the ``vector_entry_point`` of every catalog id, so
``gym.make_vec("nex/FileOps-v0", num_envs=8)`` builds it. Compared with Gymnasium's
generic ``SyncVectorEnv`` over ``gym.make`` envs it drops the per-env wrapper stack
(the time limit is counted here), builds the batched ``info`` once per step instead of
key by key and env by env, parses the hierarchy spec once for all sub-envs, and, when
tasks come from a fixed split (``task_seeds=``, as in RL training), generates each
task once for all sub-envs (:class:`TaskCache`): a reset then copies the task's world
instead of building it again, which is most of what a reset costs. Observations and
actions are tuples of strings, as Gymnasium batches ``Text`` spaces; autoreset follows
Gymnasium 1.x's ``NEXT_STEP`` mode.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from nexgym.env import NexEnv
from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.error import ConfigError
from nexgym.spec import HierarchySpec, load_spec

__all__ = ["DEFAULT_TASK_CACHE", "NexVectorEnv", "TaskCache", "batch_infos", "make_vector"]

#: Tasks a vector env keeps when ``task_seeds`` is given and ``task_cache`` is not.
DEFAULT_TASK_CACHE = 1024


class TaskCache:
    """Generated tasks by ``(seed, difficulty)``, handed out with a fresh copy of the world.

    Task generation is deterministic in the seed, so a task drawn again (a training
    split is drawn from many times) need not be generated again: only its world, which
    the episode changes, is copied (``Domain.copy_world``). Goals, plans and the
    instruction are shared; the runtime only reads them.

    Args:
        capacity: most tasks kept (least recently used ones go first).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ConfigError(f"expected a task cache capacity >= 1, got {capacity!r}")
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._tasks: OrderedDict[tuple[int, int], Task] = OrderedDict()

    def attach(self, domain: Domain) -> None:
        """Serve ``domain.generate_task`` from this cache (for this domain instance only)."""
        generate: Callable[[int, int], Task] = domain.generate_task

        def generate_cached(seed: int, difficulty: int = 1) -> Task:
            return self.task(domain, generate, seed, difficulty)

        # An instance attribute: the runtime calls domain.generate_task and needs no change.
        domain.generate_task = generate_cached

    def task(
        self, domain: Domain, generate: Callable[[int, int], Task], seed: int, difficulty: int
    ) -> Task:
        """The task of ``seed``, from the cache or freshly generated, with its own world."""
        key = (int(seed), int(difficulty))
        task = self._tasks.get(key)
        if task is None:
            self.misses += 1
            task = self._tasks[key] = generate(seed, difficulty)
            if len(self._tasks) > self.capacity:
                self._tasks.popitem(last=False)
        else:
            self.hits += 1
            self._tasks.move_to_end(key)
        try:
            world = domain.copy_world(task.world)
        except Exception:  # a world that cannot be copied is generated afresh each time
            self._tasks.pop(key, None)
            return generate(seed, difficulty)
        return dataclasses.replace(task, world=world, goals=list(task.goals))


def _shares_tasks(domain: Domain) -> bool:
    """Whether one generated task may serve other instances of the domain.

    Domains that hold services or files of their own (they override ``close``) may put
    references to them in their worlds, so their tasks stay with the instance that made
    them; nondeterministic domains are never cached.
    """
    return type(domain).close is Domain.close


class NexVectorEnv(VectorEnv[tuple[str, ...], tuple[str, ...], np.ndarray]):
    """``num_envs`` copies of one nexgym env, stepped in turn in this process.

    Args:
        spec: the hierarchy (a spec, a dict, YAML text or a path).
        num_envs: number of sub-envs.
        max_episode_steps: truncate an episode after this many steps (as ``TimeLimit``
            does for a single env); None for no limit.
        task_cache: how many generated tasks to keep for reuse (:class:`TaskCache`);
            None: :data:`DEFAULT_TASK_CACHE` when ``task_seeds`` is given, else none;
            0: never.
        **env_kwargs: passed to every :class:`~nexgym.env.NexEnv` (``control``,
            ``difficulty``, ``backend``, ``max_turns``, ``task_seeds``, ...).

    Example:
        >>> import gymnasium as gym, nexgym
        >>> envs = gym.make_vec("nex/FileSolo-v0", num_envs=4)
        >>> observations, infos = envs.reset(seed=0)
        >>> len(observations)
        4
    """

    _closed = False  # read by close() even when __init__ failed part-way

    def __init__(
        self,
        spec: HierarchySpec | dict[str, Any] | str | Path,
        num_envs: int = 1,
        *,
        max_episode_steps: int | None = None,
        task_cache: int | None = None,
        **env_kwargs: Any,
    ) -> None:
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ConfigError(f"expected num_envs to be an integer >= 1, got {num_envs!r}")
        if max_episode_steps is not None and max_episode_steps < 1:
            raise ConfigError(f"expected max_episode_steps >= 1 or None, got {max_episode_steps!r}")
        hierarchy = load_spec(spec)  # parsed once, shared by every sub-env
        self.envs = [NexEnv(hierarchy, **env_kwargs) for _ in range(num_envs)]
        self.num_envs = num_envs
        self.max_episode_steps = max_episode_steps
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.render_mode = None
        self.metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}
        self._elapsed = np.zeros(num_envs, dtype=np.int64)
        self._autoreset = np.zeros(num_envs, dtype=np.bool_)
        self._started = np.zeros(num_envs, dtype=np.bool_)
        self._observations: list[str] = [""] * num_envs
        self.task_caches = self._attach_task_caches(task_cache, env_kwargs)

    # -- Gymnasium vector API -------------------------------------------------------

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[tuple[str, ...], dict[str, Any]]:
        """Reset every sub-env (or those in ``options["reset_mask"]``).

        Args:
            seed: None, an int (sub-env *i* gets ``seed + i``) or one seed per sub-env.
            options: passed to every sub-env's reset (e.g. ``{"task_seed": 3}``);
                ``"reset_mask"`` (a bool array) resets only some sub-envs.
        """
        seeds = self._seeds(seed)
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if mask is None:
            mask = np.ones(self.num_envs, dtype=np.bool_)
        elif not (isinstance(mask, np.ndarray) and mask.shape == (self.num_envs,)):
            raise ConfigError(
                f"expected options['reset_mask'] to be a bool array of shape ({self.num_envs},), "
                f"got {mask!r}"
            )
        infos: list[dict[str, Any] | None] = [None] * self.num_envs
        for i in np.flatnonzero(mask):
            self._observations[i], infos[i] = self.envs[i].reset(
                seed=seeds[i], options=options or None
            )
            self._elapsed[i] = 0
            self._autoreset[i] = False
            self._started[i] = True
        return tuple(self._observations), batch_infos(infos, self.num_envs)

    def step(
        self, actions: Sequence[str]
    ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every sub-env with its action; sub-envs whose episode ended reset instead."""
        if len(actions) != self.num_envs:
            raise ConfigError(f"expected {self.num_envs} actions, got {len(actions)}")
        if not self._started.all():
            raise gym.error.ResetNeeded("call reset() before step()")
        n = self.num_envs
        rewards = np.zeros(n, dtype=np.float64)
        terminations = np.zeros(n, dtype=np.bool_)
        truncations = np.zeros(n, dtype=np.bool_)
        infos: list[dict[str, Any] | None] = [None] * n
        observations = self._observations
        for i, env in enumerate(self.envs):
            if self._autoreset[i]:
                observations[i], infos[i] = env.reset()
                self._elapsed[i] = 0
                continue
            obs, reward, terminated, truncated, info = env.step(actions[i])
            self._elapsed[i] += 1
            if self.max_episode_steps is not None and self._elapsed[i] >= self.max_episode_steps:
                truncated = True
            observations[i], infos[i] = obs, info
            rewards[i] = reward
            terminations[i] = terminated
            truncations[i] = truncated
        self._autoreset = terminations | truncations
        return (
            tuple(observations),
            rewards,
            terminations,
            truncations,
            batch_infos(infos, n),
        )

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Call a method (or read an attribute) of every sub-env."""
        results = []
        for env in self.envs:
            attribute = getattr(env, name)
            results.append(attribute(*args, **kwargs) if callable(attribute) else attribute)
        return tuple(results)

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """An attribute of every sub-env."""
        return tuple(getattr(env, name) for env in self.envs)

    def set_attr(self, name: str, values: Any) -> None:
        """Set an attribute of every sub-env (one value for all, or one per sub-env)."""
        if not isinstance(values, list | tuple):
            values = [values] * self.num_envs
        if len(values) != self.num_envs:
            raise ConfigError(f"expected {self.num_envs} values, got {len(values)}")
        for env, value in zip(self.envs, values, strict=True):
            setattr(env, name, value)

    def close_extras(self, **kwargs: Any) -> None:
        """Close every sub-env (their MCP server processes end with them)."""
        if self._closed:
            return
        self._closed = True
        for env in getattr(self, "envs", []):
            env.close()

    # -- internals ------------------------------------------------------------------

    def _attach_task_caches(
        self, capacity: int | None, env_kwargs: dict[str, Any]
    ) -> list[TaskCache]:
        if capacity is None:
            capacity = DEFAULT_TASK_CACHE if env_kwargs.get("task_seeds") is not None else 0
        if capacity < 0:
            raise ConfigError(f"expected task_cache >= 0 or None, got {capacity!r}")
        domain = self.envs[0].domain
        if capacity == 0 or domain.nondeterministic:
            return []
        if _shares_tasks(domain):
            shared = TaskCache(capacity)
            for env in self.envs:
                shared.attach(env.domain)
            return [shared]
        caches = []
        for env in self.envs:
            cache = TaskCache(capacity)
            cache.attach(env.domain)
            caches.append(cache)
        return caches

    def _seeds(self, seed: int | Sequence[int | None] | None) -> list[int | None]:
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, int | np.integer):
            return [int(seed) + i for i in range(self.num_envs)]
        seeds = list(seed)
        if len(seeds) != self.num_envs:
            raise ConfigError(f"expected {self.num_envs} seeds, got {len(seeds)}")
        return seeds


def batch_infos(infos: Sequence[dict[str, Any] | None], num_envs: int) -> dict[str, Any]:
    """Batch per-env info dicts the way Gymnasium's vector envs do, in one pass per key.

    Each key maps to an array over sub-envs (numbers in a numeric array, anything else
    in an object array) and ``"_key"`` to a bool mask of the sub-envs that have it;
    nested dicts are batched recursively.
    """
    columns: dict[str, list[tuple[int, Any]]] = {}
    for i, info in enumerate(infos):
        if info:
            for key, value in info.items():
                columns.setdefault(key, []).append((i, value))
    out: dict[str, Any] = {}
    for key, entries in columns.items():
        first = entries[0][1]
        if isinstance(first, dict):
            nested: list[dict[str, Any] | None] = [None] * num_envs
            for i, value in entries:
                nested[i] = value if isinstance(value, dict) else None
            array: Any = batch_infos(nested, num_envs)
        else:
            array = _column(first, num_envs)
            for i, value in entries:
                array[i] = value
        mask = np.zeros(num_envs, dtype=np.bool_)
        mask[[i for i, _ in entries]] = True
        out[key] = array
        out[f"_{key}"] = mask
    return out


def _column(first: Any, num_envs: int) -> np.ndarray:
    kind = type(first)
    if kind in (int, float, bool) or issubclass(kind, np.number):
        return np.zeros(num_envs, dtype=kind)
    if isinstance(first, np.ndarray):
        return np.zeros((num_envs, *first.shape), dtype=first.dtype)
    return np.full(num_envs, None, dtype=object)


def make_vector(
    num_envs: int = 1,
    *,
    name: str | None = None,
    spec: HierarchySpec | dict[str, Any] | str | Path | None = None,
    max_episode_steps: int | None = None,
    task_cache: int | None = None,
    **env_kwargs: Any,
) -> NexVectorEnv:
    """The ``vector_entry_point`` of catalog ids (``gym.make_vec`` passes ``name``).

    Args:
        num_envs: number of sub-envs.
        name: a catalog name (``FileOps``) or id (``nex/FileOps-v0``).
        spec: a hierarchy spec instead of a catalog name.
        max_episode_steps: the registered step limit (``gym.make_vec`` passes it).
        task_cache: see :class:`NexVectorEnv`.
        **env_kwargs: passed to every sub-env.
    """
    if (name is None) == (spec is None):
        raise ConfigError(
            "expected exactly one of name= (a catalog env) or spec=, got both or none"
        )
    if name is not None:
        from nexgym.registry import load_catalog_spec

        spec = load_catalog_spec(name)
    assert spec is not None  # narrowed above; for the type checker
    return NexVectorEnv(
        spec, num_envs, max_episode_steps=max_episode_steps, task_cache=task_cache, **env_kwargs
    )
