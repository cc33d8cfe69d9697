"""Speed of synthesis: offline specs per second, and building plus checking the catalog.

Measures, on this machine:

* offline synthesis throughput (``nexgym.synthesize`` on sampled descriptions, warm
  caches, sampling excluded);
* building the whole catalog (sample, synthesize, oracle-check every entry) with
  ``build_catalog(write=False)``;
* checking the committed catalog (load and validate every file, oracle episodes).

Prints a table and writes ``benchmarks/out/synth_speed.json``. The load average is
recorded because the machine may be shared.

    python benchmarks/synth_speed.py --count 240 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def offline_rate(n: int, seed: int) -> dict[str, float]:
    from nexgym.synth import sample_specs, synthesize
    from nexgym.synth.catalog import catalog_domains

    samples = sample_specs(n, seed=seed, domains=catalog_domains())
    for s in samples[:20]:  # warm the domain indexes
        synthesize(s.text, name=s.name)
    start = time.perf_counter()
    for s in samples:
        synthesize(s.text, seed=s.seed, name=s.name)
    seconds = time.perf_counter() - start
    return {"specs": n, "seconds": round(seconds, 3), "specs_per_second": round(n / seconds, 1)}


def build_time(count: int, jobs: int) -> dict[str, float]:
    from nexgym.synth.catalog import build_catalog

    start = time.perf_counter()
    build = build_catalog(count, seed=0, write=False, jobs=jobs)
    seconds = time.perf_counter() - start
    return {
        "entries": len(build.entries),
        "rejected": len(build.rejected),
        "jobs": jobs,
        "seconds": round(seconds, 2),
    }


def check_time() -> dict[str, float]:
    from nexgym.registry import catalog_paths
    from nexgym.synth.catalog import GENERATED_HEADER, check_spec, load_catalog

    start = time.perf_counter()
    specs = load_catalog()
    generated = [
        specs[name]
        for name, path in catalog_paths().items()
        if path.read_text(encoding="utf-8").startswith(GENERATED_HEADER)
    ]
    loaded = time.perf_counter() - start
    episodes = failures = 0
    for spec in generated:
        result = check_spec(spec)
        episodes += result.episodes
        failures += len(result.failures)
    seconds = time.perf_counter() - start
    return {
        "entries": len(generated),
        "episodes": episodes,
        "failures": failures,
        "load_seconds": round(loaded, 2),
        "seconds": round(seconds, 2),
    }


def import_time(repeats: int = 5) -> dict[str, float]:
    """``import nexgym`` in fresh processes: in all, and the catalog's registration alone."""
    import subprocess
    import sys

    code = (
        "import time\n"
        "t = time.perf_counter()\n"
        "import nexgym\n"
        "total = time.perf_counter() - t\n"
        "import gymnasium as gym, nexgym.registry as r\n"
        "for k in [k for k in gym.registry if k.startswith('nex/')]: del gym.registry[k]\n"
        "r.catalog_paths.cache_clear()\n"
        "t = time.perf_counter(); r.register_catalog(); reg = time.perf_counter() - t\n"
        "print(total, reg, len(nexgym.list_envs()))\n"
    )
    totals, registrations = [], []
    envs = 0
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        total, reg, count = out.stdout.split()
        totals.append(float(total))
        registrations.append(float(reg))
        envs = int(count)
    return {
        "registered_envs": envs,
        "import_seconds_median": round(sorted(totals)[len(totals) // 2], 3),
        "catalog_registration_seconds_median": round(
            sorted(registrations)[len(registrations) // 2], 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=500, help="descriptions to synthesize")
    parser.add_argument("--count", type=int, default=240, help="catalog entries to build")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the build")
    parser.add_argument("--out", default="benchmarks/out/synth_speed.json")
    args = parser.parse_args()
    load_before = os.getloadavg()
    results = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
        },
        "offline_synthesis": offline_rate(args.specs, seed=123),
        "catalog_build_and_check": build_time(args.count, args.jobs),
        "committed_catalog_check": check_time(),
        "import": import_time(),
    }
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    rows = [
        ("offline synthesis", f"{results['offline_synthesis']['specs_per_second']} specs/s"),
        (
            f"build + check {results['catalog_build_and_check']['entries']} entries "
            f"(jobs={args.jobs})",
            f"{results['catalog_build_and_check']['seconds']} s",
        ),
        (
            f"check committed catalog ({results['committed_catalog_check']['entries']} entries, "
            f"{results['committed_catalog_check']['episodes']} episodes)",
            f"{results['committed_catalog_check']['seconds']} s",
        ),
    ]
    rows.append(
        (
            f"import nexgym ({results['import']['registered_envs']} envs), median",
            f"{results['import']['import_seconds_median']} s (catalog registration "
            f"{results['import']['catalog_registration_seconds_median']} s)",
        )
    )
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"load average before/after: {load_before} / {results['machine']['load_average_after']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
