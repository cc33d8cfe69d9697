"""Episode collection spread over a Ray cluster, with the local backend's exact output.

:func:`rollout_ray` plays the same episodes as :func:`nexgym.rollout.rollout` (episode
``i`` of every env and policy from seed ``seed + i``) but hands them to Ray tasks in
chunks, and yields the records in the local order as they come back. Records are
equal to the local ones except for their wall-clock timings: every episode is
seeded on its own, so where and in which chunk it runs does not matter.

::

    from nexgym.distributed import rollout_ray

    records = list(rollout_ray(["nex/FileOps-v0"], ["oracle", "random"], episodes=100))

Ray is imported only here (``pip install "nexgym[dist]"``). Without ``address`` a
local Ray instance is started (and shut down at the end); with ``address="auto"`` or
``"ray://host:10001"`` the episodes go to that cluster, whose workers must have
nexgym installed.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from nexgym.error import ConfigError, require

if TYPE_CHECKING:
    from nexgym.grounding.trajectories import EpisodeRecord

__all__ = [
    "EPISODES_PER_TASK",
    "check_address",
    "plan_chunks",
    "play_chunk",
    "ray_session",
    "rollout_ray",
]

#: Episodes one Ray task plays (one env is built per task, so fewer, larger tasks
#: spend less on env construction; more, smaller ones balance better).
EPISODES_PER_TASK = 20

Chunk = tuple[str, str, list[int]]
#: Addresses Ray resolves itself: "auto" joins the cluster on this machine, "local"
#: starts a new instance.
SPECIAL_ADDRESSES = ("auto", "local")


def check_address(address: str | None, timeout: float = 5.0) -> None:
    """Raise :class:`ConfigError` unless a Ray cluster's port answers at ``address``.

    ``ray.init`` retries an unreachable address for minutes before it gives up, so a
    typo would hang a run; a TCP connect answers in at most ``timeout`` seconds.
    ``None``, ``"auto"`` and ``"local"`` are left to Ray (they fail fast there).
    """
    if address is None or address in SPECIAL_ADDRESSES:
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    host = host.strip("[]")  # an IPv6 literal: [::1]:6379
    if not host or not port.isdigit():
        raise ConfigError(
            f"expected a Ray address like auto, host:6379 or ray://host:10001, got {address!r}"
        )
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConfigError(
            f"expected a Ray cluster at {address!r}, got no answer there "
            f"({e.strerror or e}); start one with `ray start --head`, use the address it "
            "prints, or leave the address out to start a local Ray instance"
        ) from e


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """Ray initialised for the ``with`` block; yields the ``ray`` module.

    Joins ``address`` (see :func:`rollout_ray`) or starts a local instance of
    ``num_cpus`` CPUs, and shuts it down at the end. Where Ray is already initialised
    in this process it is used as is, and left running.
    """
    ray = require("ray", "dist", "rollouts on Ray")
    if ray.is_initialized():
        yield ray
        return
    check_address(address)
    try:
        ray.init(
            address=address,
            num_cpus=num_cpus if address in (None, "local") else None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except ConnectionError as e:
        raise ConfigError(
            f"expected a running Ray cluster for address {address!r}, got none: {e}"
        ) from e
    try:
        yield ray
    finally:
        ray.shutdown()


def plan_chunks(
    env_ids: Sequence[str],
    policies: Sequence[str],
    episodes: int,
    *,
    skip: Iterable[str] = (),
    episodes_per_task: int = EPISODES_PER_TASK,
) -> list[Chunk]:
    """``(env_id, policy, episode indices)`` work units, in the local backend's order."""
    from nexgym.grounding.trajectories import record_key

    if episodes < 0:
        raise ConfigError(f"expected episodes >= 0, got {episodes!r}")
    if episodes_per_task < 1:
        raise ConfigError(f"expected episodes_per_task >= 1, got {episodes_per_task!r}")
    done = set(skip)
    chunks: list[Chunk] = []
    for env_id in env_ids:
        for policy in policies:
            todo = [i for i in range(episodes) if record_key(env_id, policy, i) not in done]
            for start in range(0, len(todo), episodes_per_task):
                chunks.append((env_id, policy, todo[start : start + episodes_per_task]))
    return chunks


def play_chunk(
    chunk: Chunk,
    seed: int,
    noise: str | None,
    env_kwargs: dict[str, Any] | None,
) -> list[str]:
    """Play one chunk's episodes with the local backend; the records as JSON lines.

    JSON (not pickles of the records) crosses the process boundary, so a worker with
    a slightly different pydantic build still hands back valid records.
    """
    from nexgym.grounding.trajectories import record_json, record_key
    from nexgym.rollout import rollout

    env_id, policy, indices = chunk
    if not indices:
        return []
    chosen = set(indices)
    last = max(indices)
    skip = {record_key(env_id, policy, i) for i in range(last + 1) if i not in chosen}
    records = rollout(
        [env_id], [policy], last + 1, seed=seed, noise=noise, skip=skip, env_kwargs=env_kwargs
    )
    return [record_json(r) for r in records]


def rollout_ray(
    env_ids: Sequence[str],
    policies: Sequence[str],
    episodes: int,
    *,
    seed: int = 0,
    noise: str | os.PathLike[str] | None = "none",
    skip: Iterable[str] = (),
    env_kwargs: dict[str, Any] | None = None,
    episodes_per_task: int = EPISODES_PER_TASK,
    address: str | None = None,
    num_cpus: int | None = None,
    max_in_flight: int | None = None,
) -> Iterator[EpisodeRecord]:
    """Play ``episodes`` episodes of each policy on each env on Ray; yields each record.

    The arguments up to ``env_kwargs`` mean what they mean for
    :func:`nexgym.rollout.rollout`, and the records come in the same order.

    Args:
        env_ids: Gymnasium ids.
        policies: policy names (as for ``nexgym rollout --policy``).
        episodes: episodes per env and policy; episode ``i`` uses seed ``seed + i``.
        seed: the first episode's seed.
        noise: ``"none"``, ``"realistic"`` or a noise profile path.
        skip: record keys to leave out (episodes a resumed run already has).
        env_kwargs: passed to ``gym.make`` on the workers.
        episodes_per_task: episodes one Ray task plays.
        address: the Ray cluster to join (``"auto"``, ``"host:6379"``,
            ``"ray://host:10001"``); None starts a local instance unless Ray is already
            initialised in this process. An address that does not answer raises
            :class:`~nexgym.error.ConfigError` within seconds.
        num_cpus: CPUs of a local instance (None: all of this machine's).
        max_in_flight: most tasks submitted and not yet collected (default: twice the
            cluster's CPUs), so a huge run does not hold every result in memory.
    """
    from nexgym.grounding.trajectories import EpisodeRecord

    require("ray", "dist", "rollouts on Ray")  # before any work: the error names the extra
    noise_arg = None if noise is None else os.fspath(noise)
    if noise_arg is not None and os.path.exists(noise_arg):
        noise_arg = os.path.abspath(noise_arg)  # workers may start in another directory
    chunks = plan_chunks(
        env_ids, policies, episodes, skip=skip, episodes_per_task=episodes_per_task
    )
    if not chunks:
        return
    with ray_session(address, num_cpus) as ray:
        remote_play = ray.remote(play_chunk)
        window = max_in_flight or max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        pending: deque[Any] = deque()
        queue = iter(chunks)
        for chunk in queue:
            pending.append(remote_play.remote(chunk, seed, noise_arg, env_kwargs))
            if len(pending) >= window:
                break
        while pending:
            lines = ray.get(pending.popleft())
            for chunk in queue:  # keep the window full while this chunk is yielded
                pending.append(remote_play.remote(chunk, seed, noise_arg, env_kwargs))
                break
            for line in lines:
                yield EpisodeRecord.model_validate_json(line)
