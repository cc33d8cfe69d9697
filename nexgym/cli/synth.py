"""``nexgym synth``: synthesize a hierarchy from a description, build the catalog, report on it.

* ``nexgym synth "a travel desk where a planner hands flights to one specialist and
  hotels to another, and checks the budget itself"`` prints the spec as YAML and its
  hierarchy as a tree (``--llm DIR`` uses a local causal language model instead).
* ``nexgym synth --catalog [--seed 0] [--count 240] [--out DIR]`` samples descriptions,
  synthesizes and checks them with the oracle, and writes the catalog.
* ``nexgym synth --report [--plot PATH] [--markdown PATH]`` prints the catalog's
  diversity report and draws its plot.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError

__all__ = ["add_parser", "run_synth"]


def add_parser(sub: Any) -> None:
    """Register ``synth``."""
    parser = sub.add_parser(
        "synth",
        help="synthesize a hierarchy from a description; build or report on the catalog",
        description="Turn a natural-language description into a hierarchy spec (YAML and "
        "tree), build the catalog from sampled descriptions (--catalog), or report the "
        "catalog's diversity (--report).",
    )
    parser.add_argument("text", nargs="?", help="the description, in quotes")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--catalog", action="store_true", help="build and write the catalog")
    mode.add_argument("--report", action="store_true", help="print the diversity report")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--name", help="env name for TEXT (CamelCase)")
    parser.add_argument("--domain", help="force the domain for TEXT")
    parser.add_argument("--llm", metavar="DIR", help="synthesize TEXT with this local model")
    parser.add_argument("--count", type=int, default=240, help="catalog entries (default 240)")
    parser.add_argument("--out", help="catalog folder (default: the package's envs/catalog)")
    parser.add_argument("--domains", nargs="+", help="catalog domains (default: in-process)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for --catalog")
    parser.add_argument(
        "--worlds", type=int, help="with --catalog: induce this many worlds and staff each"
    )
    parser.add_argument(
        "--per-world", type=int, default=5, help="with --worlds: hierarchies per world (5)"
    )
    parser.add_argument("--plot", metavar="PATH", help="with --report: write the PNG here")
    parser.add_argument("--markdown", metavar="PATH", help="with --report: write Markdown here")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    """Dispatch to the mode the arguments ask for."""
    if args.catalog:
        return _catalog(args)
    if args.report:
        return _report(args)
    if not args.text:
        raise ConfigError(
            "expected a description, --catalog or --report, got none; "
            "e.g. nexgym synth 'a file team where a lead hands edits to an editor'"
        )
    return _one(args)


def _one(args: argparse.Namespace) -> int:
    from nexgym.cli.catalog import hierarchy_tree

    if args.llm:
        from nexgym.synth.llm import LLMSynthesizer

        spec = LLMSynthesizer(args.llm).synthesize(args.text, seed=args.seed)
    else:
        from nexgym.synth import synthesize

        spec = synthesize(args.text, seed=args.seed, name=args.name, domain=args.domain)
    if args.json:
        print(json.dumps(spec.to_dict(), indent=2))
        return 0
    print(spec.to_yaml().rstrip())
    print()
    print(f"# {spec.name}: {spec.topology}, {len(spec.agents)} agents, depth {spec.depth()}")
    for line in hierarchy_tree(spec):
        print(f"#   {line}")
    return 0


def _catalog(args: argparse.Namespace) -> int:
    from nexgym.synth.catalog import build_catalog, summary

    if args.worlds:
        return _world_catalog(args)
    build = build_catalog(
        args.count, seed=args.seed, domains=args.domains, out=args.out, jobs=args.jobs
    )
    facts = summary(build)
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    print(
        f"wrote {facts['entries']} entries over {len(facts['domains'])} domains in "
        f"{facts['seconds']} s ({facts['rejected']} samples rejected)"
    )
    for domain, n in facts["domains"].items():
        print(f"  {domain:<18} {n}")
    return 0


def _world_catalog(args: argparse.Namespace) -> int:
    from nexgym.synth.worlds import build_world_catalog

    build = build_world_catalog(args.worlds, envs_per_world=args.per_world, seed=args.seed)
    facts = {
        "worlds": len(build.worlds),
        "entries": len(build.written),
        "rejected": len(build.rejected),
        "seconds": round(build.seconds, 1),
    }
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    print(
        f"wrote {facts['entries']} entries over {facts['worlds']} induced worlds in "
        f"{facts['seconds']} s ({facts['rejected']} hierarchies rejected)"
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from nexgym.synth.catalog import load_catalog
    from nexgym.synth.report import catalog_stats, plot_stats, render_markdown

    stats = catalog_stats(load_catalog(args.out).values())
    plot = None
    if args.plot:
        path = plot_stats(stats, args.plot)
        plot = _relative(path, Path(args.markdown).parent if args.markdown else Path.cwd())
    if args.json:
        print(json.dumps(stats.to_dict(), indent=2))
        return 0
    text = render_markdown(stats, plot=plot)
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


def _relative(path: Path, start: Path) -> str:
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path)
