"""Record the calls of policies that make mistakes, and fit a noise profile with provenance.

Episodes run with ``backend="mcp"`` (every tool call goes over stdio to a real server
process and is logged); the policies are an erring oracle (``OraclePolicy(env,
error_rate=0.3)``: a random well-formed call instead of the plan's, 30% of the time)
and ``RandomPolicy``, each playing every role (``control="all"``). The envs are one
catalog env per domain (``--envs``), so every server is called: nexgym's own domain
servers and the third-party ``mcp-server-time``, ``-git`` and ``-fetch``.

Each call is logged with its policy, episode and kind of failure, so the fitted
profile separates what the server did from what the caller did wrong:

* ``error_rate`` and ``timeout_rate``: calls the server failed (no answer in time, a
  dead server, a broken answer), whatever the call;
* ``refusal_rate``: calls the tool answered as wrong (bad arguments, unknown ids),
  the caller's own mistakes: observed and kept, never injected by the noise wrappers;
* ``outage_rate``: the fraction of the recorded episodes in which one server left two
  or more calls in a row unanswered;
* ``provenance``: calls per server, policy and outcome, episodes, date, and how.

``--parallel K`` plays K copies of each (env, policy) job at once, each with its own
server process: the servers answer under load, and the fitted latencies show it.

    python benchmarks/record_failures.py                                # about a minute
    python benchmarks/record_failures.py --episodes 3 --envs nex/FileOps-v0
    python benchmarks/record_failures.py --parallel 8 --episodes 6 --name realistic \\
        --out nexgym/grounding/profiles/realistic.yaml \\
        --log benchmarks/results/realistic_calls.jsonl.gz        # the shipped profile

Results: the profile (``--out``), the tagged call log it was fitted on (``--log``,
gzipped JSON lines) and a summary on stdout.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import os
import platform
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gymnasium as gym

import nexgym
from nexgym.grounding.profile import NoiseProfile
from nexgym.mcp.calllog import CallLog
from nexgym.policies import OraclePolicy, RandomPolicy
from nexgym.registry import load_catalog_spec

POLICIES = {
    "oracle@0.3": lambda env: OraclePolicy(env, error_rate=0.3),
    "random": lambda env: RandomPolicy(env),
}


def one_env_per_domain() -> list[str]:
    """The first catalog env of each hand-written domain (synthesized ``w_`` worlds share
    one server program with them)."""
    chosen: dict[str, str] = {}
    for env_id in nexgym.list_envs():
        domain = load_catalog_spec(env_id).domain
        if not domain.startswith("w_"):
            chosen.setdefault(domain, env_id)
    return list(chosen.values())


def record(
    env_id: str, policy_name: str, episodes: int, out: CallLog, workdir: Path, copy: int = 0
) -> int:
    """Play ``episodes`` episodes; append their calls to ``out`` tagged; returns the calls."""
    raw = CallLog(workdir / f"{env_id.replace('/', '_')}-{policy_name}-{copy}.jsonl")
    env = gym.make(env_id, backend="mcp", control="all", backend_options={"call_log": raw})
    seen = 0
    try:
        for episode in range(episodes):
            obs, info = env.reset(seed=episode)
            policy: Any = POLICIES[policy_name](env)
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(policy(obs, info))
                done = terminated or truncated
            fresh = raw.records()[seen:] if Path(raw.path).exists() else []
            seen += len(fresh)
            tag = f"{env_id}/{policy_name}/{copy}/{episode}"
            out.extend(r.model_copy(update={"policy": policy_name, "episode": tag}) for r in fresh)
    finally:
        env.close()
    return seen


def write_log(logs: list[CallLog], path: Path) -> int:
    """The tagged calls as one log file (gzipped when the name ends in .gz); returns them."""
    records = sorted(
        (r for log in logs if Path(log.path).exists() for r in log.records()),
        key=lambda r: (r.episode or "", r.timestamp),
    )
    lines = "".join(r.model_dump_json() + "\n" for r in records).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(lines, mtime=0))
    else:
        path.write_bytes(lines)
    return len(records)


def read_log(path: str | os.PathLike[str], workdir: Path) -> Path:
    """A plain JSON-lines copy of a (possibly gzipped) log, for :meth:`NoiseProfile.fit`."""
    path = Path(path)
    if path.suffix != ".gz":
        return path
    plain = workdir / path.with_suffix("").name
    with gzip.open(path, "rb") as source, plain.open("wb") as target:
        shutil.copyfileobj(source, target)
    return plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", nargs="+", default=None, help="default: one env per domain")
    parser.add_argument("--episodes", type=int, default=20, help="episodes per env and policy")
    parser.add_argument("--name", default=None, help="the profile's name")
    parser.add_argument("--out", default="benchmarks/results/noise_failures.yaml")
    parser.add_argument("--log", default=None, help="also keep the tagged call log here")
    parser.add_argument("--parallel", type=int, default=1, help="copies of each job at once")
    parser.add_argument("--note", default="", help="added to the provenance's recording text")
    args = parser.parse_args()
    envs = args.envs or one_env_per_domain()
    date = datetime.date.today().isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        logs = [CallLog(Path(tmp) / f"tagged-{k}.jsonl") for k in range(args.parallel)]
        for env_id in envs:
            for policy_name in POLICIES:
                with ThreadPoolExecutor(args.parallel) as pool:
                    jobs = [
                        pool.submit(
                            record, env_id, policy_name, args.episodes, logs[k], Path(tmp), k
                        )
                        for k in range(args.parallel)
                    ]
                    calls = sum(job.result() for job in jobs)
                print(f"{env_id} {policy_name}: {calls} calls", flush=True)
        log_path = Path(args.log) if args.log else Path(tmp) / "calls.jsonl"
        write_log(logs, log_path)
        load = f", {args.parallel} copies at once" if args.parallel > 1 else ""
        recording = (
            f"benchmarks/record_failures.py --parallel {args.parallel} --episodes "
            f"{args.episodes} over {len(envs)} envs ({', '.join(envs)}); nexgym "
            f"{nexgym.__version__}, CPython {platform.python_version()}, {os.cpu_count()} "
            f"CPUs shared with other work{'; ' + args.note if args.note else ''}"
        )
        name = args.name or ("failures" if args.parallel == 1 else f"failures_load{args.parallel}")
        profile = NoiseProfile.fit(
            read_log(log_path, Path(tmp)),
            name=name,
            description=f"fitted on calls of erring policies ({', '.join(POLICIES)}) over "
            f"real MCP servers on loopback (backend='mcp'), {args.episodes} episodes per env "
            f"and policy{load}. error_rate and timeout_rate: calls the server failed; "
            "refusal_rate: calls the tool answered as wrong (not injected); outage_rate: "
            "share of the recorded episodes in which a server left 2+ calls in a row "
            "unanswered",
            date=date,
            recording=recording,
        )
    path = profile.save(args.out)
    report(profile, path)


def report(profile: NoiseProfile, path: Path) -> None:
    """A summary of the fitted profile on stdout."""
    provenance = profile.provenance
    assert provenance is not None  # fit() always sets it
    print(
        f"\nwrote {path}: {provenance.calls} calls, {provenance.episodes} episodes, "
        f"{provenance.outage_episodes} with an outage: outage rate {profile.outage_rate}"
    )
    print(f"outcomes: {provenance.outcomes}")
    print(f"policies: {provenance.policies}; servers: {provenance.servers}")
    print(
        f"default error rate {profile.default.error_rate:.4f}, "
        f"timeout rate {profile.default.timeout_rate:.4f}, "
        f"refusal rate {profile.default.refusal_rate:.3f}, "
        f"median latency {profile.default.latency.median * 1e3:.2f} ms"
    )
    worst = sorted(profile.tools.items(), key=lambda kv: -kv[1].refusal_rate)[:5]
    for tool, noise in worst:
        print(f"  {tool}: refusal rate {noise.refusal_rate:.2f} over {noise.calls} calls")


if __name__ == "__main__":
    main()
